// The click model of the reacting users, with fixed seeds: examination falls with the position, a post
// matching the user's hidden taste is liked more often, the same seed draws the same reactions, and the
// runner refuses a non-loopback service and bad settings.
import { PassThrough } from 'node:stream';
import { Command } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { generateDataset } from '../src/simulator/generate.js';
import { Rng } from '../src/simulator/random.js';
import {
  checkLoopbackUrl,
  DEFAULT_CLICK_MODEL,
  examineProbability,
  type HiddenTastes,
  hiddenTastesOf,
  likeProbability,
  reactToPage,
  resolveClickModel,
  runReactingUsers,
} from '../src/simulator/reacting-users.js';
import { registerSimulateUsersCommand } from '../src/simulator/reacting-users-cli.js';

const model = resolveClickModel();
const PAGE = Array.from({ length: 10 }, (_, i) => i + 1);

/** Odd posts match every user's taste fully, even ones not at all; quality 0 throughout. */
const oddLovers: HiddenTastes = {
  users: 1,
  affinity: (_user, post) => (post % 2 === 1 ? 1 : 0),
  quality: () => 0,
};

/** How often each position of PAGE is viewed and liked over `pages` reactions from one seed. */
function frequencies(pages: number, tastes: HiddenTastes, seed: number) {
  const rng = new Rng(seed);
  const views = new Array<number>(PAGE.length).fill(0);
  const likes = new Array<number>(PAGE.length).fill(0);
  for (let i = 0; i < pages; i++) {
    const { views: v, likes: l } = reactToPage(1, PAGE, tastes, model, rng);
    for (const post of v) views[post - 1]!++;
    for (const post of l) likes[post - 1]!++;
  }
  return { views, likes };
}

describe('the position-based click model', () => {
  it('examines position p with probability p^-eta: 1 at the top, falling with the position', () => {
    expect(examineProbability(1, model)).toBe(1);
    for (let p = 1; p < 30; p++)
      expect(examineProbability(p + 1, model)).toBeLessThan(examineProbability(p, model));
    expect(examineProbability(4, resolveClickModel({ positionBias: 2 }))).toBeCloseTo(1 / 16, 12);
    const flat = resolveClickModel({ positionBias: 0 });
    expect(examineProbability(9, flat)).toBe(1);
  });

  it('views fall monotonically with the position, near p^-eta, with a fixed seed', () => {
    const pages = 20_000;
    const { views } = frequencies(pages, oddLovers, 12345);
    expect(views[0]).toBe(pages);
    for (let p = 1; p < PAGE.length; p++) {
      expect(views[p]!).toBeLessThan(views[p - 1]!);
      expect(views[p]! / pages).toBeCloseTo(1 / (p + 1), 1);
    }
  });

  it('a viewed post is liked more often the better it matches the taste', () => {
    expect(likeProbability(0, 0, model)).toBeCloseTo(DEFAULT_CLICK_MODEL.likeBase, 12);
    for (let a = 0; a < 1; a += 0.1)
      expect(likeProbability(a + 0.1, 0, model)).toBeGreaterThan(likeProbability(a, 0, model));
    expect(likeProbability(0.5, 1, model)).toBeGreaterThan(likeProbability(0.5, -1, model));
    expect(likeProbability(1, 1, resolveClickModel({ likeBase: 1, likeTaste: 1 }))).toBe(1);

    const { views, likes } = frequencies(20_000, oddLovers, 777);
    const rate = (odd: boolean) => {
      let v = 0;
      let l = 0;
      PAGE.forEach((post, i) => {
        if (post % 2 === (odd ? 1 : 0)) {
          v += views[i]!;
          l += likes[i]!;
        }
      });
      return l / v;
    };
    expect(rate(true)).toBeCloseTo(likeProbability(1, 0, model), 1);
    expect(rate(false)).toBeCloseTo(likeProbability(0, 0, model), 1);
    expect(rate(true)).toBeGreaterThan(5 * rate(false));
  });

  it('generated users like posts of their own taste categories more than others', () => {
    const data = generateDataset({ seed: 3, users: 200, posts: 120, interactions: 2000 });
    const tastes = hiddenTastesOf(data);
    const all = Array.from({ length: 120 }, (_, i) => i + 1);
    let inTaste = 0;
    let inTasteLiked = 0;
    let outside = 0;
    let outsideLiked = 0;
    const rng = new Rng(99);
    for (let user = 1; user <= 200; user++) {
      // Every post at the top of its own page, so each is viewed.
      for (const post of all) {
        const { views, likes } = reactToPage(user, [post], tastes, model, rng);
        expect(views).toEqual([post]);
        if (tastes.affinity(user, post) > 0) {
          inTaste++;
          inTasteLiked += likes.length;
        } else {
          outside++;
          outsideLiked += likes.length;
        }
      }
    }
    expect(inTaste).toBeGreaterThan(1000);
    expect(inTasteLiked / inTaste).toBeGreaterThan(4 * (outsideLiked / outside));
    const taste = data.userTaste(1);
    expect(taste.reduce((sum, t) => sum + t.weight, 0)).toBeCloseTo(1, 5);
  });

  it('draws the same reactions from the same seed', () => {
    const data = generateDataset({ seed: 3, users: 50, posts: 40, interactions: 500 });
    const tastes = hiddenTastesOf(data);
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, (_, u) => reactToPage(u + 1, PAGE, tastes, model, rng));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });
});

describe('settings', () => {
  it('names a bad click-model field', () => {
    expect(() => resolveClickModel({ positionBias: -1 })).toThrow(
      'clickModel.positionBias must be a number 0..10, got -1',
    );
    expect(() => resolveClickModel({ likeTaste: Number.NaN })).toThrow(/clickModel\.likeTaste/);
  });

  it('talks to the loopback interface only', async () => {
    for (const url of ['http://127.0.0.1:8000', 'http://localhost:1', 'http://[::1]:9']) {
      expect(checkLoopbackUrl(url).protocol).toBe('http:');
    }
    for (const url of ['http://10.0.0.1:8000', 'https://127.0.0.1', 'http://example.com', 'nonsense']) {
      expect(() => checkLoopbackUrl(url)).toThrow(/feed URL must be/);
    }
    await expect(
      runReactingUsers({ feedUrl: 'http://192.168.1.1:8000', tastes: oddLovers, sessions: 1 }),
    ).rejects.toThrow(/loopback/);
    await expect(
      runReactingUsers({ feedUrl: 'http://127.0.0.1:1', tastes: oddLovers, sessions: 1, concurrency: 0 }),
    ).rejects.toThrow('concurrency must be an integer 1..16, got 0');
  });
});

describe('empowerverse simulate-users', () => {
  const run = async (...args: string[]) => {
    const out = new PassThrough();
    let errors = '';
    const cmd = new Command().exitOverride().configureOutput({ writeErr: (e) => (errors += e) });
    registerSimulateUsersCommand(cmd, { out });
    try {
      await cmd.parseAsync(['node', 'empowerverse', 'simulate-users', ...args]);
      return '';
    } catch (error) {
      return `${errors}${error instanceof Error ? error.message : String(error)}`;
    }
  };

  it('needs --feed-url, on loopback, and checks its numbers', async () => {
    expect(await run()).toMatch(/required option '--feed-url <url>' not specified/);
    expect(await run('--feed-url', 'http://10.1.2.3:8000')).toMatch(
      /feed URL must be http on the loopback interface/,
    );
    expect(await run('--feed-url', 'http://127.0.0.1:1', '--concurrency', '17')).toMatch(
      /--concurrency <n>' argument '17' is invalid\. must be an integer 1\.\.16/,
    );
  });
});
