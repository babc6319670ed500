/*
 * The dashboard's assets, served by the admin endpoint itself (no CDN, no build step): one HTML page,
 * its stylesheet and its script. The script opens the WebSocket /ws, sends "SUBSCRIBE dashboard" and
 * redraws from each frame (frames.ts): the replication topology of this node, a replica table, and
 * small SVG line charts (drawn here, no chart library) of the last two minutes.
 */

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shardis dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header>
  <h1>shardis</h1>
  <span id="node"></span>
  <span id="role" class="role">…</span>
  <span id="conn" class="conn down">connecting</span>
</header>
<main>
  <section class="panel wide">
    <h2>Replication</h2>
    <div id="topology"></div>
    <table id="replicas">
      <thead><tr><th>replica</th><th>state</th><th>offset</th><th>lag (bytes)</th><th>lag (s)</th><th>dashboard</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="panel numbers">
    <div><label>ops/s</label><b id="ops">0</b></div>
    <div><label>memory</label><b id="mem">0</b></div>
    <div><label>clients</label><b id="clients">0</b></div>
    <div><label>keys</label><b id="keys">0</b></div>
    <div><label>loop delay p99</label><b id="loop">0</b></div>
  </section>
  <section class="panel"><h2>ops/s</h2><div class="chart" id="chart-ops"></div></section>
  <section class="panel"><h2>ops/s by command family</h2><div class="chart" id="chart-families"></div></section>
  <section class="panel"><h2>ops/s by shard</h2><div class="chart" id="chart-shards"></div></section>
  <section class="panel"><h2>memory</h2><div class="chart" id="chart-memory"></div></section>
  <section class="panel"><h2>clients</h2><div class="chart" id="chart-clients"></div></section>
  <section class="panel"><h2>keyspace</h2><div class="chart" id="chart-keys"></div></section>
</main>
<script src="/dashboard.js"></script>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root { --bg:#0f1419; --panel:#171e26; --fg:#d8dee6; --dim:#8a96a3; --ok:#3fb950; --bad:#f85149; --warn:#d29922; --acc:#58a6ff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:14px/1.4 system-ui, sans-serif; }
header { display:flex; gap:16px; align-items:center; padding:10px 18px; border-bottom:1px solid #26303b; }
h1 { font-size:18px; margin:0; color:var(--acc); }
h2 { font-size:13px; margin:0 0 8px; color:var(--dim); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
main { display:grid; grid-template-columns:repeat(auto-fill, minmax(360px, 1fr)); gap:12px; padding:12px 18px; }
.panel { background:var(--panel); border:1px solid #26303b; border-radius:6px; padding:12px; }
.wide { grid-column:1 / -1; }
.role { padding:2px 10px; border-radius:10px; background:#26303b; font-weight:600; }
.role.master { background:#1f6feb; color:#fff; }
.role.slave { background:#8957e5; color:#fff; }
.conn { margin-left:auto; font-size:12px; }
.conn.up { color:var(--ok); } .conn.down { color:var(--bad); }
.numbers { display:flex; flex-wrap:wrap; gap:18px; grid-column:1 / -1; }
.numbers div { display:flex; flex-direction:column; min-width:110px; }
.numbers label { color:var(--dim); font-size:12px; }
.numbers b { font-size:22px; font-variant-numeric:tabular-nums; }
table { width:100%; border-collapse:collapse; margin-top:10px; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid #26303b; }
th { color:var(--dim); font-weight:500; font-size:12px; }
a { color:var(--acc); }
.ok { color:var(--ok); } .bad { color:var(--bad); } .warn { color:var(--warn); }
#topology svg { width:100%; }
.chart svg { width:100%; height:150px; }
.legend { display:flex; flex-wrap:wrap; gap:10px; font-size:12px; color:var(--dim); margin-top:4px; }
.legend i { display:inline-block; width:10px; height:3px; margin-right:4px; vertical-align:middle; }
`;

export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var HISTORY = 120;
  var COLORS = ['#58a6ff', '#3fb950', '#d29922', '#f85149', '#bc8cff', '#39c5cf', '#ff7b72', '#e3b341', '#a5d6ff', '#7ee787'];
  var series = { ops: {}, families: {}, shards: {}, memory: {}, clients: {}, keys: {} };
  var times = [];
  var $ = function (id) { return document.getElementById(id); };
  var NS = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function bytes(n) {
    var u = ['B', 'KB', 'MB', 'GB', 'TB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : Math.round(n)) + ' ' + u[i];
  }
  function num(n) { return n >= 1e6 ? (n / 1e6).toFixed(2) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(n); }

  function push(group, name, v) {
    var s = series[group][name];
    if (!s) { s = series[group][name] = []; for (var i = 0; i < times.length - 1; i++) s.push(0); }
    s.push(v);
  }
  function trim() {
    if (times.length > HISTORY) times.shift();
    for (var g in series) for (var n in series[g]) {
      var s = series[g][n];
      while (s.length > times.length) s.shift();
    }
  }

  /** A line chart of every series in a group, y from 0 to the largest value seen in the window. */
  function chart(id, group, fmt) {
    var box = $(id);
    box.textContent = '';
    var W = Math.max(200, box.clientWidth || 600), H = 150, L = 64, B = 18;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' }, box);
    var names = Object.keys(series[group]).sort();
    var max = 0;
    names.forEach(function (n) { series[group][n].forEach(function (v) { if (v > max) max = v; }); });
    if (max <= 0) max = 1;
    for (var i = 0; i <= 2; i++) {
      var y = B / 2 + ((H - B) * i) / 2;
      el('line', { x1: L, x2: W, y1: y, y2: y, stroke: '#26303b' }, svg);
      var t = el('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', fill: '#8a96a3', 'font-size': 11 }, svg);
      var v = (max * (2 - i)) / 2;
      t.textContent = fmt(max >= 10 ? Math.round(v) : Math.round(v * 10) / 10);
    }
    var legend = document.createElement('div');
    legend.className = 'legend';
    names.forEach(function (n, k) {
      var s = series[group][n];
      var color = COLORS[k % COLORS.length];
      var pts = s.map(function (v, j) {
        var x = L + ((W - L) * (j + HISTORY - s.length)) / (HISTORY - 1);
        var y = B / 2 + (H - B) * (1 - v / max);
        return x.toFixed(1) + ',' + y.toFixed(1);
      });
      if (pts.length > 0) el('polyline', { points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' }, svg);
      var item = document.createElement('span');
      item.innerHTML = '<i style="background:' + color + '"></i>' + esc(n) + ' ' + esc(fmt(s[s.length - 1] || 0));
      legend.appendChild(item);
    });
    box.appendChild(legend);
  }

  function nodeBox(svg, x, y, w, title, lines, color, href) {
    var g = el('g', {}, svg);
    if (href) { g = el('a', { href: href }, svg); }
    el('rect', { x: x, y: y, width: w, height: 58, rx: 6, fill: '#0f1419', stroke: color, 'stroke-width': 2 }, g);
    var t = el('text', { x: x + 8, y: y + 17, fill: '#d8dee6', 'font-size': 13, 'font-weight': 600 }, g);
    t.textContent = title;
    lines.forEach(function (l, i) {
      var s = el('text', { x: x + 8, y: y + 33 + i * 14, fill: '#8a96a3', 'font-size': 11 }, g);
      s.textContent = l;
    });
  }

  /** Three tiers: this node's master (if it is a replica), this node, its replicas (chained too). */
  function topology(f) {
    var box = $('topology');
    box.textContent = '';
    var W = 900;
    var top = f.master ? 86 : 0;
    var H = top + (f.replicas.length ? 150 : 64);
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H }, box);
    svg.style.height = H + 'px';
    var me = 'this node :' + f.node.port + ' (' + (f.master ? 'replica' : 'master') + ')';
    if (f.master) {
      var m = f.master;
      var up = m.link === 'up';
      nodeBox(svg, W / 2 - 110, 4, 220, 'master ' + m.host + ':' + m.port, [m.admin ? 'open its dashboard' : 'dashboard unknown'], '#1f6feb', m.admin);
      el('line', { x1: W / 2, y1: 62, x2: W / 2, y2: top + 4, stroke: up ? '#3fb950' : '#f85149', 'stroke-width': 2, 'stroke-dasharray': up ? '' : '4 3' }, svg);
      var lt = el('text', { x: W / 2 + 8, y: 80, fill: up ? '#3fb950' : '#f85149', 'font-size': 11 }, svg);
      lt.textContent = 'link ' + m.link + (m.syncing ? ' (syncing)' : '') + (m.lastIo >= 0 ? ', last io ' + m.lastIo + ' s ago' : '');
    }
    var mine = f.master ? 'offset ' + f.master.offset : 'offset ' + f.offset;
    nodeBox(svg, W / 2 - 110, top + 4, 220, me, [mine + ', ' + (f.replicas.length ? f.replicas.length + ' replica(s)' : 'no replicas')], f.master ? '#8957e5' : '#1f6feb');
    var n = f.replicas.length;
    f.replicas.forEach(function (r, i) {
      var w = Math.min(200, (W - 20) / n - 10);
      var x = 10 + ((W - 20) * (i + 0.5)) / n - w / 2;
      var ok = r.state === 'online';
      el('line', { x1: W / 2, y1: top + 62, x2: x + w / 2, y2: top + 90, stroke: ok ? '#3fb950' : '#d29922', 'stroke-width': 2 }, svg);
      nodeBox(svg, x, top + 90, w, r.ip + ':' + r.port, [r.state + ', lag ' + r.lagBytes + ' B / ' + r.lagSeconds + ' s'], ok ? '#3fb950' : '#d29922', r.admin);
    });
  }

  function table(f) {
    var body = $('replicas').tBodies[0];
    var rows = f.replicas.map(function (r) {
      var cls = r.state === 'online' ? 'ok' : 'warn';
      return '<tr><td>' + esc(r.ip + ':' + r.port) + '</td><td class="' + cls + '">' + esc(r.state) + '</td><td>' + r.offset +
        '</td><td class="lag-bytes">' + r.lagBytes + '</td><td class="lag-seconds">' + r.lagSeconds + '</td><td>' +
        (r.admin ? '<a href="' + esc(r.admin) + '">open</a>' : '—') + '</td></tr>';
    });
    body.innerHTML = rows.join('');
    $('replicas').style.display = f.replicas.length ? '' : 'none';
  }

  function render(f) {
    var role = $('role');
    role.textContent = f.node.role;
    role.className = 'role ' + f.node.role;
    $('node').textContent = location.host + ' · RESP port ' + f.node.port + ' · ' + f.node.shards + ' shards · up ' + f.node.uptime + ' s';
    document.title = 'shardis ' + f.node.role + ' :' + f.node.port;
    $('ops').textContent = num(f.ops);
    $('mem').textContent = bytes(f.memory.used);
    $('clients').textContent = f.clients;
    $('keys').textContent = num(f.keys);
    $('loop').textContent = f.loopP99Ms + ' ms';
    topology(f);
    table(f);
    times.push(f.t);
    push('ops', 'total', f.ops);
    for (var fam in f.families) push('families', fam, f.families[fam]);
    for (var g in series.families) if (!(g in f.families)) push('families', g, 0);
    f.shardOps.forEach(function (v, i) { push('shards', 'shard ' + i, v); });
    push('memory', 'used', f.memory.used);
    push('memory', 'rss', f.memory.rss);
    push('clients', 'connected', f.clients);
    push('keys', 'all dbs', f.keys);
    trim();
    chart('chart-ops', 'ops', num);
    chart('chart-families', 'families', num);
    chart('chart-shards', 'shards', num);
    chart('chart-memory', 'memory', bytes);
    chart('chart-clients', 'clients', String);
    chart('chart-keys', 'keys', num);
  }

  function connect() {
    var proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var ws = new WebSocket(proto + location.host + '/ws');
    ws.onopen = function () {
      $('conn').textContent = 'live';
      $('conn').className = 'conn up';
      ws.send('SUBSCRIBE dashboard');
    };
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && f.node) render(f);
    };
    ws.onclose = function () {
      $('conn').textContent = 'disconnected, retrying';
      $('conn').className = 'conn down';
      setTimeout(connect, 1000);
    };
  }
  connect();
})();
`;
