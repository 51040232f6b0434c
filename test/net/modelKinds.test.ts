/**
 * A package's model object given where a TF.js model or a Network belongs (nsfwjs, tfjs-models' classifiers and
 * Teachable Machine's `CustomMobileNet` keep their TF.js model as `model`): each function's refusal names the field
 * and says what to do with it. A loaded model given to importNetwork is called so, not taken for an IO handler.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { activations } from '../../src/net/activations.js';
import { classify } from '../../src/net/classify.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { wrappedModel } from '../../src/net/modelKinds.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadUserGraph } from '../helpers/userGraph.js';

/** A package's model class, as nsfwjs's or Teachable Machine's: the TF.js model in a field. */
class PackageModel {
  readonly labels = ['a', 'b', 'c'];
  constructor(readonly model: unknown) {}
}

const SOURCE =
  "importNetwork: expected 'source' to be a model.json path or URL, the model's files (File objects), or a " +
  'tf.io.IOHandler with load(), got ';

let keras: tfl.LayersModel;
let graph: GraphModel;
beforeAll(async () => {
  keras = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
  graph = await loadUserGraph();
});
afterAll(() => {
  keras.dispose();
  graph.dispose();
});

describe("a package's model object where a model belongs", () => {
  it('names the field that holds a Keras model, and what to do with it', async () => {
    const wrapper = new PackageModel(keras);
    const none = { normalization: 'none' } as const;
    await expectThrowsNoLeak(
      () => toNetwork(wrapper as never, none),
      TypeError,
      "toNetwork: expected 'model' to be a loaded tf.GraphModel or tf.LayersModel, got an instance of PackageModel, " +
        "whose 'model' is a tf.LayersModel: give that",
    );
    await expectThrowsNoLeak(
      () => importNetwork(wrapper as never, none),
      TypeError,
      `${SOURCE}an instance of PackageModel, whose 'model' is a tf.LayersModel: make a Network of that with toNetwork`,
    );
    const img = tf.zeros([8, 8, 3]);
    await expectThrowsNoLeak(
      () => activations(wrapper as never, img, 'x' as never),
      TypeError,
      "activations: expected 'net' to be a loaded Network or a tf.GraphModel, got an instance of PackageModel, " +
        "whose 'model' is a tf.LayersModel: make a Network of that with toNetwork",
    );
    await expectThrowsNoLeak(
      () => gradCAM(wrapper as never, img, 0),
      TypeError,
      /^gradCAM: expected 'net' to be a loaded Network.*, got an instance of PackageModel, whose 'model' is a tf\.LayersModel: make a Network of that with toNetwork$/,
    );
    img.dispose();
  });

  it('names the field that holds a graph model: activations takes that as it is', async () => {
    const wrapper = new PackageModel(graph);
    const img = tf.zeros([32, 32, 3]);
    await expectThrowsNoLeak(
      () => activations(wrapper as never, img, 'conv' as never),
      TypeError,
      "activations: expected 'net' to be a loaded Network or a tf.GraphModel, got an instance of PackageModel, " +
        "whose 'model' is a tf.GraphModel: give that",
    );
    await expectThrowsNoLeak(
      () => classify(wrapper as never, img),
      TypeError,
      "classify: expected 'net' to be a loaded Network, got an instance of PackageModel, whose 'model' is a " +
        'tf.GraphModel: make a Network of that with toNetwork',
    );
    // The graph model itself, where a Network alone will do.
    await expectThrowsNoLeak(
      () => classify(graph as never, img),
      TypeError,
      "classify: expected 'net' to be a loaded Network, got an instance of GraphModel: make a Network of it with " +
        'toNetwork',
    );
    img.dispose();
  });

  it("refuses a package's object that loads its model itself, and never calls its load()", async () => {
    // Shaped as nsfwjs's NSFWJS: a `model` field, and a load() that loads the model again.
    class Loader {
      loads = 0;
      constructor(public model: unknown) {}
      async load() {
        this.loads += 1;
      }
    }
    const nsfw = new Loader(keras);
    await expectThrowsNoLeak(
      () => importNetwork(nsfw as never, { normalization: 'none' }),
      TypeError,
      `${SOURCE}an instance of Loader, whose 'model' is a tf.LayersModel: make a Network of that with toNetwork`,
    );
    expect(nsfw.loads).toBe(0);
  });

  it("says what an IO handler's load() gave where it gave no model artifacts", async () => {
    for (const [gave, said] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [42, '42 (number)'],
    ] as const) {
      await expectThrowsNoLeak(
        () => importNetwork({ load: async () => gave } as never, { normalization: 'none' }),
        TypeError,
        `importNetwork: the model from the given ioHandler is ${said}, not model artifacts (the modelTopology, ` +
          "weightSpecs and weightData that an IO handler's load() gives)",
      );
    }
  });

  it('calls a loaded model given to importNetwork what it is (a graph model has a load() of its own)', async () => {
    for (const [model, name] of [
      [graph, 'GraphModel'],
      [keras, 'Sequential'],
    ] as const) {
      await expectThrowsNoLeak(
        () => importNetwork(model as never, { normalization: 'none' }),
        TypeError,
        `${SOURCE}an instance of ${name}, a model loaded already: give that to toNetwork`,
      );
    }
  });

  it('looks only at the data fields packages keep a model in, and at none of an object that refuses', () => {
    let read = false;
    const getter = Object.defineProperty({}, 'model', {
      enumerable: true,
      get: () => {
        read = true;
        return keras;
      },
    });
    expect(wrappedModel(getter)).toBeNull();
    expect(read).toBe(false);
    const hostile = new Proxy(
      {},
      {
        getOwnPropertyDescriptor: () => {
          throw new Error('no');
        },
      },
    );
    expect(wrappedModel(hostile)).toBeNull();
    // Only the names packages use are looked at, never the list of an object's keys (of any length: a typed array
    // of 100 million values given as 'net').
    let listed = false;
    const counted = new Proxy(
      { model: keras },
      {
        ownKeys: (target) => {
          listed = true;
          return Reflect.ownKeys(target);
        },
      },
    );
    expect(wrappedModel(counted)).toEqual({ key: 'model', kind: 'tf.LayersModel' });
    expect(listed).toBe(false);
    expect(wrappedModel({ weights: keras })).toBeNull();
    expect(wrappedModel({ net: keras })).toEqual({ key: 'net', kind: 'tf.LayersModel' });
    expect([wrappedModel(keras), wrappedModel(graph), wrappedModel(null), wrappedModel('model')]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });
});
