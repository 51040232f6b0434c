// The comparison peers of bench/network.bench.mjs, imported from here so that their bare names resolve to
// bench/peers/node_modules (installed on first use by scripts/bench.mjs), not to the package's own dependencies.
// The peers may not be installed when the tree is typechecked, and their types are not needed here.
// @ts-ignore
export const loadOrtNode = async () => (await import('onnxruntime-node')).default;
// @ts-ignore
export const loadOrtWeb = () => import('onnxruntime-web');
