/**
 * The platform-independent API, shared by the Node entry (`index.ts`) and the browser entry (`browser.ts`).
 * Each line re-exports one public function (file named after it) and its option types.
 */
export { initBackend, BACKEND_NAMES } from './backend/initBackend.js';
export type { BackendName, BackendChoice, InitBackendOptions } from './backend/initBackend.js';
