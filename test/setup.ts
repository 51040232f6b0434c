import { beforeAll } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/initBackend.js';

beforeAll(async () => {
  const backend = (process.env.CNN_BACKEND ?? 'cpu') as BackendName;
  await initBackend({ backend });
});
