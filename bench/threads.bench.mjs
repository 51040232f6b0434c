// Threads benchmark: SqueezeNet on the wasm backend with 1 and N threads, side by side with onnxruntime-web (wasm)
// and onnxruntime-node with 1 and N threads and with the network hand-written in TF.js ops; images/s for batches of
// 1, 8 and 32 and for occlusionSensitivity at its defaults; the first call (backend start + model load + first
// result) of each; what N threads gave a plain matrix product in the same processes (how much of a second core the
// machine lent) and, on Linux, the share of CPU time the hypervisor took while each ran; and the physical limit: the
// network's multiply-adds at this machine's measured SGEMM rate.
//
//   npm run build && node bench/threads.bench.mjs        (N = the machine's cores, at most 8; BENCH_ROUNDS=<n>;
//                                                          BENCH_JSON=<file> also writes every round's figures)
//
// A process can start the wasm backend once, with one thread count, so each variant runs in a child process of its
// own; the children run one after another, every variant once per round, compared pairs side by side, in the
// opposite order every other round, and the figures are medians over rounds (drift of the machine's load hits all
// variants alike: compare the ratios). Never fails on speed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ONNX = path.join(root, '..', 'shared', 'bench', 'squeezenet_v1.1.onnx');
const FACE = path.join(root, '..', 'shared', 'images', 'face.png');
const N = Math.min(8, availableParallelism());
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/**
 * The machine's CPU time so far, from Linux's /proc/stat (all cores, in clock ticks): `steal` is the time the
 * hypervisor gave this virtual machine's cores to someone else. Null where there is no /proc/stat.
 */
function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

/** The share of the machine's CPU time that was stolen between two `cpuTimes()` readings, or null. */
const stolen = (a, b) => (a && b && b.total > a.total ? (b.steal - a.steal) / (b.total - a.total) : null);

// ---------------------------------------------------------------------------------------------------------------
// Child: one variant, one process. Prints one JSON line.

async function child({ kind, threads }) {
  const { PNG } = await import('pngjs');
  const png = PNG.sync.read(readFileSync(FACE));
  const { width: W, height: H } = png;
  const rgb = new Int32Array(H * W * 3);
  for (let i = 0; i < H * W; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
  const out = { kind, threads, ms: {} };
  const t0 = performance.now();
  const started = cpuTimes();
  /** Median ms of `runs` calls of `fn` after 2 unrecorded ones. */
  const time = async (fn, runs) => {
    const t = [];
    for (let i = 0; i < runs + 2; i++) {
      const s = performance.now();
      await fn();
      if (i >= 2) t.push(performance.now() - s);
    }
    return median(t);
  };

  if (kind === 'lib') {
    const tf = await import('@tensorflow/tfjs-core');
    const lib = await import('cnn-activations');
    const { handWritten } = await import('./lib/squeezenetOps.mjs');
    await lib.initBackend({ backend: 'wasm', threads });
    const net = await lib.squeezenet();
    const img = tf.tensor3d(rgb, [H, W, 3], 'int32');
    await lib.activations(net, img, 'prob').data();
    out.firstCall = performance.now() - t0;
    out.threadsRun = lib.describeBackend().threads;
    const run = (fn) => async () => {
      const y = fn();
      await y.data();
      y.dispose();
    };
    const img4 = tf.expandDims(img, 0);
    const batches = Object.fromEntries([8, 32].map((b) => [b, tf.tidy(() => tf.tile(img4, [b, 1, 1, 1]))]));
    // The full pass and the hand-written network alternate, call by call, each going first every other time, so
    // that neither always runs in the other's wake (its garbage, its cache state).
    const pair = {
      prob: run(() => lib.activations(net, img, 'prob')),
      hand: run(() => handWritten(net.model.weights, img4)),
    };
    const seen = { prob: [], hand: [] };
    for (let i = 0; i < 17; i++) {
      const order = Object.entries(pair);
      if (i % 2) order.reverse();
      for (const [k, fn] of order) {
        const s = performance.now();
        await fn();
        if (i >= 2) seen[k].push(performance.now() - s);
      }
    }
    out.ms.prob = median(seen.prob);
    out.ms.hand = median(seen.hand);
    // Medians of 5 batches of 8 and 4 of 32 (after 2 unrecorded ones): with 2 of 32, one slow call on a busy
    // machine moved a round's figure by a tenth.
    out.ms.batch8 = await time(
      run(() => lib.activations(net, batches[8], 'prob')),
      5,
    );
    // What this process's threads gave the machine's arithmetic while the batches ran: a 1024×1024 matrix product on
    // the same backend (XNNPACK's threaded GEMM, as in the convolutions), timed just before and just after them.
    const a = tf.randomUniform([1024, 1024]);
    const gemm = run(() => tf.matMul(a, a));
    const probe = [await time(gemm, 3)];
    const before = cpuTimes();
    out.ms.batch32 = await time(
      run(() => lib.activations(net, batches[32], 'prob')),
      4,
    );
    out.steal32 = stolen(before, cpuTimes());
    probe.push(await time(gemm, 3));
    out.ms.gemm = median(probe);
    a.dispose();
    const s = performance.now();
    (await lib.occlusionSensitivity(net, img, 'wig')).dispose();
    out.ms.occlusion = performance.now() - s;
    // Multiply-adds of the convolutions: the network's arithmetic, for the physical limit.
    out.macs = 0;
    for (const l of net.layers) {
      if (l.type !== 'Convolution') continue;
      out.macs += l.kernel[0] * l.kernel[1] * l.numChannels * l.numFilters * l.outputSize[0] * l.outputSize[1];
    }
    tf.dispose([img, img4, ...Object.values(batches)]);
    net.dispose();
  } else {
    const nchw = new Float32Array(3 * H * W);
    const MEAN = [123, 117, 104];
    for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) nchw[c * H * W + i] = rgb[i * 3 + c] - MEAN[c];
    const peers = await import('./peers/load.mjs');
    let session;
    let ort;
    if (kind === 'ort-web') {
      ort = await peers.loadOrtWeb();
      ort.env.wasm.numThreads = threads;
      session = await ort.InferenceSession.create(readFileSync(ONNX), { executionProviders: ['wasm'] });
    } else {
      ort = await peers.loadOrtNode();
      session = await ort.InferenceSession.create(ONNX, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    }
    const x = new ort.Tensor('float32', nchw, [1, 3, H, W]);
    await session.run({ data: x });
    out.firstCall = performance.now() - t0;
    out.ms.prob = await time(async () => (await session.run({ data: x })).prob.data, 15);
    await session.release?.();
  }
  out.steal = stolen(started, cpuTimes());
  console.log(JSON.stringify(out));
  // ort-web's worker threads may keep the event loop alive; the library's never do (a test checks that).
  if (kind !== 'lib') process.exit(0);
}

if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else {
  await coordinator();
}

// ---------------------------------------------------------------------------------------------------------------
// Coordinator.

/** SGEMM GFLOP/s of a 1024×1024 product with numpy's BLAS on `threads` threads; null without python3 + numpy. */
function sgemm(threads) {
  const code = [
    'import numpy as np, time',
    'a = np.random.rand(1024, 1024).astype(np.float32); b = np.random.rand(1024, 1024).astype(np.float32)',
    'a @ b',
    't = []',
    'for _ in range(15):',
    '    s = time.perf_counter(); a @ b; t.append(time.perf_counter() - s)',
    'print(2 * 1024 ** 3 / sorted(t)[len(t) // 2] / 1e9)',
  ].join('\n');
  const env = {
    ...process.env,
    OPENBLAS_NUM_THREADS: `${threads}`,
    OMP_NUM_THREADS: `${threads}`,
    MKL_NUM_THREADS: `${threads}`,
  };
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', env });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

async function coordinator() {
  const variants = [
    { kind: 'lib', threads: 1 },
    { kind: 'lib', threads: N },
  ];
  const onnx = existsSync(ONNX);
  const peersThere = existsSync(path.join(root, 'bench', 'peers', 'node_modules', 'onnxruntime-web'));
  if (onnx && peersThere) {
    for (const kind of ['ort-web', 'ort-node']) for (const threads of [1, N]) variants.push({ kind, threads });
  } else {
    console.log(`onnxruntime peers skipped (${onnx ? 'run npm run bench once to install them' : `${ONNX} not found`})`);
  }
  const name = (v) =>
    `${{ lib: 'cnn-activations', 'ort-web': 'onnxruntime-web', 'ort-node': 'onnxruntime-node' }[v.kind]} ${v.threads}t`;
  const results = Object.fromEntries(variants.map((v) => [name(v), []]));
  // The order within a round puts each compared pair side by side (onnxruntime-web N threads beside the library N,
  // the library N beside the library 1, onnxruntime-web 1 beside the library 1), and every other round runs it
  // backwards, so that slow drift of the machine's load falls on both sides of a ratio and neither side always runs
  // first.
  const at = (kind, threads) => variants.find((v) => v.kind === kind && v.threads === threads);
  const order = [
    at('ort-web', N),
    at('lib', N),
    at('lib', 1),
    at('ort-web', 1),
    at('ort-node', 1),
    at('ort-node', N),
  ].filter((v) => v !== undefined);
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of r % 2 ? [...order].reverse() : order) {
      const c = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(v)], {
        cwd: root,
        encoding: 'utf8',
        timeout: 600_000,
      });
      const line = c.stdout.trim().split('\n').pop();
      if (c.status !== 0 || !line?.startsWith('{')) {
        console.log(`${name(v)}: failed (${c.stderr.trim().split('\n').slice(-3).join(' | ')})`);
        continue;
      }
      results[name(v)].push(JSON.parse(line));
    }
  }
  // Every round's figures, variant by variant in round order, for a closer look than medians give.
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ N, ROUNDS, results })}\n`);
  const med = (k, f) => {
    const xs = results[k].map(f).filter((x) => x != null);
    return xs.length ? median(xs) : null;
  };
  const l1 = name(variants[0]);
  const lN = name(variants[1]);
  console.log(`wasm threads: 1 and ${N} (this machine's cores); ${ROUNDS} rounds, medians; Node ${process.version}`);
  if (results[lN][0]) console.log(`threads the library ran with ${N} asked: ${results[lN][0].threadsRun}`);
  // The last column: the share of the machine's CPU time that the hypervisor gave to other guests while the
  // variant's process ran (Linux only; 0% on a machine of one's own). A side with much more than the other's was
  // measured on less of a machine.
  const pc = (v) => (v == null ? '—' : `${(100 * v).toFixed(1)}%`);
  console.log(
    `\n${'variant'.padEnd(22)} ${'full pass ms'.padStart(13)} ${'first call ms'.padStart(14)} ${'stolen'.padStart(7)}`,
  );
  for (const k of Object.keys(results)) {
    console.log(
      `${k.padEnd(22)} ${fmt(med(k, (x) => x.ms.prob)).padStart(13)} ${fmt(med(k, (x) => x.firstCall)).padStart(14)} ${pc(med(k, (x) => x.steal)).padStart(7)}`,
    );
  }
  for (const k of [l1, lN])
    console.log(
      `${`hand-written TF.js ${k.split(' ').pop()}`.padEnd(22)} ${fmt(med(k, (x) => x.ms.hand)).padStart(13)}`,
    );

  console.log(`\nimages/s (227×227, activations to prob; occlusionSensitivity at defaults = 101 images)`);
  console.log(
    `${'threads'.padEnd(10)} ${'batch 1'.padStart(9)} ${'batch 8'.padStart(9)} ${'batch 32'.padStart(9)} ${'occlusion'.padStart(10)}`,
  );
  const ips = (k, f, n) => {
    const ms = med(k, f);
    return ms ? ((n * 1000) / ms).toFixed(1) : '—';
  };
  for (const k of [l1, lN]) {
    console.log(
      `${k.split(' ').pop().padEnd(10)} ${ips(k, (x) => x.ms.prob, 1).padStart(9)} ${ips(k, (x) => x.ms.batch8, 8).padStart(9)} ${ips(k, (x) => x.ms.batch32, 32).padStart(9)} ${ips(k, (x) => x.ms.occlusion, 101).padStart(10)}`,
    );
  }

  const ratio = (a, fa, b, fb = fa) => {
    const x = med(a, fa);
    const y = med(b, fb);
    return x && y ? (x / y).toFixed(3) : '—';
  };
  // The same ratio round by round (each round ran every variant once, one after another): its spread shows how far
  // one round's noise reaches, beside the ratio of the medians.
  const rounds = (a, fa, b, fb = fa) => {
    const xs = results[a];
    const ys = results[b];
    if (xs.length !== ys.length || xs.length < 2) return '';
    const rs = xs.map((x, i) => fa(x) / fb(ys[i])).filter(Number.isFinite);
    return rs.length ? `; rounds ${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}` : '';
  };
  console.log('\nratios (time / time; below 1 = the first is faster)');
  console.log(`  library ${N}t / library 1t, full pass               ${ratio(lN, (x) => x.ms.prob, l1)}`);
  console.log(
    `  library 1t / hand-written TF.js 1t                ${ratio(
      l1,
      (x) => x.ms.prob,
      l1,
      (x) => x.ms.hand,
    )}   (goal <= 1.05${rounds(
      l1,
      (x) => x.ms.prob,
      l1,
      (x) => x.ms.hand,
    )})`,
  );
  console.log(
    `  library ${N}t / hand-written TF.js ${N}t                ${ratio(
      lN,
      (x) => x.ms.prob,
      lN,
      (x) => x.ms.hand,
    )}`,
  );
  for (const kind of ['onnxruntime-web', 'onnxruntime-node']) {
    for (const t of [1, N]) {
      const peer = `${kind} ${t}t`;
      if (!results[peer]?.length) continue;
      const lib = t === 1 ? l1 : lN;
      const goal =
        kind === 'onnxruntime-web' && t === N ? `   (goal <= 1.0${rounds(lib, (x) => x.ms.prob, peer)})` : '';
      console.log(`  library ${t}t / ${peer.padEnd(21)}          ${ratio(lib, (x) => x.ms.prob, peer)}${goal}`);
    }
  }
  const b1 = med(l1, (x) => x.ms.batch32);
  const bN = med(lN, (x) => x.ms.batch32);
  if (b1 && bN)
    console.log(
      `  images/s of batch 32, ${N}t / 1t                    ${(b1 / bN).toFixed(3)}   (goal >= 1.7${rounds(l1, (x) => x.ms.batch32, lN)})`,
    );
  // A miss of the batch goal on a shared machine is often the machine: if the matrix product gained less than
  // the ideal N× from the same threads in the same rounds, the second core was busy elsewhere.
  const m1 = med(l1, (x) => x.ms.gemm);
  const mN = med(lN, (x) => x.ms.gemm);
  if (m1 && mN) {
    console.log(
      `  1024² matrix product on wasm, ${N}t / 1t (what ${N} threads gave)   ${(m1 / mN).toFixed(3)}   (ideal ${N}${rounds(l1, (x) => x.ms.gemm, lN)})`,
    );
    if (b1 && bN)
      console.log(`  batch 32's gain / the matrix product's             ${(b1 / bN / (m1 / mN)).toFixed(3)}`);
  }
  // The other half of the same story, where Linux counts it: the share of the machine's CPU time the hypervisor
  // took for other guests while the batches of 32 ran (0% on a machine of one's own).
  const s1 = med(l1, (x) => x.steal32);
  const sN = med(lN, (x) => x.steal32);
  if (s1 != null && sN != null) {
    const range = (k) => {
      const xs = results[k].map((x) => x.steal32).filter((x) => x != null);
      return `${pc(Math.min(...xs))}–${pc(Math.max(...xs))}`;
    };
    console.log(
      `  CPU time stolen by the hypervisor during batch 32: 1t ${pc(s1)} (rounds ${range(l1)}), ${N}t ${pc(sN)} (rounds ${range(lN)})`,
    );
  }
  const o1 = med(l1, (x) => x.ms.occlusion);
  const oN = med(lN, (x) => x.ms.occlusion);
  if (o1 && oN) console.log(`  images/s of occlusion, ${N}t / 1t                   ${(o1 / oN).toFixed(3)}`);

  const macs = results[l1][0]?.macs;
  const g1 = sgemm(1);
  const gN = sgemm(N);
  if (macs && g1) {
    const flop = 2 * macs;
    console.log(
      `\nphysical limit: ${(flop / 1e6).toFixed(1)} MFLOP of convolutions per image; numpy SGEMM (1024³) ` +
        `${g1.toFixed(1)} GFLOP/s on 1 thread${gN ? `, ${gN.toFixed(1)} on ${N}` : ''} → ` +
        `${((flop / g1) * 1e-6).toFixed(2)} ms on 1 thread${gN ? `, ${((flop / gN) * 1e-6).toFixed(2)} ms on ${N}` : ''}`,
    );
    console.log(
      `  library full pass / physical limit: ${(med(l1, (x) => x.ms.prob) / ((flop / g1) * 1e-6)).toFixed(1)}× on 1 thread` +
        (gN ? `, ${(med(lN, (x) => x.ms.prob) / ((flop / gN) * 1e-6)).toFixed(1)}× on ${N}` : ''),
    );
  } else {
    console.log('\nphysical limit: python3 with numpy is not available; skipped');
  }
}
