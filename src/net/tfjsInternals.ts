/**
 * The one place where this library reads TF.js internals, for what TF.js has no public API for. Each reader says what
 * it reads; `TFJS_CONVERTER_CHECKED` is the @tensorflow/tfjs-converter version they were checked against, and
 * test/net/tfjsInternals.test.ts fails when the installed version differs or a reader stops finding its field, so
 * that an upgrade is a deliberate step.
 *
 * Not exported from the package.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';

/** The @tensorflow/tfjs-converter version the readers below were checked against. */
export const TFJS_CONVERTER_CHECKED = '4.22.0';

/**
 * Names of every node in a graph model (layers, helper nodes, constants, inputs), or null when they cannot be read.
 * Reads the private `GraphModel.artifacts.modelTopology.node` (the GraphDef the model was loaded from): TF.js lists
 * only inputs, outputs and weights publicly.
 */
export function graphNodeNames(model: GraphModel): Set<string> | null {
  const artifacts = (model as unknown as { artifacts?: { modelTopology?: { node?: unknown } } }).artifacts;
  const nodes = artifacts?.modelTopology?.node;
  if (!Array.isArray(nodes)) return null;
  return new Set(nodes.map((n: { name?: unknown }) => n?.name).filter((n): n is string => typeof n === 'string'));
}
