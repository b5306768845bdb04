// Seeded randomness for the simulator: a small PRNG, stateless hashes and the samplers the generator needs.
//
// Everything here is deterministic for a seed, so a dataset or a fault pattern can be rebuilt from
// (seed, id) alone instead of being stored.

/** Mixes 32-bit integers into one well-spread unsigned 32-bit hash (murmur3-style finaliser per step). */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    // Split doubles above 2^32 so large ids still hash fully.
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    h = Math.imul(h ^ lo, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h ^ hi, 0x85ebca77);
    h ^= h >>> 13;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) derived from the parts alone (no state): `hash01(seed, page, attempt)`. */
export function hash01(...parts: number[]): number {
  return hash32(...parts) / 4294967296;
}

/** Hashes a string to an unsigned 32-bit integer (FNV-1a), for salts such as `'views'`. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Mulberry32: a tiny, fast PRNG with a 32-bit state; good enough for synthetic data.
 *
 * @example
 * const rng = new Rng(42);
 * rng.int(1, 6); // a die roll, the same one for every run with seed 42
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator for one entity, derived from a parent seed and any ids: `Rng.derive(seed, 7, userId)`. */
  static derive(...parts: number[]): Rng {
    return new Rng(hash32(...parts));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined && items.length === 0) throw new RangeError('pick() needs a non-empty array');
    return item as T;
  }

  /** `k` distinct elements (or all of them when there are fewer), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = items.slice();
    const n = Math.min(k, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      const tmp = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = tmp;
    }
    return copy.slice(0, n);
  }

  /** Standard normal scaled to `mean` and `sd` (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Log-normal: heavy-tailed positive values (activity, follower counts). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Geometric count of failures before a success, with the given mean (>= 0). */
  geometric(mean: number): number {
    if (mean <= 0) return 0;
    const p = 1 / (1 + mean);
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }
}

/**
 * Walker's alias table: O(1) sampling from a fixed discrete distribution.
 *
 * @example
 * const table = new AliasTable(zipfWeights(1000, 1.0));
 * table.sample(rng); // index 0 is the most likely
 */
export class AliasTable {
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new RangeError('AliasTable needs at least one weight');
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.max(0, weights[i] ?? 0);
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = total > 0 ? (Math.max(0, weights[i] ?? 0) * n) / total : 1;
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      if ((scaled[i] as number) < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns] as number;
      const l = large[--nl] as number;
      this.prob[s] = scaled[s] as number;
      this.alias[s] = l;
      scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
      if ((scaled[l] as number) < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    while (nl > 0) this.prob[large[--nl] as number] = 1;
    while (ns > 0) this.prob[small[--ns] as number] = 1;
  }

  /** An index in [0, size), distributed as the weights. */
  sample(rng: Rng): number {
    const u = rng.next() * this.size;
    const i = Math.floor(u);
    return u - i < (this.prob[i] as number) ? i : (this.alias[i] as number);
  }
}

/** Zipf (power-law) weights `1 / (rank + 1)^exponent` for ranks 0..n-1. */
export function zipfWeights(n: number, exponent = 1): Float64Array {
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) weights[i] = 1 / (i + 1) ** exponent;
  return weights;
}

/** A Zipf sampler over 0..n-1 (0 most frequent). */
export function zipfSampler(n: number, exponent = 1): (rng: Rng) => number {
  const table = new AliasTable(zipfWeights(n, exponent));
  return (rng) => table.sample(rng);
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}
