// The dashboard's only browser script, served as /dashboard/assets/dashboard.js: plain JavaScript that
// needs no build. It draws each chart from the Chart.js config the page embeds as JSON (the server decides
// what is plotted), and refreshes the live sections (request table, sync progress) by polling a JSON
// endpoint that answers their markup, rendered and escaped by the same templates as the page.
export const DASHBOARD_SCRIPT = `'use strict';
(() => {
  const charts = new Map();

  function drawCharts() {
    if (typeof Chart === 'undefined') return;
    for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) continue;
      charts.set(canvas.dataset.chart, new Chart(canvas, JSON.parse(source.textContent)));
      canvas.dataset.drawn = 'true';
    }
  }

  /** Replaces a chart's labels and first dataset with fresh values. */
  function updateChart(id, update) {
    const chart = charts.get(id);
    if (!chart || !update) return;
    chart.data.labels = update.labels;
    chart.data.datasets[0].data = update.data;
    chart.update('none');
  }

  /** Polls data-poll (JSON {html, active, chart?}) every data-poll-ms while the page is open. */
  function poll(section) {
    const url = section.dataset.poll;
    const every = Number(section.dataset.pollMs) || 5000;
    let wasActive = section.dataset.active === 'true';
    const tick = async () => {
      try {
        const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
        if (res.ok) {
          const body = await res.json();
          const target = section.querySelector('[data-poll-target]') || section;
          target.innerHTML = body.html;
          if (body.chart) updateChart(section.dataset.pollChart, body.chart);
          // A run that just ended changed what the rest of the page shows (history, counts).
          if (wasActive && body.active === false && section.dataset.reloadWhenDone === 'true') {
            window.location.reload();
            return;
          }
          wasActive = body.active === true;
          section.dataset.active = String(wasActive);
        } else if (res.status === 401) {
          window.location.reload();
          return;
        }
      } catch (error) {
        // The service restarting: try again at the next tick.
      }
      setTimeout(tick, wasActive ? Math.min(every, 1000) : every);
    };
    setTimeout(tick, wasActive ? Math.min(every, 1000) : every);
  }

  drawCharts();
  for (const section of document.querySelectorAll('[data-poll]')) poll(section);
})();
`;
