// Number formats and tables for the Markdown reports.

export const int = (n) =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en');
export const ms = (n) =>
  n === null || n === undefined
    ? '–'
    : n < 10
      ? n.toFixed(2)
      : n < 100
        ? n.toFixed(1)
        : n.toFixed(0);
export const pct = (n) => (n === null || n === undefined ? '–' : `${Math.round(n)}%`);
export const ratio = (n) => (n >= 2 ? `${n.toFixed(1)}×` : `${Math.round(n * 100)}%`);
export const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** Inline code that survives a table cell: pipes escaped, backticks in the text fenced by two. */
export const code = (text) => {
  const cell = String(text).replace(/\|/g, '\\|');
  return cell.includes('`') ? `\`\` ${cell} \`\`` : `\`${cell}\``;
};
