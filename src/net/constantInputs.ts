/**
 * Values for the inputs of a model other than its image. TensorFlow 1 models often take a `keep_prob` or an
 * `is_training` beside the image, and TF.js's executor refuses to run them without one; a Keras model may take data
 * beside the image (a patient's age, a class label). `toNetwork`'s `constantInputs` gives each such input one value,
 * checked here against the dtype and shape the model declares, before anything is allocated. A converted graph then
 * holds it as one of its own constants, so that every pass (TF.js's executor, the library's own plans and gradients
 * alike) reads it as it reads a weight; a Keras network holds it in its engine, which feeds it to every pass. Not
 * exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { assertElements } from '../internal/limits.js';
import { assertTensor, describeValue, finiteAsFloat32, isTensor, rangeError, typeError } from '../internal/validate.js';
import { closestNames, listQuoted, someNames } from './closestNames.js';
import { countNonFinite } from './nonFinite.js';
import { constantInputOf, declaredInputShape, defaultInputs, feedConstants } from './tfjsInternals.js';

/**
 * One input's value in `constantInputs`: a number or boolean fills the input's shape; an array holds its values row by
 * row; a tensor is the value.
 */
export type ConstantInput = number | boolean | readonly number[] | readonly boolean[] | tf.Tensor;

const ARG = 'options.constantInputs';
/** Where a model file declares the values (as it declares its normalization), for messages. */
export const DECLARED_CONSTANT_INPUTS = 'userDefinedMetadata.cnnActivations.constantInputs';
/** A name as a JavaScript object literal writes it: as it is where it is an identifier, else quoted. */
const asKey = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));
/** `options.constantInputs.keep_prob`, or `options.constantInputs["dropout/keep_prob"]` for a name that needs it. */
const argOf = (name: string, base = ARG) => (asKey(name) === name ? `${base}.${name}` : `${base}[${asKey(name)}]`);
const EXAMPLE = '{ keep_prob: 1 }';

/**
 * Checks the option's form (`base`: where the values come from, the option or a model file's metadata), before the
 * model is looked at; returns it as a plain object of its own entries.
 */
export function checkConstantInputsOption(
  fn: string,
  value: unknown,
  base = ARG,
): Readonly<Record<string, ConstantInput>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isTensor(value) || value instanceof Map) {
    throw typeError(fn, base, `an object of input names and their values, such as ${EXAMPLE}`, value);
  }
  // Object.fromEntries makes each name an own property, `'__proto__'` too (an assignment would set the prototype).
  const entries = Object.entries(value);
  for (const [name, v] of entries) {
    if (typeof v === 'number') {
      if (!finiteAsFloat32(v)) throw rangeError(fn, argOf(name, base), 'a finite number', v);
    } else if (isTensor(v)) {
      assertTensor(fn, argOf(name, base), v, { dtypes: ['float32', 'int32', 'bool'] });
    } else if (Array.isArray(v)) {
      checkValueArray(fn, argOf(name, base), v);
    } else if (typeof v !== 'boolean') {
      throw typeError(fn, argOf(name, base), `${ONE_VALUE}, or a tf.Tensor`, v);
    }
  }
  // Arrays copied, so that a caller's later change is not fed unchecked.
  return Object.fromEntries(entries.map(([name, v]) => [name, Array.isArray(v) ? [...v] : v])) as Record<
    string,
    ConstantInput
  >;
}

/** What a value that is not a tensor may be. */
const ONE_VALUE = 'a number, a boolean, an array of numbers or of booleans';

/** Refuses an array that is empty, has holes, mixes kinds, or holds a number that is not finite in float32. */
function checkValueArray(fn: string, arg: string, value: readonly unknown[]): void {
  // Array.from, so that a hole reads as undefined (every() skips holes).
  const items = Array.from(value);
  const numbers = items.every((x) => typeof x === 'number');
  if (items.length === 0 || !(numbers || items.every((x) => typeof x === 'boolean'))) {
    throw typeError(fn, arg, `${ONE_VALUE} (not empty, one kind), or a tf.Tensor`, value);
  }
  const bad = numbers ? items.findIndex((x) => !finiteAsFloat32(x as number)) : -1;
  if (bad >= 0) throw rangeError(fn, `${arg}[${bad}]`, 'a finite number', items[bad]);
}

/** A model input as {@link graphInputs} reads it. */
interface DeclaredInput {
  /** The node's name (TF.js lists an input as `'x:0'` or `'x'`). */
  readonly name: string;
  readonly dtype: string | undefined;
  /** -1 for a size the model leaves open; undefined for an unknown rank. */
  readonly shape: readonly number[] | undefined;
}

/** One input to feed: what to make of the given value. */
interface Planned {
  readonly input: DeclaredInput;
  /** The value's name in messages (`options.constantInputs.keep_prob`). */
  readonly arg: string;
  readonly value: ConstantInput;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'bool';
}

/** The image input of a graph model and the values of its others, checked; {@link feedGraphInputs} feeds them. */
export interface GraphInputs {
  /** The image input's node name. */
  readonly image: string;
  readonly planned: readonly Planned[];
}

const nodeName = (name: string) => name.replace(/:0$/, '');
const shapeText = (shape: readonly number[] | undefined) => (shape ? `[${shape.join(', ')}]` : 'of unknown rank');

/**
 * Which of `model`'s inputs takes the image, and the values for the others: the one input that `given` does not name,
 * that no earlier network made from the same model was given a value for, and that has no default.
 * @throws {TypeError} for several inputs left without a value (the message lists them and shows the option), none
 *   left, or a value of the wrong kind for its input's dtype.
 * @throws {RangeError} for a name that is not an input, a value that does not fit its input's shape or dtype, or an
 *   input with a batch axis (a constant cannot follow the batch).
 */
export function graphInputs(
  fn: string,
  model: GraphModel,
  given: Readonly<Record<string, ConstantInput>> | undefined,
  base = ARG,
): GraphInputs {
  const inputs: DeclaredInput[] = model.inputs.map((i) => ({
    name: nodeName(i.name),
    dtype: i.dtype,
    shape: declaredInputShape(model, nodeName(i.name)),
  }));
  // An input with a default (a PlaceholderWithDefault: a TensorFlow 1 is_training that is false unless fed) keeps
  // it, and takes the image only where no other input can.
  return chooseInputs(fn, inputs, given, base, (name) => !!constantInputOf(model, name), defaultInputs(model));
}

/** A Keras model's input as {@link kerasInputs} reads it: its input layer's name and its symbolic tensor's. */
interface KerasInput {
  readonly dtype?: string;
  readonly shape: readonly (number | null)[];
  readonly sourceLayer: { readonly name: string };
}

/**
 * {@link graphInputs} for a Keras model: the input layers are named by their layer names, and each has a batch axis,
 * so a value is one image's (`[1, …]`, or a number filling that) and the network repeats it for every image of a batch.
 * Returns the image input's index among `model.inputs` and the values of the others.
 */
export function kerasInputs(
  fn: string,
  model: { readonly inputs: readonly KerasInput[] },
  given: Readonly<Record<string, ConstantInput>> | undefined,
  base = ARG,
): { image: number; planned: readonly Planned[] } {
  const inputs: DeclaredInput[] = model.inputs.map((i) => ({
    name: i.sourceLayer.name,
    dtype: i.dtype ?? 'float32',
    shape: i.shape.map((d) => d ?? -1),
  }));
  const chosen = chooseInputs(fn, inputs, given, base, () => false, new Set());
  return { image: inputs.findIndex((i) => i.name === chosen.image), planned: chosen.planned };
}

/**
 * The choice of {@link graphInputs} and {@link kerasInputs} among declared inputs: `fed` tells an input already given
 * a value (by an earlier network of the same model), `defaults` the inputs that keep a default when given none.
 */
function chooseInputs(
  fn: string,
  inputs: readonly DeclaredInput[],
  given: Readonly<Record<string, ConstantInput>> | undefined,
  base: string,
  fed: (name: string) => boolean,
  defaults: ReadonlySet<string>,
): GraphInputs {
  const names = inputs.map((i) => i.name);
  const named = Object.entries(given ?? {}).map(([key, value]) => {
    const input = inputs.find((i) => i.name === nodeName(key));
    if (!input) {
      throw new RangeError(
        `${fn}: '${base}' names '${key}', which is not an input of the model ` +
          (names.length === 1
            ? `(its one input, '${names[0]}', takes the image)`
            : `(its inputs: ${someNames(names, true)}); did you mean ${listQuoted(closestNames(key, names, 1))}?`),
      );
    }
    return { input, value };
  });
  const open = inputs.filter((i) => !named.some((n) => n.input === i) && !fed(i.name));
  const required = open.filter((i) => !defaults.has(i.name));
  const left = required.length > 0 ? required : open.filter((i) => i.shape?.length === 4);
  if (left.length === 1) {
    return { image: left[0].name, planned: named.map((n) => plan(fn, n.input, n.value, argOf(n.input.name, base))) };
  }
  if (left.length === 0) {
    throw new TypeError(
      `${fn}: '${base}' gives every input of the model a value (${someNames(names, false)}); ` +
        'leave out the one that takes the image',
    );
  }
  throw new TypeError(
    `${fn}: expected a model with one image input, got ${left.length} inputs (${someNames(
      left.map((i) => [i.name, i.dtype, shapeText(i.shape)].filter((part) => part !== undefined).join(' ')),
      false,
    )}); give the others a value that every pass uses as ${ARG}, such as ${exampleFor(left)}`,
  );
}

/** The option as it would give the first of `left` that is not an image a value (`{ keep_prob: 1 }`). */
function exampleFor(left: readonly DeclaredInput[]): string {
  const other = left.find((i) => i.shape?.length !== 4) ?? left[1];
  return `{ ${asKey(other.name)}: ${other.dtype === 'bool' ? 'false' : '1'} }`;
}

/** Whether a declared shape has a batch axis: a first axis left open (-1). */
const hasBatchAxis = (shape: readonly number[] | undefined) =>
  shape !== undefined && shape.length > 0 && shape[0] === -1;

/** The dtype and shape `value` is fed as, for `input`. */
function plan(fn: string, input: DeclaredInput, value: ConstantInput, arg: string): Planned {
  const dtype = input.dtype;
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new RangeError(
      `${fn}: '${arg}': the input takes dtype ${dtype ?? 'unknown'}; a constant input can be float32, int32 or bool`,
    );
  }
  // An input whose first axis is open is the batch's: it takes one image's value, [1, …], and the network then runs
  // a batch image by image (see batchedConstantInputs).
  const batched = hasBatchAxis(input.shape);
  const declared = batched ? [1, ...(input.shape as number[]).slice(1)] : input.shape;
  if (isTensor(value)) {
    if (value.dtype !== dtype) {
      throw typeError(fn, arg, `a tf.Tensor of dtype ${dtype} (the input's; cast it with tf.cast)`, value);
    }
    const fits =
      !declared || (declared.length === value.rank && declared.every((d, i) => d === -1 || d === value.shape[i]));
    if (!fits) {
      const what = batched ? ", one image's: the input's first axis is the batch's" : " (the input's)";
      throw rangeError(fn, arg, `a tf.Tensor of shape ${shapeText(declared)}${what}`, value);
    }
    return { input, arg, value, shape: value.shape, dtype };
  }
  if (Array.isArray(value)) return planArray(fn, input, value, arg, dtype, declared, batched);
  if (dtype === 'bool') {
    if (typeof value !== 'boolean') throw typeError(fn, arg, 'true or false (the input is bool)', value);
  } else if (typeof value !== 'number') {
    throw typeError(fn, arg, `a number (the input is ${dtype})`, value);
  } else if (dtype === 'int32' && !(Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31)) {
    throw rangeError(fn, arg, 'an int32 integer (the input is int32)', value);
  }
  const shape = declared ?? [];
  if (shape.some((d) => d < 0)) {
    throw rangeError(
      fn,
      arg,
      `a tf.Tensor of shape ${shapeText(shape)}: one ${typeof value} cannot say its size`,
      value,
    );
  }
  assertElements(fn, arg, shape, `input '${input.name}'`);
  return { input, arg, value, shape, dtype };
}

/**
 * {@link plan} for an array (checked by {@link checkValueArray}): its values fill the input's declared shape (one
 * image's where the input has a batch axis), row by row, so that shape must be known and hold as many values.
 */
function planArray(
  fn: string,
  input: DeclaredInput,
  value: readonly (number | boolean)[],
  arg: string,
  dtype: 'float32' | 'int32' | 'bool',
  declared: readonly number[] | undefined,
  batched: boolean,
): Planned {
  if (dtype === 'bool' ? typeof value[0] !== 'boolean' : typeof value[0] !== 'number') {
    throw typeError(
      fn,
      arg,
      dtype === 'bool' ? 'booleans (the input is bool)' : `numbers (the input is ${dtype})`,
      value,
    );
  }
  if (dtype === 'int32') {
    const bad = value.findIndex(
      (x) => !(Number.isInteger(x) && (x as number) >= -(2 ** 31) && (x as number) < 2 ** 31),
    );
    if (bad >= 0) throw rangeError(fn, `${arg}[${bad}]`, 'an int32 integer (the input is int32)', value[bad]);
  }
  if (!declared || declared.some((d) => d < 0)) {
    throw rangeError(fn, arg, `a tf.Tensor of shape ${shapeText(declared)}: an array cannot say its shape`, value);
  }
  assertElements(fn, arg, declared, `input '${input.name}'`);
  const size = declared.reduce((a, b) => a * b, 1);
  if (value.length !== size) {
    const of = batched ? `one image's shape ${shapeText(declared)}` : `shape ${shapeText(declared)}`;
    throw rangeError(
      fn,
      arg,
      `an array of ${size} value${size === 1 ? '' : 's'} (the input's ${of}, row by row)`,
      value,
    );
  }
  return { input, arg, value: value as ConstantInput, shape: declared, dtype };
}

/**
 * Feeds the planned values to `model` as its constants (a value equal to the one an earlier network gave is kept
 * as it is); returns what takes them back, for a network that fails after this.
 * @throws {RangeError} for a value that differs from the one an earlier network made from the same model gave: the
 *   model holds one value for all of them.
 */
export async function feedGraphInputs(fn: string, model: GraphModel, inputs: GraphInputs): Promise<() => void> {
  const made = new Map<string, tf.Tensor>();
  try {
    for (const p of inputs.planned) {
      const t = valueTensor(p);
      made.set(p.input.name, t);
      const values = await checkedValues(fn, p, t);
      const earlier = constantInputOf(model, p.input.name);
      if (earlier) {
        const same =
          earlier.dtype === t.dtype &&
          tf.util.arraysEqual(earlier.shape, t.shape) &&
          tf.util.arraysEqual(Array.from(await earlier.data()), Array.from(values));
        if (!same) {
          throw new RangeError(
            `${fn}: '${p.arg}' is ${describeValue(p.value)}, but another network made from this model ` +
              'gave the input another value, and the model holds one for all of them; load the model again for this one',
          );
        }
        made.delete(p.input.name);
        t.dispose();
      }
    }
  } catch (err) {
    tf.dispose([...made.values()]);
    throw err;
  }
  return feedConstants(model, made);
}

/** The tensor of a planned value: a copy of a tensor given, an array's values, or the shape filled with one value. */
function valueTensor(p: Planned): tf.Tensor {
  const size = p.shape.reduce((a, b) => a * b, 1);
  if (isTensor(p.value)) return tf.clone(p.value);
  if (Array.isArray(p.value)) return tf.tensor(p.value as number[] | boolean[], p.shape as number[], p.dtype);
  return p.dtype === 'bool'
    ? tf.tensor(new Array<boolean>(size).fill(p.value as boolean), p.shape as number[], 'bool')
    : tf.fill(p.shape as number[], p.value as number, p.dtype);
}

/**
 * The values of `t`, the tensor of `p`, read back.
 * @throws {RangeError} where a float32 value is not finite.
 */
async function checkedValues(fn: string, p: Planned, t: tf.Tensor): Promise<tf.TypedArray> {
  const values = await t.data();
  if (p.dtype === 'float32' && countNonFinite(values as Float32Array) > 0) {
    throw rangeError(fn, p.arg, 'a tf.Tensor of finite values', p.value);
  }
  return values;
}

/**
 * The tensors of a Keras model's planned values, by input layer name, each of one image (`[1, …]`), which the
 * network holds and repeats for every image of a batch.
 * @throws {RangeError} for a value that is not finite (nothing is left allocated).
 */
export async function kerasConstants(fn: string, planned: readonly Planned[]): Promise<Map<string, tf.Tensor>> {
  const made = new Map<string, tf.Tensor>();
  try {
    for (const p of planned) {
      const t = valueTensor(p);
      made.set(p.input.name, t);
      await checkedValues(fn, p, t);
    }
  } catch (err) {
    tf.dispose([...made.values()]);
    throw err;
  }
  return made;
}
