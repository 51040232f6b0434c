/**
 * The `cnn-activations` command (dist/cli.js, the package's bin): help, a run per option, and every kind of failure
 * with its exit code (0 done, 1 failed while running, 2 bad command line).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NSFW_CLASSES, writeThirdPartyModel } from '../../examples/your-model/nsfwjsModels.js';
import { initBackend } from '../../src/backend/initBackend.js';
import { crop, ensureBuilt, readPng, ROOT } from '../helpers/figures.js';
import { writeTeachableMachineModel } from '../helpers/teachableMachine.js';
import { writeModelFiles, writeUserGraph } from '../helpers/userGraph.js';

const OUT = path.join(ROOT, 'test-artifacts', 'cli');
const FACE = 'examples/images/face.png';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  // Every line counts, driver warnings included; blank lines do not.
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l)
    .join('\n');
  return { status: r.status, stdout: r.stdout, stderr };
}

beforeAll(() => {
  ensureBuilt();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
});

describe('cnn-activations: quiet', () => {
  it('prints nothing on stderr on the cpu backend (no "install our node backend" banner)', () => {
    const r = spawnSync(
      process.execPath,
      ['dist/cli.js', FACE, '--layer', 'conv1', '--out', path.join(OUT, 'quiet.png'), '--backend', 'cpu'],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('prints nothing on stderr when it chooses the backend itself (no Dawn driver warnings)', () => {
    // With the optional `webgpu` package installed (a dev dependency here) and, on CI, only a software Vulkan
    // driver: Dawn warns on stderr whenever it sets up such a device, so the automatic choice asks a child process.
    const r = cli(FACE, '--layer', 'conv1', '--out', path.join(OUT, 'quiet-auto.png'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('cnn-activations --help / --version', () => {
  it('--help prints the usage and exits 0', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: cnn-activations <image> --layer <name|index> --out <file.png> [options]');
    for (const flag of [
      '--channels',
      '--grid',
      '--thumb',
      '--relu',
      '--strongest',
      '--backend',
      '--list-layers',
      '--model',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stderr).toBe('');
  });

  it('-h is --help', () => {
    expect(cli('-h').stdout).toBe(cli('--help').stdout);
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = cli('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('dist/cli.js starts with a shebang, so the bin runs as a program', () => {
    expect(readFileSync(path.join(ROOT, 'dist', 'cli.js'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});

describe('cnn-activations <image> --explain ... --out ...', () => {
  it('explains the top class with Grad-CAM: the image and the map over it', () => {
    const out = path.join(OUT, 'why.png');
    const r = cli(FACE, '--explain', 'gradcam', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("top class: wig (0.264); explaining 'wig' with gradcam on wasm");
    expect(r.stdout).toMatch(/wrote .*why\.png: 227×454×3 \(the image, and the gradcam map over it, in [\d.]+ s\)/);
    const png = readPng(out);
    expect([png.height, png.width, png.channels]).toEqual([227, 454, 3]);
  });

  it('explains a chosen class by index with occlusion sensitivity, quietly', () => {
    const out = path.join(OUT, 'occlusion.png');
    const r = cli(FACE, '--explain', 'occlusion', '--class', '903', '--out', out, '--backend', 'wasm', '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readPng(out).width).toBe(454);
  });

  it('explains several classes given with --class again: the image, then one map per class', () => {
    const out = path.join(OUT, 'occlusion-two.png');
    const args = ['--explain', 'occlusion', '--class', 'wig', '--class', '678', '--out', out, '--backend', 'wasm'];
    const r = cli(FACE, ...args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("top class: wig (0.264); explaining 'wig', 'neck brace' with occlusion on wasm");
    expect(r.stdout).toMatch(
      /wrote .*occlusion-two\.png: 227×681×3 \(the image, and the occlusion maps of 2 classes over it, in that order, in [\d.]+ s\)/,
    );
    const png = readPng(out);
    expect([png.height, png.width]).toEqual([227, 681]);
    // The two maps differ: the wig's is on the hair, the neck brace's elsewhere.
    const panel = (p: number) => crop(png, 0, 227 * p, 227, 227);
    const a = panel(1);
    const b = panel(2);
    expect(a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length).toBeGreaterThan(10);
  });

  it("draws the pixels' guided gradient in gray beside the image (gradientAttribution)", () => {
    const out = path.join(OUT, 'guided.png');
    const r = cli(FACE, '--explain', 'guided', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("top class: wig (0.264); explaining 'wig' with guided on wasm");
    expect(r.stdout).toMatch(/wrote .*guided\.png: 227×454×3 \(the image, and the guided map beside it, in [\d.]+ s\)/);
    const png = readPng(out);
    // Gray (three equal channels), bright on the eyes, nose and mouth, dark on the background beside the head.
    const [red, green] = [crop(png, 0, 227, 227, 227, 0), crop(png, 0, 227, 227, 227, 1)];
    expect(red).toEqual(green);
    const mean = (y: number, x: number, h: number, w: number) => {
      const cell = crop(png, y, 227 + x, h, w, 0);
      return cell.reduce((a, v) => a + v, 0) / cell.length;
    };
    expect(mean(70, 50, 90, 130)).toBeGreaterThan(4 * mean(0, 187, 60, 40));
  });

  it('writes no progress line into a pipe or a log: only a terminal gets the updating percentage', () => {
    const out = path.join(OUT, 'occlusion-piped.png');
    const r = cli(FACE, '--explain', 'occlusion', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^top class: wig \(0\.264\); explaining 'wig' with occlusion on wasm$/),
      expect.stringMatching(
        /^wrote .*occlusion-piped\.png: 227×454×3 \(the image, and the occlusion map over it, in [\d.]+ s\)$/,
      ),
    ]);
  });

  it('refuses an unknown method, a layer with --explain, and --class without it (exit 2)', () => {
    const bad = cli(FACE, '--explain', 'magic', '--out', 'x.png');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--explain must be one of gradcam, gradient, guided, occlusion, lime, got 'magic'");
    expect(cli(FACE, '--explain', 'lime', '--layer', 'conv1', '--out', 'x.png').stderr).toContain(
      '--explain explains a class; it takes no --layer',
    );
    expect(cli(FACE, '--layer', 'conv1', '--class', 'wig', '--out', 'x.png').stderr).toContain(
      '--class goes with --explain',
    );
  });
});

describe('cnn-activations <image> --layer ... --out ...', () => {
  it('writes the conv1 grid: 64 channels on 8×8, 904×904', () => {
    const out = path.join(OUT, 'conv1.png');
    const r = cli(FACE, '--layer', 'conv1', '--out', out, '--grid', '8x8', '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('conv1: 113×113×64 activations of examples/images/face.png (227×227×3) on wasm');
    expect(r.stdout).toContain(`wrote ${out}: 904×904 (64 channels)`);
    const png = readPng(out);
    expect([png.height, png.width, png.channels]).toEqual([904, 904, 1]);
  });

  it('writes JPEG for a .jpg --out, and takes --threads for the wasm backend', () => {
    const out = path.join(OUT, 'conv1.jpg');
    const r = cli(FACE, '--layer', 'conv1', '--out', out, '--backend', 'wasm', '--threads', '1');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}: 904×904 (64 channels)`);
    expect(Array.from(readFileSync(out).subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
  });

  it('takes a 0-based layer index, chosen channels, a thumbnail size and --relu', () => {
    const out = path.join(OUT, 'eyes.png');
    // index 35 = fire6-relu_squeeze1x1 (MATLAB's layer 36); channels 14 and 47 are indices 13 and 46
    const r = cli(FACE, '-l', '35', '-c', '13,46', '--thumb', '64x64', '--relu', '-o', out, '-b', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('fire6-relu_squeeze1x1: 14×14×48');
    const png = readPng(out);
    expect([png.height, png.width]).toEqual([64, 128]);
  });

  it('a grid with one side left out is completed from the channel count', () => {
    const out = path.join(OUT, 'fire6-6x.png');
    const r = cli(FACE, '--layer', 'fire6-squeeze1x1', '--grid', '6x', '--out', out, '-q', '-b', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(''); // --quiet
    const png = readPng(out);
    expect([png.height, png.width]).toEqual([6 * 64, 8 * 64]); // 14×14 channels enlarged to 64×64 by default
  });

  it('--strongest finds channel 14 (index 13) of fire6-squeeze1x1 and draws it beside the image', () => {
    const out = path.join(OUT, 'strongest.png');
    const r = cli(FACE, '--layer', 'fire6-squeeze1x1', '--strongest', '--out', out, '-b', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('strongest channel: 14 in MATLAB (index 13)');
    const png = readPng(out);
    expect([png.height, png.width, png.channels]).toEqual([227, 454, 3]);
  });

  it('--list-layers prints the layer table', () => {
    const r = cli('--list-layers', '-b', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('total learnables 1,235,496');
    expect(r.stdout).toMatch(/fire6-squeeze1x1\s+Convolution\s+14×14×48/);
  });
});

describe('cnn-activations: readable figures, honest words', () => {
  it("the help's --channels 13,46 example writes readable tiles: 14×14 channels enlarged to 64×64", () => {
    const out = path.join(OUT, 'eyes.png');
    const r = cli(FACE, '--layer', 'fire6-relu_squeeze1x1', '--channels', '13,46', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('each 14×14 channel enlarged to 64×64 (--thumb to choose)');
    const png = readPng(out);
    expect([png.height, png.width]).toEqual([64, 128]);
  });

  it('warns when a grid drops channels, and says how many it shows', () => {
    const out = path.join(OUT, 'grid3.png');
    const r = cli(FACE, '--layer', 'conv1', '--grid', '3x3', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('cnn-activations: warning: a 3×3 grid shows the first 9 of the 64 channels chosen');
    expect(r.stdout).toMatch(/wrote .*grid3\.png: 339×339 \(9 of 64 channels\)/);
  });

  it('says the image was resized with --resize', () => {
    const r = cli(
      'examples/images/astronaut.png',
      '--layer',
      'conv1',
      '--resize',
      '--out',
      path.join(OUT, 'astro.png'),
      '--backend',
      'wasm',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'conv1: 113×113×64 activations of examples/images/astronaut.png (512×512×3, resized to 227×227)',
    );
  });

  it('does not create the folder of --out', () => {
    const dir = path.join(OUT, 'not-there', 'deeper');
    const r = cli(FACE, '--layer', 'conv1', '--out', path.join(dir, 'x.png'), '--backend', 'wasm');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`cnn-activations: the folder of --out does not exist: ${dir} (create it first)`);
    expect(existsSync(path.join(OUT, 'not-there'))).toBe(false);
  });

  it('refuses a --thumb too large for the channels shown in its own words, not the library API (exit 1)', () => {
    const r = cli(FACE, '--layer', 'conv1', '--thumb', '2000x1500', '--out', 'x.png', '--backend', 'wasm', '-q');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'cnn-activations: --thumb 2000x1500 makes 192,000,000 values for the 64 channels shown, more than the ' +
        '134,217,728 the library works on at once; choose a smaller --thumb or fewer --channels',
    );
  });
});

describe('cnn-activations --model (your own model)', () => {
  // A real third-party Keras model from npm (nsfwjs's MobileNetV2, five classes), written as ordinary TF.js files.
  const MODEL_DIR = path.join(OUT, 'mobilenet_v2');
  const LABELS = path.join(OUT, 'nsfw-labels.txt');
  const model = ['--model', MODEL_DIR, '--normalization', 'rescale-zero-one'];
  beforeAll(async () => {
    await writeThirdPartyModel('mobilenet_v2', MODEL_DIR);
    writeFileSync(LABELS, `${NSFW_CLASSES.join('\n')}\n`);
  });

  it('--list-layers prints its layer table, by Keras names', () => {
    const r = cli(...model, '--list-layers', '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^model_1: 162 layers, input 224×224×3/);
    expect(r.stdout).toMatch(/\n\s+3\s+Conv1\s+Convolution\s+112×112×32\s/);
  });

  it('draws one of its layers, resized to its input size', () => {
    const out = path.join(OUT, 'user-conv1.png');
    const r = cli(FACE, ...model, '--layer', 'Conv1', '--resize', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'Conv1: 112×112×32 activations of examples/images/face.png (227×227×3, resized to 224×224) on wasm',
    );
    const png = readPng(out);
    expect([png.height, png.width]).toEqual([672, 672]);
  });

  it('explains its top class by the names of a labels file', () => {
    const out = path.join(OUT, 'user-why.png');
    const r = cli(FACE, ...model, '--labels', LABELS, '--explain', 'gradcam', '--resize', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/top class: Neutral \(0\.\d+\); explaining 'Neutral' with gradcam/);
    expect(readPng(out).width).toBe(448);
  });

  it("explains a Teachable Machine export's class by its metadata.json, one --mean and --std for every channel", async () => {
    const dir = path.join(OUT, 'teachable-machine');
    await initBackend({ backend: 'cpu' }); // its weights are tensors while it is written
    (await writeTeachableMachineModel(dir)).dispose();
    const out = path.join(OUT, 'user-why-tm.png');
    const tm = ['--model', dir, '--normalization', 'zscore', '--mean', '127', '--std', '127'];
    const labels = ['--labels', path.join(dir, 'metadata.json')];
    const r = cli(FACE, ...tm, ...labels, '--explain', 'gradcam', '--class', 'spoon', '--resize', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/explaining 'spoon' with gradcam/);
    // One value for --min and --max too: x / 127 - 1 is also rescale-symmetric from 0 to 254.
    const range = ['--normalization', 'rescale-symmetric', '--min', '0', '--max', '254'];
    const s = cli(FACE, '--model', dir, ...range, '--layer', 'out_relu', '--resize', '--out', out, '-q');
    expect(s.status, s.stderr).toBe(0);
  });

  it('without a labels file, explains a class by its index', () => {
    const out = path.join(OUT, 'user-why-index.png');
    const r = cli(FACE, ...model, '--explain', 'gradcam', '--class', '3', '--resize', '--out', out, '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(readPng(out).width).toBe(448);
  });

  it('refuses model flags without --model, an unknown normalization, and bad numbers (exit 2)', () => {
    const stray = cli('--normalization', 'none', '--list-layers');
    expect(stray.status).toBe(2);
    expect(stray.stderr).toContain('--normalization describes your own model; it goes with --model FILE');
    const cased = cli('--model', MODEL_DIR, '--normalization', 'Zscore', '--list-layers');
    expect(cased.status).toBe(2);
    expect(cased.stderr).toContain(
      "--normalization must be one of none, zerocenter, zscore, rescale-symmetric, rescale-zero-one, got 'Zscore'; did you mean 'zscore'?",
    );
    const mean = cli('--model', MODEL_DIR, '--normalization', 'zerocenter', '--mean', '1,x', '--list-layers');
    expect(mean.status).toBe(2);
    expect(mean.stderr).toContain("--mean must be numbers separated by commas (123.68,116.78,103.94), got '1,x'");
  });

  it("says what the model needs in the command's own flags (exit 1)", () => {
    const none = cli('--model', MODEL_DIR, '--list-layers');
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('say how the model expects its pixels with --normalization:');
    const zscore = cli('--model', MODEL_DIR, '--normalization', 'zscore', '--list-layers');
    expect(zscore.stderr).toContain("normalization 'zscore' needs --mean (one value per channel, or one for all)");
    const size = cli(...model, '--input-size', '10x10', '--list-layers');
    expect(size.stderr).toContain("expected --input-size to be [224, 224] (the Keras model's fixed input size)");
    // A graph of free input size (a hand detector from npm, ended before its loop): the flag as it is typed.
    const human = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..');
    const free = ['--model', path.join(human, 'models', 'handtrack.json'), '--model-output', 'Identity'];
    const unsized = cli(...free, '--normalization', 'none', '--list-layers', '--backend', 'wasm');
    expect(unsized.status).toBe(1);
    expect(unsized.stderr).toContain(
      'input size is not fixed ([1,-1,-1,3]); give the size it was trained at as --input-size HxW (e.g. 224x224)',
    );
    const missing = cli('--model', path.join(OUT, 'no-such-model'), '--normalization', 'none', '--list-layers');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the model file .*no-such-model \(it does not exist\)/);
  });

  it('asks which output of a model with several to end at, and ends there with --model-output', () => {
    // A face model from npm with three heads: gender, a pooled embedding, age.
    const faceres = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..');
    const model3 = ['--model', path.join(faceres, 'models', 'faceres.json'), '--normalization', 'rescale-zero-one'];
    const none = cli(...model3, '--list-layers', '--backend', 'wasm');
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(
      "got 3; pass --model-output, one of 'gender_pred/Sigmoid', 'global_pooling/Mean' or 'age_pred/Softmax'",
    );
    const age = cli(...model3, '--model-output', 'age_pred/Softmax', '--list-layers', '--backend', 'wasm');
    expect(age.status, age.stderr).toBe(0);
    expect(age.stdout.trimEnd()).toMatch(/\n\s*\d+\s+age_pred\/Softmax\s+Softmax\s+100\s[^\n]*$/);
    expect(age.stdout).not.toContain('gender_pred');
    // The gender head is one sigmoid value: explained as it is, with no class to name.
    const why = path.join(OUT, 'faceres-gender-why.png');
    const gender = ['--model-output', 'gender_pred/Sigmoid', '--explain', 'gradcam', '--resize', '--out', why];
    const one = cli(FACE, ...model3, ...gender, '--backend', 'wasm');
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(
      /^output 'gender_pred\/Sigmoid': 0\.\d{3} \(one value\); explaining it with gradcam on wasm$/m,
    );
  });

  it('makes a color image gray for a model of gray images (MATLAB’s rgb2gray), and says so', () => {
    // @vladmandic/human's emotion model takes 64×64 gray faces.
    const models = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..');
    const emotion = ['--model', path.join(models, 'models', 'emotion.json'), '--normalization', 'rescale-zero-one'];
    const out = path.join(OUT, 'emotion-layer.png');
    const r = cli(FACE, ...emotion, '--layer', '2', '--resize', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'activations of examples/images/face.png (227×227×3, made gray, resized to 64×64) on wasm',
    );
    const why = path.join(OUT, 'emotion-why.png');
    const e = cli(FACE, ...emotion, '--explain', 'gradcam', '--resize', '--out', why, '--backend', 'wasm', '-q');
    expect(e.status, e.stderr).toBe(0);
    expect(readPng(why).width).toBe(128);
    // A dream from the image starts from it made gray too: one gray image per channel.
    const dream = path.join(OUT, 'emotion-dream.png');
    const d = cli(
      FACE,
      ...emotion,
      '--dream',
      '-l',
      '5',
      '-c',
      '0,1',
      '--levels',
      '1',
      '--resize',
      '-o',
      dream,
      '-b',
      'wasm',
    );
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toContain('from examples/images/face.png (227×227×3, made gray, resized to 64×64), 1 level');
    const png = readPng(dream);
    expect([png.height, png.width, png.channels]).toEqual([64, 128, 1]);
  });

  it('feeds the image after a detector’s preprocessing loop with --model-input, as its refusal says', () => {
    // @vladmandic/human's hand detector: TensorFlow's object detection SSD, which resizes its image in a loop.
    const models = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..');
    const classes =
      'StatefulPartitionedCall/WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead/ClassPredictor/BiasAdd';
    const ssd = ['--model', path.join(models, 'models', 'handtrack.json'), '--normalization', 'rescale-symmetric'];
    const cut = [...ssd, '--input-size', '320x320', '--model-output', classes];
    const refused = cli(...cut, '--list-layers', '--backend', 'wasm');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      "pass --model-input 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack', where the first " +
        'convolution reads it',
    );
    const input = ['--model-input', 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack'];
    const out = path.join(OUT, 'handtrack-classes.png');
    // Without --input-size: the size the loop gives (320×320) is found by running it.
    const fed = [...ssd, '--model-output', classes, ...input];
    const r = cli(FACE, ...fed, '--layer', classes, '--resize', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('40×40×48 activations of examples/images/face.png (227×227×3, resized to 320×320)');
  });

  it('explains a channel of a model that does not classify with --class, as MATLAB does (else exit 1)', () => {
    // MoveNet (from npm) ends in 17 keypoints (y, x, confidence), not one score per class.
    const models = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..');
    const movenet = ['--model', path.join(models, 'models', 'movenet-lightning.json'), '--normalization', 'none'];
    const unnamed = cli(FACE, ...movenet, '--explain', 'gradcam', '--resize', '--out', 'x.png', '--backend', 'wasm');
    expect(unnamed.status).toBe(1);
    expect(unnamed.stderr.trim()).toBe(
      "cnn-activations: --explain explains a class, and network does not classify: its output 'Identity' is 1×17×3, " +
        'not one score per class; each method explains one of its 3 channels, summed over the output, ' +
        'with --class N (0-based); or look at its layers with --layer (--list-layers lists them)',
    );
    const beyond = cli(FACE, ...movenet, '--explain', 'lime', '--class', '3', '--resize', '--out', 'x.png');
    expect(beyond.status).toBe(1);
    expect(beyond.stderr.trim()).toBe(
      "cnn-activations: --class 3: the output 'Identity' of network (1×17×3) has 3 channels; give one of 0 to 2",
    );
    // The keypoints' confidence, summed: which parts of the face the pose depends on; Grad-CAM reduces the output to
    // that sum (MATLAB's reductionFcn).
    for (const method of ['occlusion', 'gradcam']) {
      const out = path.join(OUT, `movenet-${method}.png`);
      const args = ['--explain', method, '--class', '2', '--resize', '--out', out, '--backend', 'wasm'];
      const r = cli(FACE, ...movenet, ...args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`explaining channel 2 of 'Identity' (1×17×3), summed over the output, with ${method}`);
      expect(readPng(out)).toMatchObject({ width: 384, height: 192 });
    }
    // Two channels: a Grad-CAM map each, reduced to that channel's sum.
    const out = path.join(OUT, 'movenet-two.png');
    const two = cli(FACE, ...movenet, '--explain', 'gradcam', '--class', '0', '--class', '2', '--resize', '--out', out);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).toContain(
      "explaining channels 0, 2 of 'Identity' (1×17×3), summed over the output, with gradcam",
    );
    expect(two.stdout).toMatch(/\(the image, and the gradcam maps of 2 channels over it, in that order, in [\d.]+ s\)/);
    expect(readPng(out)).toMatchObject({ width: 576, height: 192 });
  });

  it('explains a model that ends in one number per image (an output of size []) as one value', async () => {
    // A converted graph whose output 'total' sums its last axis away, as a regression's graph may squeeze it.
    await initBackend({ backend: 'cpu' }); // its weights are tensors while it is written
    const model = await writeUserGraph(path.join(OUT, 'scalar-graph'), 'gated');
    const args = ['--model', model, '--normalization', 'rescale-zero-one', '--model-output', 'total'];
    const out = path.join(OUT, 'scalar-occlusion.png');
    const r = cli(FACE, ...args, '--explain', 'occlusion', '--resize', '--out', out, '--backend', 'cpu');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^output 'total': -?\d+\.\d{3} \(one value\); explaining it with occlusion on cpu$/m);
    expect(readPng(out)).toMatchObject({ width: 64, height: 32 });
  });
});

describe('cnn-activations: a graph with inputs beside the image (--model-constant)', () => {
  it('asks for their values in its own flags, and runs with them (else exit 1 or 2)', async () => {
    await initBackend({ backend: 'cpu' }); // its weights are tensors while it is written
    const model = await writeUserGraph(path.join(OUT, 'side-inputs-graph'), 'side-inputs');
    const base = ['--model', model, '--normalization', 'none', '--list-layers', '--backend', 'cpu'];
    const none = cli(...base);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(
      'importNetwork: expected a model with one image input, got 3 inputs (x float32 [-1, 32, 32, 3], keep_prob ' +
        'float32 [], is_training bool []); give the others a value that every pass uses as --model-constant ' +
        'NAME=VALUE (keep_prob=1)',
    );
    const wrong = cli(...base, '--model-constant', 'keep_prob=0.5', '--model-constant', 'is_training=1');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(
      'importNetwork: expected --model-constant is_training=… to be true or false (the input is bool), got 1 (number)',
    );
    const bad = cli(...base, '--model-constant', 'keep_prob');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      '--model-constant must be NAME=VALUE, the value a number, true or false, or a list of either (keep_prob=1, ' +
        "meta=63,1,0,0.5), got 'keep_prob'",
    );
    const twice = cli(...base, '--model-constant', 'keep_prob=1', '--model-constant', 'keep_prob=0.5');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain("--model-constant gives 'keep_prob' twice; give each input once");
    const proto = cli(...base, '--model-constant', '__proto__=1');
    expect(proto.status).toBe(1);
    expect(proto.stderr).toContain("importNetwork: --model-constant names '__proto__', which is not an input");
    const ok = cli(...base, '--model-constant', 'keep_prob=0.5', '--model-constant', 'is_training=false');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ *8 +pick +Other +6 /m);
  });

  it('gives the data beside the image of a Keras model file the same way', async () => {
    await initBackend({ backend: 'cpu' });
    const meta = tfl.input({ shape: [4], name: 'meta' });
    const img = tfl.input({ shape: [8, 8, 3], name: 'img' });
    const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: 'conv' }).apply(img) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(conv) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate({ name: 'cat' }).apply([gap, meta]) as tfl.SymbolicTensor;
    const fc = tfl.layers.dense({ units: 2, name: 'fc' }).apply(cat) as tfl.SymbolicTensor;
    const keras = tfl.model({ inputs: [meta, img], outputs: fc });
    const model = await writeModelFiles(path.join(OUT, 'meta-keras'), keras);
    keras.dispose();
    const base = ['--model', model, '--normalization', 'none', '--list-layers', '--backend', 'cpu'];
    const none = cli(...base);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(
      'importNetwork: expected a model with one image input, got 2 inputs (meta float32 [-1, 4], img float32 ' +
        '[-1, 8, 8, 3]); give the others a value that every pass uses as --model-constant NAME=VALUE (meta=1)',
    );
    const ok = cli(...base, '--model-constant', 'meta=0.5');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ *4 +cat +Depth concatenation /m);
    // A list gives one image's values.
    const listed = cli(...base, '--model-constant', 'meta=63,1,0,0.5');
    expect(listed.status, listed.stderr).toBe(0);
    const short = cli(...base, '--model-constant', 'meta=63,1');
    expect(short.status).toBe(1);
    expect(short.stderr).toContain(
      "importNetwork: expected --model-constant meta=… to be an array of 4 values (the input's one image's shape " +
        '[1, 4], row by row), got [63, 1] (array of length 2)',
    );
  });
});

describe('cnn-activations: a model whose weights hold NaN', () => {
  it('refuses to explain it, and shows its layers only on the backend that keeps NaN (in its own words)', async () => {
    await initBackend({ backend: 'cpu' }); // its weights are tensors while it is written
    const model = await writeUserGraph(path.join(OUT, 'nan-graph'), 'softmax');
    // The first convolution's filter (the file's first 3×3×3×6 float32 values) all NaN: a damaged file.
    const bin = path.join(path.dirname(model), 'weights.bin');
    const bytes = readFileSync(bin);
    Buffer.from(new Float32Array(162).fill(Number.NaN).buffer).copy(bytes, 0);
    writeFileSync(bin, bytes);
    const args = ['--model', model, '--normalization', 'none', '--resize', '--out', path.join(OUT, 'nan.png')];
    const held = "the layer 'conv' (index 1) holds NaN in its Weights (162 of 162 values)";
    const why = cli(FACE, ...args, '--explain', 'gradcam', '--backend', 'wasm');
    expect(why.status).toBe(1);
    // Its top class is looked up first: classify refuses it.
    expect(why.stderr).toContain(`cnn-activations: classify: ${held}: such a network computes NaN`);
    const layer = cli(FACE, ...args, '--layer', 'relu', '--backend', 'wasm');
    expect(layer.status).toBe(1);
    expect(layer.stderr.trim()).toBe(
      `cnn-activations: activations: ${held}, and the wasm backend turns NaN into finite numbers in places (a ` +
        'fused ReLU gives 0), so these activations would not be what the network computes; the cpu backend keeps ' +
        'NaN: --backend cpu',
    );
    // On cpu: its layer as computed, NaN drawn white as MATLAB's mat2gray does, and said so.
    const cpu = cli(FACE, ...args, '--layer', 'relu', '--backend', 'cpu');
    expect(cpu.status, cpu.stderr).toBe(0);
    expect(cpu.stderr).toBe(
      'cnn-activations: warning: 1,536 of the 1,536 values shown are NaN, drawn white (mat2gray maps NaN to 1, as ' +
        'MATLAB does)',
    );
  });
});

describe('cnn-activations <image>... --tsne --out ...', () => {
  it("places several images by t-SNE of the layer before the softmax, each drawn where it landed (MATLAB's tsne)", async () => {
    const out = path.join(OUT, 'tsne.png');
    const images = ['examples/images/astronaut.png', 'examples/images/face-eye-closed.png', FACE];
    const r = cli(...images, '--tsne', '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      't-SNE of 3 images by pool10 (rows [3, 1000]), perplexity 1, learning rate 3, on wasm',
      expect.stringMatching(
        /^wrote .*tsne\.png: 640×640×3, each image where t-SNE put it \(loss [\d.]+, in [\d.]+ s\)$/,
      ),
    ]);
    const png = readPng(out);
    expect([png.height, png.width, png.channels]).toEqual([640, 640, 3]);
    // The face, drawn last, is whole somewhere on the canvas: its 64×64 thumbnail (MATLAB's imresize of the image at
    // the network's input size), to within 1 of each value.
    await initBackend({ backend: 'cpu' });
    const { imread, imresize } = await import('../../src/index.js');
    const face = await imread(FACE);
    const thumb = imresize(face, [64, 64]);
    const want = Uint8Array.from(await thumb.data());
    face.dispose();
    thumb.dispose();
    let found = 0;
    for (let y = 0; y <= 576 && !found; y++) {
      for (let x = 0; x <= 576 && !found; x++) {
        if (Math.abs(png.pixels[(y * 640 + x) * 3] - want[0]) > 1) continue;
        const block = crop(png, y, x, 64, 64);
        if (block.every((v, k) => Math.abs(v - want[k]) <= 1)) found++;
      }
    }
    expect(found).toBe(1);
    // Everything else white: two more thumbnails at most.
    const white = png.pixels.filter((v, k) => k % 3 === 0 && v === 255).length;
    expect(640 * 640 - white).toBeLessThanOrEqual(3 * 64 * 64);
  });

  it('refuses one image, a perplexity past the images, and --perplexity without --tsne (exit 2)', () => {
    const out = path.join(OUT, 'tsne-bad.png');
    for (const [args, message] of [
      [[FACE, '--tsne', '-o', out], '--tsne places several images, at least 2; got 1'],
      [
        [FACE, FACE, '--tsne', '--perplexity', '2', '-o', out],
        "--perplexity must be at most the number of images less one (1), got '2'",
      ],
      [[FACE, FACE, '--tsne', '--perplexity', 'x', '-o', out], "--perplexity must be a positive number, got 'x'"],
      [
        [FACE, FACE, '--tsne', '--resize', '-o', out],
        "--tsne resizes every image to the network's input size; it takes no --resize",
      ],
      [[FACE, FACE, '--tsne', '--explain', 'gradcam', '-o', out], '--tsne places whole images; it takes no --explain'],
      [[FACE, '--layer', 'conv1', '--perplexity', '2', '-o', out], '--perplexity goes with --tsne'],
      [[FACE, '--layer', 'conv1', '--learn-rate', '100', '-o', out], '--learn-rate goes with --tsne'],
      [[FACE, FACE, '--tsne', '--learn-rate', '0', '-o', out], "--learn-rate must be a positive number, got '0'"],
    ] as const) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`cnn-activations: ${message}\nTry 'cnn-activations --help'.`);
    }
  });
});

describe('cnn-activations --dream --layer ... --out ...', () => {
  /** The pixels of tile `k` of a figure of 227×227 tiles, `cols` to a row. */
  const tile = (png: ReturnType<typeof readPng>, k: number, cols: number) =>
    crop(png, 227 * Math.floor(k / cols), 227 * (k % cols), 227, 227);
  const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

  it("grows an image for each channel chosen, from noise, in --channels' order (MATLAB's deepDreamImage)", () => {
    const out = path.join(OUT, 'dream-conv1.png');
    const args = ['--dream', '--layer', 'conv1', '--channels', '0,1,2', '--levels', '1', '--iterations', '2'];
    const r = cli(...args, '--out', out, '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      "dreaming 3 channels of conv1: 0, 1, 2 (MATLAB's 1, 2, 3), from noise, 1 level × 2 iterations, on wasm",
      expect.stringMatching(
        /^wrote .*dream-conv1\.png: 454×454×3 \(3 images, one per channel in that order, in [\d.]+ s\)$/,
      ),
    ]);
    const png = readPng(out);
    expect([png.height, png.width, png.channels]).toEqual([454, 454, 3]);
    // Three images grown apart from one noise image (identical at the start), each stretched over the whole range
    // (outputScaling 'linear'); the fourth tile empty.
    const tiles = [0, 1, 2, 3].map((k) => tile(png, k, 2));
    expect(meanAbsDiff(tiles[0], tiles[1])).toBeGreaterThan(4);
    expect(meanAbsDiff(tiles[1], tiles[2])).toBeGreaterThan(4);
    const range = (t: Uint8Array) => [t.reduce((x, y) => Math.min(x, y)), t.reduce((x, y) => Math.max(x, y))];
    for (const t of tiles.slice(0, 3)) expect(range(t)).toEqual([0, 255]);
    expect(range(tiles[3])).toEqual([0, 0]);
    // The same command draws the same images: the noise has a fixed seed.
    expect(cli(...args, '--out', path.join(OUT, 'dream-again.png'), '--backend', 'wasm').status).toBe(0);
    expect(Buffer.compare(readPng(path.join(OUT, 'dream-again.png')).pixels, png.pixels)).toBe(0);
  });

  it('dreams the first 16 channels unless --channels says, and says so', () => {
    const out = path.join(OUT, 'dream-16.png');
    const r = cli('--dream', '-l', 'fire2-squeeze1x1', '--levels', '1', '--iterations', '1', '-o', out, '-b', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "dreaming 16 channels of fire2-squeeze1x1: 0, 1, 2, 3, 4, 5, 6, 7, … (MATLAB's 1, 2, 3, 4, 5, 6, 7, 8, …), the " +
        'first ones (--channels to choose), from noise, 1 level × 1 iteration, on wasm',
    );
    expect(r.stdout).toMatch(/: 908×908×3 \(16 images, one per channel in that order, in [\d.]+ s\)/);
  });

  it("starts from an image given (MATLAB's InitialImage), resized with --resize", () => {
    const out = path.join(OUT, 'dream-face.png');
    const args = ['examples/images/astronaut.png', '--dream', '-l', 'fire9-expand3x3', '-c', '5', '--levels', '1'];
    const r = cli(...args, '--iterations', '1', '--resize', '-o', out, '-b', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'from examples/images/astronaut.png (512×512×3, resized to 227×227), 1 level × 1 iteration',
    );
    const png = readPng(out);
    expect([png.height, png.width]).toEqual([227, 227]);
    // One small step from the portrait is still the portrait: its pixels follow the image's (correlation above 0.9).
    const start = readPng(path.join(ROOT, 'examples/images/astronaut.png'));
    const near = (i: number) => Math.floor(((i + 0.5) * start.height) / 227);
    const a = Array.from(png.pixels);
    const b = a.map((_, i) => {
      const [r, c, k] = [Math.floor(i / 681), Math.floor(i / 3) % 227, i % 3];
      return start.pixels[(near(r) * start.width + near(c)) * start.channels + (start.channels === 3 ? k : 0)];
    });
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    const [ma, mb] = [mean(a), mean(b)];
    const cov = a.reduce((sum, v, i) => sum + (v - ma) * (b[i] - mb), 0);
    const norm = Math.sqrt(a.reduce((s, v) => s + (v - ma) ** 2, 0) * b.reduce((s, v) => s + (v - mb) ** 2, 0));
    expect(cov / norm).toBeGreaterThan(0.9);
  });

  it('refuses what --dream does not take, and says what the run cannot do (exit 2, then 1)', () => {
    const out = path.join(OUT, 'dream-bad.png');
    for (const [args, message] of [
      [['--dream', '--out', out], 'missing --layer NAME|INDEX (the layer whose channels to dream)'],
      [
        ['--dream', '-l', 'conv1', '--levels', '0', '-o', out],
        "--levels must be a whole number of at least 1, got '0'",
      ],
      [
        ['--dream', '-l', 'conv1', '--iterations', '2.5', '-o', out],
        "--iterations must be a whole number of at least 1, got '2.5'",
      ],
      [[FACE, '-l', 'conv1', '--iterations', '3', '-o', out], '--iterations goes with --dream'],
      [
        ['--dream', '-l', 'conv1', '--resize', '-o', out],
        '--resize resizes the <image> to start from; without one, --dream starts from noise',
      ],
      [
        ['--dream', '-l', 'conv1', '--relu', '-o', out],
        "--dream grows images for a layer's channels; it takes no --relu",
      ],
      [[FACE, FACE, '--dream', '-l', 'conv1', '-o', out], '--dream starts from one image or from noise, got 2'],
      [['--list-layers', '--dream'], '--list-layers prints the layer table; it takes no --dream'],
    ] as const) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`cnn-activations: ${message}`);
    }
    for (const [args, message] of [
      [['--dream', '-l', 'conv1', '-c', '3,64'], 'channel 64 does not exist: conv1 has 64 channels (0..63)'],
      [
        ['examples/images/astronaut.png', '--dream', '-l', 'conv1'],
        "the image is 512×512 pixels; --dream starts from an image of the network's input size, 227×227: add " +
          '--resize to resize it first',
      ],
      [
        ['--dream', '-l', 'conv1', '-c', Array(3000).fill(0).join(',')],
        'deepDreamImage: --channels asks for 3,000 images (one per channel) of 463,761,000 elements [3000, 227, 227, 3] (1769 MiB as ' +
          'float32); the limit is 134,217,728 elements (the most the library works on at once); choose fewer --channels',
      ],
      [
        ['--dream', '-l', 'conv1', '--levels', '40'],
        "deepDreamImage: the smallest pyramid level (1×1) is too small for layer 'conv1'; use fewer --levels",
      ],
    ] as const) {
      const r = cli(...args, '-o', out, '-b', 'wasm');
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.split('\n').at(-1)).toBe(`cnn-activations: ${message}`);
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('cnn-activations failures', () => {
  it.each([
    [[], 'missing <image>'],
    [[FACE, '--out', 'x.png'], 'missing --layer NAME|INDEX'],
    [[FACE, '--layer', 'conv1'], 'missing --out FILE.png'],
    [[FACE, '--layer', 'conv1', '--out', 'x.gif'], "--out must name a .png or .jpg file, got 'x.gif'"],
    [
      [FACE, '--layer', 'conv1', '--out', 'x.png', '--threads', '0'],
      "--threads must be an integer from 1 to 8, got '0'",
    ],
    [
      [FACE, '--layer', 'conv1', '--out', 'x.png', '--threads', '9'],
      "--threads must be an integer from 1 to 8, got '9'",
    ],
    [
      [FACE, '--layer', 'conv1', '--out', 'x.png', '--threads', '1.5'],
      "--threads must be an integer from 1 to 8, got '1.5'",
    ],
    [
      [FACE, 'other.png', '-l', 'conv1', '-o', 'x.png'],
      'expected one image, got 2: examples/images/face.png other.png',
    ],
    [
      [FACE, '-l', 'conv1', '-o', 'x.png', '--grid', '0x3'],
      "--grid must be RxC with positive integers, one of them optional (8x8, 6x, x8), got '0x3'",
    ],
    [
      [FACE, '-l', 'conv1', '-o', 'x.png', '--thumb', '64x'],
      "--thumb must be RxC with positive integers (64x64), got '64x'",
    ],
    [
      [FACE, '-l', 'conv1', '-o', 'x.png', '--channels', '1,b'],
      "--channels must be 0-based channel numbers separated by commas (0,13,46), got '1,b'",
    ],
    [
      [FACE, '-l', 'conv1', '-o', 'x.png', '--backend', 'tpu'],
      "--backend must be one of webgpu, webgl, wasm, cpu, got 'tpu'",
    ],
    [
      [FACE, '-l', 'conv1', '-o', 'x.png', '--backend', 'gpu'],
      "--backend must be one of webgpu, webgl, wasm, cpu, got 'gpu'; MATLAB's 'gpu' is webgpu or webgl here",
    ],
    [
      [FACE, '-l', 'conv1', '-o', 'x.png', '--backend', 'WASM'],
      "--backend must be one of webgpu, webgl, wasm, cpu, got 'WASM'; did you mean 'wasm'?",
    ],
    [
      [FACE, '--explain', 'gradCAM', '-o', 'x.png'],
      "--explain must be one of gradcam, gradient, guided, occlusion, lime, got 'gradCAM'; did you mean 'gradcam'?",
    ],
    [
      [FACE, '-l', 'conv1', '-o', 'x.png', '--strongest', '--grid', '2x2'],
      '--strongest shows one channel; it takes no --grid',
    ],
    [[FACE, '-l', 'conv1', '-o', 'x.png', '--colour'], "Unknown option '--colour'"],
    [
      [FACE, '-l', 'conv1', '-l', 'conv10', '-o', 'x.png'],
      "--layer given twice ('conv1', then 'conv10'); give it once",
    ],
    [[FACE, '--explain', 'gradcam', '-o', 'x.png', '-c', '1'], '--explain explains a class; it takes no --channels'],
    [[FACE, '--explain', 'lime', '-o', 'x.png', '--grid', '2x2'], '--explain explains a class; it takes no --grid'],
    [[FACE, '--explain', 'lime', '-o', 'x.png', '--thumb', '8x8'], '--explain explains a class; it takes no --thumb'],
    [[FACE, '--explain', 'occlusion', '-o', 'x.png', '--relu'], '--explain explains a class; it takes no --relu'],
    [[FACE, '-e', 'gradcam', '-o', 'x.png', '--strongest'], '--explain explains a class; it takes no --strongest'],
    [[FACE, '--list-layers'], '--list-layers prints the layer table; it takes no <image>'],
    [['--list-layers', '--layer', 'conv1'], '--list-layers prints the layer table; it takes no --layer'],
    [['--list-layers', '--out', 'x.png'], '--list-layers prints the layer table; it takes no --out'],
  ])('bad command line %j → exit 2', (args, message) => {
    const r = cli(...(args as string[]));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`cnn-activations: ${message}`);
    expect(r.stderr).toContain("Try 'cnn-activations --help'.");
  });

  it('an unknown layer exits 1 with the closest names', () => {
    const r = cli(FACE, '--layer', 'fire6-squeeze', '--out', path.join(OUT, 'never.png'), '-b', 'wasm');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cnn-activations: activations: .*"fire6-squeeze".*did you mean 'fire6-squeeze1x1'/);
  });

  it('--explain on an image of another size than the input exits 1 and points to --resize', () => {
    const r = cli(
      'examples/images/astronaut.png',
      '--explain',
      'gradcam',
      '--out',
      path.join(OUT, 'never.png'),
      '-b',
      'wasm',
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "cnn-activations: the image is 512×512 pixels; --explain needs the network's input size, 227×227: add --resize to resize it first",
    );
    expect(existsSync(path.join(OUT, 'never.png'))).toBe(false);
  });

  it('a missing image exits 1 and names the file', () => {
    const r = cli('no-such-image.png', '--layer', 'conv1', '--out', path.join(OUT, 'never.png'), '-b', 'wasm');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cnn-activations: imread: .*no-such-image\.png/);
  });

  it('a channel the layer does not have exits 1 and says how many there are', () => {
    const r = cli(FACE, '--layer', 'conv1', '--channels', '0,64', '--out', path.join(OUT, 'never.png'), '-b', 'wasm');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('cnn-activations: channel 64 does not exist: conv1 has 64 channels (0..63)');
  });
});
