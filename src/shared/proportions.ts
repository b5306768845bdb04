// Small statistics for proportions (the A/B experiments' figures): the standard normal distribution,
// Wilson score intervals for one proportion, and the two-proportion z-test (pooled) for a difference.
// Hand-written on purpose: four formulas do not justify a statistics dependency.

/** z of a two-sided 95% interval: Φ⁻¹(0.975). */
export const Z_95 = 1.959963984540054;

/**
 * The complementary error function, erfc(x) = 1 − erf(x), to a fractional error below 1.2e-7 everywhere
 * (Chebyshev fit of Press et al., Numerical Recipes, 2nd ed., §6.2, `erfcc`).
 * @example erfc(0) // 1
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * Φ(x), the standard normal cumulative distribution.
 * @example normalCdf(1.959963984540054) // ≈ 0.975
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval of `successes` out of `trials` (no continuity correction); [0, 1] when
 * there are no trials. Unlike the normal (Wald) interval it stays inside [0, 1] and is sound near 0 and 1.
 * @example wilsonInterval(81, 263) // { low: 0.2553…, high: 0.3662… } (Newcombe 1998)
 */
export function wilsonInterval(successes: number, trials: number, z: number = Z_95): Interval {
  checkCounts(successes, trials);
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface ProportionTest {
  /** p_b − p_a. */
  difference: number;
  /** (p_b − p_a) / pooled standard error; 0 when it is undefined (no trials, or all or none succeeded). */
  z: number;
  /** Two-sided p-value (1 when z is undefined: no evidence of a difference). */
  pValue: number;
  /** pValue < alpha. */
  significant: boolean;
}

/**
 * The two-sided two-proportion z-test (pooled variance) of b against a.
 * @example twoProportionZTest(120, 1000, 150, 1000) // { difference: 0.03, z: 1.963…, pValue: 0.0496…, significant: true }
 */
export function twoProportionZTest(
  successesA: number,
  trialsA: number,
  successesB: number,
  trialsB: number,
  alpha = 0.05,
): ProportionTest {
  checkCounts(successesA, trialsA);
  checkCounts(successesB, trialsB);
  if (trialsA === 0 || trialsB === 0) return { difference: 0, z: 0, pValue: 1, significant: false };
  const pa = successesA / trialsA;
  const pb = successesB / trialsB;
  const pooled = (successesA + successesB) / (trialsA + trialsB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / trialsA + 1 / trialsB));
  if (!(se > 0)) return { difference: pb - pa, z: 0, pValue: 1, significant: false };
  const z = (pb - pa) / se;
  const pValue = Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
  return { difference: pb - pa, z, pValue, significant: pValue < alpha };
}

function checkCounts(successes: number, trials: number): void {
  if (!Number.isSafeInteger(trials) || trials < 0 || !Number.isSafeInteger(successes) || successes < 0) {
    throw new RangeError(`counts must be whole numbers ≥ 0, got ${successes} of ${trials}`);
  }
  if (successes > trials) throw new RangeError(`successes ${successes} exceed trials ${trials}`);
}
