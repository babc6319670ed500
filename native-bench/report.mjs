// One self-contained HTML file for a benchmark run: its charts (inline SVG, as the suite wrote them),
// its tables and the run's metadata (date, machine, parameters), so a user opens one file to see the
// comparison. No scripts, no external assets. Also a small SVG line chart for a field per server
// against the replica count (the lag chart of native-bench/replicas.mjs).

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** rows: [{...}] with the same keys; null/undefined cells print as an em dash. */
export function htmlTable(rows) {
  if (!rows.length) return '<p>(no rows)</p>';
  const keys = Object.keys(rows[0]);
  const head = keys.map((k) => `<th>${esc(k)}</th>`).join('');
  const body = rows.map((r) => `<tr>${keys.map((k) => `<td>${r[k] === null || r[k] === undefined ? '—' : esc(r[k])}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * @param {{title: string, meta: object, charts: {title: string, svg: string}[], tables: {title: string, rows: object[]}[], notes?: string}} r
 */
export function htmlReport(r) {
  const meta = Object.entries(r.meta).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const charts = r.charts.map((c) => `<figure><figcaption>${esc(c.title)}</figcaption>${c.svg.replace(/^<\?xml[^>]*>/, '')}</figure>`).join('\n');
  const tables = r.tables.map((t) => `<h2>${esc(t.title)}</h2>\n${htmlTable(t.rows)}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 8px 0 20px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th { background: #f3f3f3; }
figure { margin: 12px 0 24px; } figcaption { font-weight: 600; margin-bottom: 4px; }
.meta th, .meta td { text-align: left; }
</style></head>
<body>
<h1>${esc(r.title)}</h1>
${r.notes ? `<p>${esc(r.notes)}</p>` : ''}
<table class="meta">${meta}</table>
${charts}
${tables}
</body></html>
`;
}

/** A line per server of rows[field] against rows.replicas. */
export function lineSvg(rows, field, title, servers = [['shardis', '#2a7'], ['redis-server', '#36c']]) {
  const W = 720;
  const H = 300;
  const x0 = 70;
  const y0 = 260;
  const vals = rows.map((r) => r[field]).filter((v) => typeof v === 'number');
  const maxK = Math.max(...rows.map((r) => r.replicas), 1);
  const maxV = Math.max(...vals, 1e-9);
  const X = (k) => x0 + (k / maxK) * (W - x0 - 160);
  const Y = (v) => y0 - (v / maxV) * (y0 - 40);
  let body = `<text x="10" y="20" font-size="13">${esc(title)}</text>`;
  body += `<line x1="${x0}" y1="${y0}" x2="${W - 150}" y2="${y0}" stroke="#888"/><line x1="${x0}" y1="40" x2="${x0}" y2="${y0}" stroke="#888"/>`;
  for (const k of [...new Set(rows.map((r) => r.replicas))]) body += `<text x="${X(k) - 4}" y="${y0 + 16}" font-size="11">${k}</text>`;
  body += `<text x="${x0}" y="${y0 + 32}" font-size="11">replicas</text><text x="4" y="44" font-size="11">${+maxV.toFixed(2)}</text><text x="4" y="${y0}" font-size="11">0</text>`;
  servers.forEach(([server, color], i) => {
    const pts = rows
      .filter((r) => r.server === server && typeof r[field] === 'number')
      .sort((a, b) => a.replicas - b.replicas)
      .map((r) => `${X(r.replicas).toFixed(1)},${Y(r[field]).toFixed(1)}`);
    if (pts.length) body += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`;
    body += `<line x1="${W - 140}" y1="${60 + i * 18}" x2="${W - 115}" y2="${60 + i * 18}" stroke="${color}" stroke-width="2"/><text x="${W - 110}" y="${64 + i * 18}" font-size="11">${esc(server)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${body}</svg>\n`;
}
