/**
 * TensorFlow 1's branches (`tf.cond`, written as `Switch` and `Merge` nodes) whose condition is a constant: computed
 * from bool constants, inputs given a value by `toNetwork`'s `constantInputs` (a model's `is_training`) or the default
 * of a `PlaceholderWithDefault`, which the library never feeds. TF.js runs such nodes only asynchronously, and this
 * library runs a graph synchronously, layer by layer, so it refused every model with one. With the condition known, the
 * branch not taken never runs: each node that read the taken output of a `Switch` reads the `Switch`'s data instead,
 * and each that read a `Merge` reads the `Merge`'s one input that is not in the branch not taken. Neither node is then
 * on the way to anything, and the graph runs synchronously. Not exported from the package.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type * as tf from '@tensorflow/tfjs-core';
import { ASYNC_OPS, forgetPlans, outputRef } from './graphPlan.js';
import {
  constantInputOf,
  type GraphDefNode,
  inputNodeName,
  redirectGraphInputs,
  ownGraphDef,
  refuseInputs,
} from './tfjsInternals.js';

/** A node's input, `name` or `name:k` (a control input's `^` taken off), as node and output. */
function parse(ref: string): { node: string; port: number } {
  const base = ref.replace(/^\^/, '');
  const out = outputRef(base);
  return out ? { node: out.name, port: out.k } : { node: base, port: 0 };
}

const refOf = (node: string, port: number) => (port === 0 ? node : `${node}:${port}`);

/** The most nodes a condition may be computed from: `logical_not(is_training)`, a comparison, not a network. */
const CONDITION_NODES = 64;

/**
 * The value of a `Switch`'s condition `ref`, when it is a constant: computed only from bool or number constants,
 * inputs given a value, and placeholders with a default (a TensorFlow 1 `is_training` that is false unless fed; the
 * library never feeds it), in at most {@link CONDITION_NODES} nodes, none of which TF.js runs only asynchronously.
 * TF.js's executor then computes it, fed nothing. `inputs`: the inputs and placeholders it is computed from, which a
 * caller feeding them would expect to change it. Undefined otherwise.
 */
async function constantCondition(
  model: GraphModel,
  byName: ReadonlyMap<string, GraphDefNode>,
  ref: string,
): Promise<{ value: boolean; inputs: string[] } | undefined> {
  const inputs: string[] = [];
  const seen = new Set<string>();
  const todo = [parse(ref).node];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = byName.get(name);
    if (!node || seen.size > CONDITION_NODES || ASYNC_OPS.has(node.op)) return undefined;
    if (node.op === 'Const') continue;
    if (node.op === 'Placeholder' || node.op === 'PlaceholderWithDefault') {
      inputs.push(name);
      // Given a value (constantInputs), an input reads as it; a placeholder with a default not given one, as that.
      if (constantInputOf(model, name)) continue;
      if (node.op === 'Placeholder') return undefined;
    }
    for (const r of node.input ?? []) todo.push(inputNodeName(r));
  }
  let value: boolean | undefined;
  try {
    const out = model.execute({}, ref.replace(/^\^/, '')) as tf.Tensor;
    if (out.dtype === 'bool' && out.size === 1) value = (await out.data())[0] !== 0;
    // A condition that is a constant or a given input comes back as the model's own tensor, which it keeps.
    if (!Object.values(model.weights).some((w) => w.includes(out))) out.dispose();
  } catch {
    // What TF.js cannot compute fed nothing is no constant.
  }
  return value === undefined ? undefined : { value, inputs };
}

/**
 * The nodes in an order where each comes after its inputs (data and control), a loop's way back into its `Merge`
 * (from a `NextIteration`) left out; the nodes of what remains of a cycle are left out too.
 */
function ordered(nodes: readonly GraphDefNode[], byName: ReadonlyMap<string, GraphDefNode>): GraphDefNode[] {
  const waiting = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const n of nodes) {
    const from = (n.input ?? [])
      .map((r) => inputNodeName(r))
      .filter((f) => byName.has(f) && !(n.op === 'Merge' && byName.get(f)?.op === 'NextIteration'));
    waiting.set(n.name, from.length);
    for (const f of from) {
      const list = readers.get(f);
      if (list) list.push(n.name);
      else readers.set(f, [n.name]);
    }
  }
  const ready = nodes.filter((n) => waiting.get(n.name) === 0).map((n) => n.name);
  const order: GraphDefNode[] = [];
  while (ready.length > 0) {
    const name = ready.pop() as string;
    order.push(byName.get(name) as GraphDefNode);
    for (const r of readers.get(name) ?? []) {
      const left = (waiting.get(r) as number) - 1;
      waiting.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  return order;
}

/**
 * Folds the branches of `model` whose condition is a constant, in TF.js's graph and in a GraphDef of the model's own
 * (a copy of `nodes`, which stay as they were), and makes the model refuse another value for the inputs that chose
 * them. Returns the folded GraphDef's nodes, which the library reads from then on, and what puts the model back. Folds
 * nothing, and returns null, where no condition is constant, or where the graph reads what folding cannot give: a
 * `Merge`'s second output (which branch ran), or a `Switch` or `Merge` that is one of `keep` (the network's input and
 * output). A `Merge` that the branches taken give more than one input stays, and what reads it stays asynchronous.
 */
export async function foldConstantBranches(
  model: GraphModel,
  nodes: readonly GraphDefNode[],
  keep: ReadonlySet<string>,
): Promise<{ nodes: GraphDefNode[]; undo: () => void } | null> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // The output of each Switch of a constant condition that the branch taken reads: 1 where true, 0 where false.
  const taken = new Map<string, number>();
  const inputs = new Set<string>();
  // Each condition once: every Switch of a tf.cond reads the same one.
  const conditions = new Map<string, Awaited<ReturnType<typeof constantCondition>>>();
  for (const n of nodes) {
    if (n.op !== 'Switch') continue;
    const [, condition] = (n.input ?? []).filter((r) => !r.startsWith('^'));
    if (condition !== undefined && !conditions.has(condition)) {
      conditions.set(condition, await constantCondition(model, byName, condition));
    }
    const known = condition === undefined ? undefined : conditions.get(condition);
    if (known === undefined) continue;
    taken.set(n.name, known.value ? 1 : 0);
    for (const input of known.inputs) inputs.add(input);
  }
  if (taken.size === 0 || [...taken.keys()].some((s) => keep.has(s))) return null;

  // Dead: what only the branch not taken computes. A node is dead where any of its inputs is; a Merge where all are.
  const dead = new Set<string>();
  const deadRef = (ref: string) => {
    const { node, port } = parse(ref);
    return dead.has(node) || (taken.has(node) && !ref.startsWith('^') && taken.get(node) !== port);
  };
  const merged = new Map<string, string>();
  for (const n of ordered(nodes, byName)) {
    const refs = n.input ?? [];
    if (n.op !== 'Merge') {
      if (refs.some(deadRef)) dead.add(n.name);
      continue;
    }
    const data = refs.filter((r) => !r.startsWith('^'));
    const live = data.filter((r) => !deadRef(r));
    if (live.length === 0) dead.add(n.name);
    else if (live.length === 1 && live.length < data.length) merged.set(n.name, live[0]);
  }
  if ([...merged.keys()].some((m) => keep.has(m))) return null;

  // What a live node reads instead: the Switch's data, the Merge's live input, until neither.
  const resolve = (ref: string): string | null => {
    let at = ref;
    for (let hops = 0; hops <= taken.size + merged.size; hops++) {
      const { node, port } = parse(at);
      if (taken.has(node) && taken.get(node) === port) {
        at = (byName.get(node)?.input ?? []).filter((r) => !r.startsWith('^'))[0] as string;
      } else if (merged.has(node)) {
        if (port !== 0) return null;
        at = merged.get(node) as string;
      } else {
        return at;
      }
    }
    return null;
  };
  const edits: { node: string; index: number; ref: string; was: string }[] = [];
  for (const n of nodes) {
    if (dead.has(n.name) || taken.has(n.name) || merged.has(n.name) || !n.input) continue;
    for (const [index, ref] of n.input.entries()) {
      const control = ref.startsWith('^');
      const base = control ? ref.slice(1) : ref;
      const { node, port } = parse(base);
      if (!taken.has(node) && !merged.has(node)) continue;
      if (control) {
        // An order after a Switch or Merge of the branch taken: after what it reads instead.
        const to = resolve(refOf(node, taken.get(node) ?? 0));
        if (to === null) return null;
        edits.push({ node: n.name, index, ref: `^${parse(to).node}`, was: ref });
        continue;
      }
      const to = resolve(refOf(node, port));
      if (to === null) return null;
      edits.push({ node: n.name, index, ref: to, was: ref });
    }
  }
  // The edits go to a GraphDef of the model's own, leaving the artifacts it was loaded from as they were.
  const own = ownGraphDef(model);
  if (!own) return null;
  const copies = new Map(own.nodes.map((n) => [n.name, n]));
  for (const e of edits) (copies.get(e.node)?.input as string[])[e.index] = e.ref;
  redirectGraphInputs(model, edits);
  forgetPlans(model);
  // Fed another value, the model would still run the branch this one chose: refused instead.
  const fixed = (name: string) =>
    new Error(
      `the model's input '${name}' is fixed: its value chooses branches (tf.cond), which toNetwork folded to run the ` +
        'ones the value it had chose; load the model again to feed it another',
    );
  const allow = inputs.size === 0 ? () => {} : refuseInputs(model, inputs, fixed);
  return {
    nodes: own.nodes,
    undo: () => {
      allow();
      redirectGraphInputs(
        model,
        edits.map((e) => ({ ...e, ref: e.was })),
      );
      own.restore();
      forgetPlans(model);
    },
  };
}
