// The comparison peers of bench/network.bench.mjs, imported from here so that their bare names resolve to
// bench/peers/node_modules (installed on first use by scripts/bench.mjs), not to the package's own dependencies.
export const loadOrtNode = async () => (await import('onnxruntime-node')).default;
export const loadOrtWeb = () => import('onnxruntime-web');
