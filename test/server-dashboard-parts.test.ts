// The dashboard's pure parts: HTML escaping, the sign-in redirect guard, latency quantiles from
// histogram buckets, and the request figures sampled from a real prom-client histogram.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { html, jsonScript } from '../src/server/dashboard/html.js';
import { safeNext } from '../src/server/dashboard/params.js';
import { quantileOf, RequestStats } from '../src/server/dashboard/request-stats.js';

describe('html templates', () => {
  it('escapes every interpolated value, keeps nested templates and joins lists', () => {
    const title = `<img src=x onerror="alert(1)"> & 'quotes'`;
    const out = html`<ul>${[1, 2].map((n) => html`<li title="${title}">${n}</li>`)}</ul>${null}${false}`
      .markup;
    expect(out).toBe(
      '<ul><li title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;quotes&#39;">1</li>' +
        '<li title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;quotes&#39;">2</li></ul>',
    );
  });

  it('embeds JSON that cannot close its script element', () => {
    const out = jsonScript('c1', { title: '</script><script>alert(1)</script>', line: '\u2028' }).markup;
    expect(out).not.toContain('</script><script>');
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    const json = out.slice(out.indexOf('>') + 1, out.lastIndexOf('</script>'));
    expect(JSON.parse(json)).toEqual({ title: '</script><script>alert(1)</script>', line: '\u2028' });
  });
});

describe('the sign-in redirect', () => {
  it('goes back to dashboard paths only', () => {
    expect(safeNext('/dashboard/users/4?x=1')).toBe('/dashboard/users/4?x=1');
    expect(safeNext('/dashboard')).toBe('/dashboard');
    for (const bad of [
      'https://evil.example/',
      '//evil.example/dashboard',
      '/dashboardx',
      '/docs',
      '/dashboard//evil',
      'javascript:alert(1)',
    ]) {
      expect(safeNext(bad)).toBe('/dashboard');
    }
    expect(safeNext(undefined)).toBe('/dashboard');
  });
});

describe('latency quantiles', () => {
  it('interpolate inside the bucket that holds the rank, like histogram_quantile', () => {
    const buckets = [
      [0.01, 50],
      [0.1, 90],
      [1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ] as const;
    expect(quantileOf(buckets, 0.5)).toEqual({ value: 0.01, atLeast: false });
    expect(quantileOf(buckets, 0.7)!.value).toBeCloseTo(0.055, 10);
    expect(quantileOf(buckets, 0.99)!.value).toBeCloseTo(0.91, 10);
    expect(
      quantileOf(
        [
          [0.01, 0],
          [Number.POSITIVE_INFINITY, 0],
        ],
        0.5,
      ),
    ).toBeNull();
    expect(
      quantileOf(
        [
          [0.01, 1],
          [Number.POSITIVE_INFINITY, 10],
        ],
        0.99,
      ),
    ).toEqual({ value: 0.01, atLeast: true });
  });

  it('are measured over the window from a real histogram, per route, leaving the dashboard out', async () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'test',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.001, 0.01, 0.1, 1],
      registers: [registry],
    });
    let now = 0;
    const stats = new RequestStats(histogram, { now: () => now, windowMs: 60_000 });
    // Before the window: 10 slow requests that the window must not count.
    for (let i = 0; i < 10; i++) histogram.observe({ route: '/feed', method: 'GET', status: '200' }, 0.5);
    await stats.start();
    stats.stop();
    now = 10_000;
    for (let i = 0; i < 98; i++) histogram.observe({ route: '/feed', method: 'GET', status: '200' }, 0.005);
    histogram.observe({ route: '/feed', method: 'GET', status: '500' }, 0.05);
    histogram.observe({ route: '/feed', method: 'GET', status: '200' }, 0.05);
    histogram.observe({ route: '/dashboard', method: 'GET', status: '200' }, 0.05);
    const summary = await stats.summary();
    expect(summary.windowSeconds).toBe(10);
    expect(summary.routes).toHaveLength(1);
    const feed = summary.routes[0]!;
    expect(feed).toMatchObject({ method: 'GET', route: '/feed', requests: 100, serverErrors: 1, total: 110 });
    expect(feed.perSecond).toBeCloseTo(10, 10);
    expect(feed.p50!).toBeGreaterThan(0.001);
    expect(feed.p50!).toBeLessThanOrEqual(0.01);
    expect(feed.p99!).toBeGreaterThan(0.01);
    expect(feed.p99!).toBeLessThanOrEqual(0.1);
    expect(summary.series).toEqual([{ at: new Date(10_000).toISOString(), perSecond: 10 }]);
  });
});
