/**
 * importNetwork given the model's files as `File` objects (what a page's file input or drop gives): the model.json
 * and the weight files it lists, in any order, found by name; what is missing or wrong is said, naming the files.
 * Oracle: the same model imported from its folder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLimits } from '../../src/internal/limits.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { predict } from '../../src/net/predict.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { writeModelFiles } from '../helpers/userGraph.js';

const NONE = { normalization: 'none' } as const;
const HINT = 'choose the model.json and the weight files it lists';

let dir: string;
let json: File;
let weights: File;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'model-files-'));
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 64, kernelSize: 3, activation: 'relu', name: 'conv' }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 3, activation: 'softmax', name: 'fc' }),
    ],
  });
  await writeModelFiles(dir, model);
  model.dispose();
  json = new File([readFileSync(path.join(dir, 'model.json'))], 'model.json');
  weights = new File([readFileSync(path.join(dir, 'weights.bin'))], 'weights.bin');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importNetwork: the model files a page gives, as File objects', () => {
  it('imports them in any order, with other files among them, as from their folder', async () => {
    const labels = new File(['a\nb\nc'], 'labels.txt');
    const fromFolder = await importNetwork(dir, NONE);
    const x = tf.randomUniform([2, 8, 8, 3], 0, 255, 'float32', 3);
    const want = predict(fromFolder, x);
    for (const files of [
      [json, weights],
      [weights, labels, json],
    ]) {
      const net = await importNetwork(files, NONE);
      expect(net.layerNames).toEqual(fromFolder.layerNames);
      const got = predict(net, x);
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      tf.dispose(got);
      net.dispose();
    }
    tf.dispose([x, want]);
    fromFolder.dispose();
  });

  it('says what is missing or wrong among them, before TF.js makes any tensor', async () => {
    await expectThrowsNoLeak(
      () => importNetwork([json], NONE),
      Error,
      `importNetwork: the model file model.json lists the weight file "weights.bin", which is not among the files given ` +
        `(model.json); ${HINT}`,
    );
    await expectThrowsNoLeak(
      () => importNetwork([weights], NONE),
      Error,
      `importNetwork: no model.json among the files given (weights.bin); ${HINT}`,
    );
    const other = new File(['{}'], 'labels.json');
    const renamed = new File([json], 'net.json');
    await expectThrowsNoLeak(
      () => importNetwork([renamed, other, weights], NONE),
      Error,
      `importNetwork: several JSON files and none named model.json among the files given (net.json, labels.json, ` +
        `weights.bin); ${HINT}`,
    );
    // The one JSON file is the model's, whatever its name.
    const net = await importNetwork([weights, renamed], NONE);
    net.dispose();
    const h5 = new File([Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])], 'model.h5');
    await expectThrowsNoLeak(
      () => importNetwork([h5], NONE),
      Error,
      'importNetwork: model.h5 is a Keras HDF5 file (.h5), not a TF.js model.json: convert it once with ' +
        `tensorflowjs_converter --input_format keras model.h5 out/ and import out/model.json; ${HINT}`,
    );
    // Each file's size is checked before it is read: the weight file (7 kB) is larger than the model.json here.
    expect(weights.size).toBeGreaterThan(json.size);
    const before = setLimits({ maxFileBytes: weights.size - 1 });
    try {
      const count = (n: number) => n.toLocaleString('en-US');
      await expectThrowsNoLeak(
        () => importNetwork([json, weights], NONE),
        RangeError,
        `importNetwork: the weight file weights.bin is ${count(weights.size)} bytes; the limit is ` +
          `${count(weights.size - 1)} bytes (limits.maxFileBytes; raise it with setLimits)`,
      );
    } finally {
      setLimits(before);
    }
    // Many files are named a dozen at most; an array longer than limits.maxListLength is refused before it is read.
    const many = Array.from({ length: 20 }, (_, i) => new File(['x'], `f${i}.txt`));
    const first = many.slice(0, 12).map((f) => f.name);
    await expectThrowsNoLeak(
      () => importNetwork(many, NONE),
      Error,
      `importNetwork: no model.json among the files given (${first.join(', ')} and 8 more); ${HINT}`,
    );
    const list = setLimits({ maxListLength: 19 });
    try {
      await expectThrowsNoLeak(
        () => importNetwork(many, NONE),
        RangeError,
        "importNetwork: expected 'source' to be an array of at most 19 entries (limits.maxListLength; raise it with " +
          `setLimits), got [${Array(6).fill('an instance of File').join(', ')}, ...] (array of length 20)`,
      );
    } finally {
      setLimits(list);
    }
    await expectThrowsNoLeak(
      () => importNetwork([] as File[], NONE),
      TypeError,
      "importNetwork: expected 'source' to be a model.json path or URL, the model's files (File objects), or a " +
        'tf.io.IOHandler with load(), got [] (array of length 0)',
    );
  });

  it('reads the class names from a labels file given as a File too, held to the file limit', async () => {
    const labels = new File(['["a", "b", "c"]'], 'labels.json');
    const net = await importNetwork([json, weights], { ...NONE, classNames: labels });
    expect(net.classNames).toEqual(['a', 'b', 'c']);
    net.dispose();
    const fromFolder = await importNetwork(dir, { ...NONE, classNames: new Blob(['x\ny\nz\n']) });
    expect(fromFolder.classNames).toEqual(['x', 'y', 'z']);
    fromFolder.dispose();
    await expectThrowsNoLeak(
      () => importNetwork(dir, { ...NONE, classNames: new File(['["a", 1]'], 'bad.json') }),
      Error,
      'importNetwork: the labels file bad.json must hold a JSON array of strings',
    );
    // Names longer than the model's files: a limit that the model's files meet and the labels file does not.
    const long = new File([['a', 'b', 'c'].map((c) => c.repeat(4000)).join('\n')], 'labels.txt');
    const before = setLimits({ maxFileBytes: weights.size });
    try {
      const count = (n: number) => n.toLocaleString('en-US');
      await expectThrowsNoLeak(
        () => importNetwork([json, weights], { ...NONE, classNames: long }),
        RangeError,
        `importNetwork: the labels file labels.txt is ${count(long.size)} bytes; the limit is ${count(weights.size)} ` +
          'bytes (limits.maxFileBytes; raise it with setLimits)',
      );
    } finally {
      setLimits(before);
    }
  });
});
