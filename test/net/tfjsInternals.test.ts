import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { describe, expect, it } from 'vitest';
import { graphNodeNames, TFJS_CONVERTER_CHECKED } from '../../src/net/tfjsInternals.js';

// The library reads one TF.js internal (src/net/tfjsInternals.ts). These tests fail when @tensorflow/tfjs-converter
// changes version or the field moves, so that an upgrade re-checks the reader instead of silently losing "did you
// mean" suggestions for plain GraphModels.

const require = createRequire(import.meta.url);

describe('TF.js internals the library reads', () => {
  it(`were checked against the installed @tensorflow/tfjs-converter (${TFJS_CONVERTER_CHECKED})`, () => {
    const pkg = JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-converter/package.json'), 'utf8'));
    expect(pkg.version).toBe(TFJS_CONVERTER_CHECKED);
  });

  it('graphNodeNames reads every node of a loaded GraphModel, constants and helpers included', async () => {
    const node = (name: string, op: string, input: string[] = [], attr: object = {}) => ({ name, op, input, attr });
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            node('x', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }] } } }),
            node('two', 'Const', [], {
              dtype: { type: 'DT_FLOAT' },
              value: { tensor: { dtype: 'DT_FLOAT', tensorShape: {} } },
            }),
            node('y', 'Mul', ['x', 'two'], { T: { type: 'DT_FLOAT' } }),
          ],
          versions: { producer: 1 },
        },
        weightSpecs: [{ name: 'two', shape: [], dtype: 'float32' }],
        weightData: new Float32Array([2]).buffer,
      }),
    );
    expect(graphNodeNames(model)).toEqual(new Set(['x', 'two', 'y']));
    model.dispose();
  });
});
