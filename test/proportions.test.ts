// The experiments' statistics against published and independently computed values.
import { describe, expect, it } from 'vitest';
import { erfc, normalCdf, twoProportionZTest, wilsonInterval, Z_95 } from '../src/shared/proportions.js';

describe('the standard normal distribution', () => {
  it('matches the normal table', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.841344746, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normalCdf(Z_95)).toBeCloseTo(0.975, 6);
    expect(normalCdf(2.575829304)).toBeCloseTo(0.995, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.001349898, 7);
    expect(erfc(0.5)).toBeCloseTo(0.479500122, 6);
    expect(erfc(-0.5)).toBeCloseTo(1.520499878, 6);
  });
});

describe('Wilson score interval', () => {
  // Newcombe (1998), Statistics in Medicine 17:857–872, table I, method 3 (score, no continuity correction).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
  ])('%i of %i → [%f, %f]', (k, n, low, high) => {
    const ci = wilsonInterval(k, n);
    expect(ci.low).toBeCloseTo(low, 4);
    expect(ci.high).toBeCloseTo(high, 4);
  });

  it('is [0, 1] without trials and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(() => wilsonInterval(3, 2)).toThrow(/exceed/);
    expect(() => wilsonInterval(-1, 2)).toThrow(/whole numbers/);
  });
});

describe('two-proportion z-test', () => {
  // Pooled z = (p_b − p_a) / sqrt(p(1−p)(1/n_a + 1/n_b)); p-values from an independent computation
  // (Python's math.erfc) of the same formula.
  it('gives the textbook z and two-sided p-value', () => {
    const t = twoProportionZTest(120, 1000, 150, 1000);
    expect(t.difference).toBeCloseTo(0.03, 12);
    expect(t.z).toBeCloseTo(1.963049807622355, 9);
    expect(t.pValue).toBeCloseTo(0.04964038686536881, 6);
    expect(t.significant).toBe(true);
    const u = twoProportionZTest(45, 100, 56, 100);
    expect(u.z).toBeCloseTo(1.5557127061904528, 9);
    expect(u.pValue).toBeCloseTo(0.11977642377972289, 6);
    expect(u.significant).toBe(false);
  });

  it('is symmetric in sign and reports no evidence when the variance is undefined', () => {
    const a = twoProportionZTest(150, 1000, 120, 1000);
    expect(a.z).toBeCloseTo(-1.963049807622355, 9);
    expect(a.pValue).toBeCloseTo(0.04964038686536881, 6);
    expect(twoProportionZTest(0, 10, 0, 10)).toEqual({ difference: 0, z: 0, pValue: 1, significant: false });
    expect(twoProportionZTest(0, 0, 3, 10)).toMatchObject({ pValue: 1, significant: false });
  });
});
