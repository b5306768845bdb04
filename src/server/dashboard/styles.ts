// The dashboard's stylesheet, served as /dashboard/assets/dashboard.css (pages carry no inline style, so
// the Content-Security-Policy can forbid it).
export const DASHBOARD_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1d2330; --muted: #667085; --line: #e3e6ec;
  --accent: #3a5bd9; --good: #1f9d55; --bad: #d64545; --warn: #b7791f;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  font-size: 14px; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #1d2330; color: #fff; }
header.top .brand { font-weight: 600; letter-spacing: .2px; }
header.top nav { display: flex; gap: 4px; flex: 1; }
header.top nav a { color: #c8cfdc; padding: 6px 10px; border-radius: 6px; }
header.top nav a.current, header.top nav a:hover { color: #fff; background: #333c52; text-decoration: none; }
header.top form { margin: 0; }
header.top button { background: transparent; color: #c8cfdc; border: 1px solid #4a556e; border-radius: 6px; padding: 4px 10px; cursor: pointer; }
main { padding: 20px 24px 48px; max-width: 1440px; margin: 0 auto; }
h1 { font-size: 20px; margin: 4px 0 16px; }
h2 { font-size: 15px; margin: 0 0 10px; }
h3 { font-size: 13px; margin: 14px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
p.note, .muted { color: var(--muted); }
p.note { margin: 6px 0 0; font-size: 12.5px; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); margin-bottom: 16px; }
.grid.wide { grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); }
.columns { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin-bottom: 16px; overflow-x: auto; }
.grid > section.panel { margin-bottom: 0; }
.cards { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 22px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; margin-top: 2px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:last-child td { border-bottom: none; }
.chart { position: relative; height: 260px; }
.chart.short { height: 160px; }
.chart.spark { height: 56px; }
.chart.tall { height: 340px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 999px; font-size: 11.5px; background: #eef1f6; color: var(--muted); white-space: nowrap; }
.badge.complete, .badge.ok { background: #e3f5ea; color: var(--good); }
.badge.failed, .badge.error { background: #fbe6e6; color: var(--bad); }
.badge.running, .badge.aborted, .badge.pending { background: #fdf3dc; color: var(--warn); }
.badge.view { background: #e8edff; color: #3a5bd9; }
.badge.like { background: #fde7ec; color: #c7304f; }
.badge.inspire { background: #fff1d6; color: #a66400; }
.badge.rating { background: #e0f5ea; color: #1f7a4a; }
ol.feed { margin: 0; padding-left: 22px; }
ol.feed li { margin: 0 0 8px; }
ol.feed .reason { display: block; color: var(--muted); font-size: 12px; }
ol.feed .meta { color: var(--muted); font-size: 12px; }
.feed-column { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.feed-column.served { border-color: var(--accent); }
.feed-column h2 { display: flex; justify-content: space-between; gap: 8px; }
form.inline { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
input[type=text], input[type=password], input[type=number] { padding: 6px 8px; border: 1px solid #c9ced8; border-radius: 6px; font: inherit; }
button.primary { background: var(--accent); color: #fff; border: none; border-radius: 6px; padding: 7px 14px; font: inherit; cursor: pointer; }
button.primary:disabled { opacity: .5; cursor: default; }
.error-box { background: #fbe6e6; color: #8a1f1f; border-radius: 8px; padding: 10px 12px; margin-bottom: 12px; }
.notice-box { background: #e8edff; color: #243a8f; border-radius: 8px; padding: 10px 12px; margin-bottom: 12px; }
.login { max-width: 380px; margin: 12vh auto; background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 24px; }
.login label { display: block; margin-bottom: 6px; color: var(--muted); }
.login input { width: 100%; margin-bottom: 14px; }
.scroll { max-height: 460px; overflow-y: auto; }
.keywords { display: flex; flex-wrap: wrap; gap: 6px; }
meter { width: 120px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.diff-in { color: var(--good); }
.diff-out { color: var(--bad); }
`;
