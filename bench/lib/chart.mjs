// A two-panel SVG bar chart: req/s and p99 latency for every run, one row per run, same order.
const ROW = 22;
const LABEL_WIDTH = 270;
const PANEL_WIDTH = 330;
const GAP = 40;
const TOP = 48;
const COLOURS = {
  baseline: '#8c8c8c',
  'app-wc1': '#2f6db5',
  'app-wc2': '#2f9e6b',
  soak: '#d9822b',
};

const escape = (text) =>
  String(text).replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c],
  );

const compact = (value) =>
  value >= 10_000
    ? `${(value / 1000).toFixed(1)}k`
    : value >= 100
      ? value.toFixed(0)
      : value.toFixed(2);

const duration = (msValue) =>
  msValue >= 1000 ? `${(msValue / 1000).toFixed(1)} s` : `${compact(msValue)} ms`;

/** Bars scaled linearly, or on a log scale from `logFrom` (latencies span 1 ms to seconds). */
function panel(rows, x, title, valueOf, format, logFrom = 0) {
  const max = Math.max(...rows.map(valueOf).filter(Number.isFinite), 1e-9);
  const scale = (value) =>
    logFrom > 0
      ? Math.max(0, Math.log10(value / logFrom)) / Math.max(1e-9, Math.log10(max / logFrom))
      : value / max;
  const parts = [
    `<text x="${x}" y="${TOP - 16}" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${TOP + rows.length * ROW}" stroke="#444"/>`,
  ];
  rows.forEach((row, i) => {
    const value = valueOf(row);
    const y = TOP + i * ROW;
    if (!Number.isFinite(value)) {
      parts.push(`<text x="${x + 4}" y="${y + 15}" fill="#b00">failed</text>`);
      return;
    }
    const width = Math.max(1, scale(value) * (PANEL_WIDTH - 70));
    parts.push(
      `<rect x="${x}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 6}" fill="${COLOURS[row.group] ?? '#666'}"/>`,
      `<text x="${x + width + 4}" y="${y + 15}">${format(value)}</text>`,
    );
  });
  return parts.join('\n');
}

/** rows: [{ label, group: baseline | app-wc1 | app-wc2 | soak, rps, p99Ms }] */
export function barChart(rows, title) {
  const width = LABEL_WIDTH + 2 * PANEL_WIDTH + GAP + 20;
  const height = TOP + rows.length * ROW + 40;
  const labels = rows.map(
    (row, i) =>
      `<text x="${LABEL_WIDTH - 8}" y="${TOP + i * ROW + 15}" text-anchor="end">${escape(row.label)}</text>`,
  );
  const legend = Object.entries(COLOURS).map(
    ([name, colour], i) =>
      `<rect x="${LABEL_WIDTH + i * 130}" y="${height - 26}" width="12" height="12" fill="${colour}"/>` +
      `<text x="${LABEL_WIDTH + i * 130 + 16}" y="${height - 16}">${name}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`,
    ...labels,
    panel(rows, LABEL_WIDTH, 'requests/s (higher is better)', (r) => r.rps, compact),
    panel(
      rows,
      LABEL_WIDTH + PANEL_WIDTH + GAP,
      'p99 latency, log scale from 0.1 ms (lower is better)',
      (r) => r.p99Ms,
      duration,
      0.1,
    ),
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
