// Seeded PRNG (splitmix32). The simulation never reads Math.random: one seed
// must reproduce one run, frame for frame.

const TWO_POW_32 = 4294967296;

export class Random {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`Random: seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** Next value, uniform over [0, 2^32). */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n), 1 <= n <= 2^32. Rejection sampling keeps it unbiased. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    // Each draw is rejected with probability < 1/2, so 64 tries fail with p < 2^-64.
    for (let i = 0; i < 64; i++) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
    return this.nextU32() % n;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An independent stream (e.g. one per phone) derived from this one. */
  fork(): Random {
    return new Random(this.nextU32());
  }
}
