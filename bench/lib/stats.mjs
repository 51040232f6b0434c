// Timing and formatting shared by the benchmarks in bench/. Figures only: nothing here fails on speed.

/** The median of a list of numbers (the mean of the two middle values for an even count). */
export const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Milliseconds with as many decimals as they deserve: 1234, 12.3, 1.23. */
export const fmt = (ms) => (ms == null ? '—' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/**
 * Times `fn() + await out.data()` (so the read-back a caller pays is included), `warmup` times unrecorded, then
 * `runs` times. Returns the median and best wall-clock ms and the median CPU ms of this process over the same spans
 * (on a shared machine the wall clock also counts time other processes held the core; the CPU time does not).
 */
export async function measure(fn, { warmup = 3, runs = 21 } = {}) {
  const times = [];
  const cpu = [];
  for (let i = 0; i < warmup + runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = fn();
    await out.data();
    const dt = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    out.dispose();
    if (i >= warmup) {
      times.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
  }
  return { median: median(times), best: Math.min(...times), cpu: median(cpu) };
}
