/**
 * Seeded random numbers for the methods that draw them (imageLIME's samples, deepDreamImage's starting noise): the
 * same seed gives the same numbers on every backend and platform. TF.js's own generators take a seed of 0 as no seed
 * at all (a fresh random one), so a method whose default seed is 0 cannot use them. Plain typed arrays on the host.
 */

/** A small seeded generator of uniform numbers in [0, 1) (mulberry32), so that a seed gives the same samples. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` numbers drawn from a normal distribution of mean 0 and standard deviation `std`, from the seed `seed`
 * (Box-Muller on {@link seededRandom}'s uniform numbers, two at a time).
 */
export function seededNormal(seed: number, count: number, std: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    // 1 - u is in (0, 1]: its logarithm is finite.
    const r = std * Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}
