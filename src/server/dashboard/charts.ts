// Chart.js configurations as plain JSON (no functions), which the page embeds and its script draws:
// the server decides what every chart shows. Animations are off, so a chart is drawn when the page is.
import { html, jsonScript, type SafeHtml } from './html.js';

/** Colours per interaction kind (the badges use the same). */
export const KIND_COLOURS: Record<string, string> = {
  view: '#6b8afd',
  like: '#ef5b7a',
  inspire: '#f5a524',
  rating: '#2bb673',
};
const PALETTE = ['#3a5bd9', '#ef5b7a', '#f5a524', '#2bb673', '#8b5cf6', '#14b8a6', '#f97316', '#64748b'];

export const colourAt = (i: number) => PALETTE[i % PALETTE.length]!;

export interface Series {
  label: string;
  data: number[];
  colour: string;
  /** Drawn dashed (e.g. events the service received, beside the synced ones). */
  dashed?: boolean;
}

type Config = Record<string, unknown>;

const base = (extra: Config = {}): Config => ({
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  interaction: { mode: 'index', intersect: false },
  plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
  ...extra,
});

/**
 * Lines over shared labels (days, ranks, …).
 * @example lineChart(days, [{ label: 'likes', data: [3, 5], colour: KIND_COLOURS.like! }])
 */
export function lineChart(
  labels: readonly (string | number)[],
  series: readonly Series[],
  { logY = false, xTitle, yTitle }: { logY?: boolean; xTitle?: string; yTitle?: string } = {},
): Config {
  return {
    type: 'line',
    data: {
      labels,
      datasets: series.map((s) => ({
        label: s.label,
        data: s.data,
        borderColor: s.colour,
        backgroundColor: s.colour,
        borderWidth: 1.5,
        pointRadius: 0,
        tension: 0.2,
        ...(s.dashed ? { borderDash: [5, 4] } : {}),
      })),
    },
    options: base({
      scales: {
        x: { ticks: { maxTicksLimit: 12 }, ...(xTitle ? { title: { display: true, text: xTitle } } : {}) },
        y: {
          type: logY ? 'logarithmic' : 'linear',
          ...(logY ? {} : { beginAtZero: true }),
          ...(yTitle ? { title: { display: true, text: yTitle } } : {}),
        },
      },
    }),
  };
}

/**
 * Bars, stacked or side by side; horizontal for long category names.
 * @example barChart(['Food', 'Tech'], [{ label: 'posts', data: [12, 7], colour: colourAt(0) }], { horizontal: true })
 */
export function barChart(
  labels: readonly string[],
  series: readonly Series[],
  { stacked = false, horizontal = false }: { stacked?: boolean; horizontal?: boolean } = {},
): Config {
  return {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.colour })),
    },
    options: base({
      indexAxis: horizontal ? 'y' : 'x',
      plugins: { legend: { display: series.length > 1, position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        x: { stacked, ...(horizontal ? { beginAtZero: true } : { ticks: { maxTicksLimit: 16 } }) },
        y: { stacked, ...(horizontal ? { ticks: { autoSkip: false } } : { beginAtZero: true }) },
      },
    }),
  };
}

/**
 * A small line without axes or legend.
 * @example sparkline(['10:00', '10:05'], [2.5, 3.1], colourAt(0))
 */
export function sparkline(labels: readonly string[], data: readonly number[], colour: string): Config {
  return {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          data,
          borderColor: colour,
          backgroundColor: `${colour}33`,
          fill: true,
          borderWidth: 1.5,
          pointRadius: 0,
          tension: 0.3,
        },
      ],
    },
    options: base({
      plugins: { legend: { display: false }, tooltip: { enabled: true } },
      scales: { x: { display: false }, y: { display: false, beginAtZero: true } },
    }),
  };
}

/**
 * The chart's canvas and its embedded configuration.
 * @example chartBlock('per-day', lineChart(days, series), { label: 'Interactions per day' })
 */
export function chartBlock(
  id: string,
  config: Config,
  { label, size = 'normal' }: { label: string; size?: 'normal' | 'short' | 'tall' | 'spark' },
): SafeHtml {
  const sizeClass = size === 'normal' ? 'chart' : `chart ${size}`;
  return html`<div class="${sizeClass}"><canvas data-chart="${id}" role="img" aria-label="${label}"></canvas></div>${jsonScript(id, config)}`;
}
