// The script of hsdecode's HTML report (report/html.go): inlined in every
// page. It reads the connections from the page's JSON and draws the plot,
// one page of the table and the diagrams of the connections opened. Every
// string from the data is set with textContent or as an attribute value,
// never parsed as markup. The URL fragment holds the filters, the table
// page and the connections opened (#outcome=alert&open=all), so that a
// view can be linked, and a test can drive the page without clicks.
// A click on a slice of the plot keeps the connections begun in it
// (#from=...&to=..., time stamps as the data writes them).
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var OUTCOMES = ['established', 'alert', 'violation', 'partial', 'gap', 'incomplete', 'not_tls'];
  var COLORS = { established: '#2e7d32', alert: '#c62828', violation: '#6a1b9a', partial: '#f9a825',
    gap: '#ef6c00', incomplete: '#757575', not_tls: '#1565c0' };

  var data = JSON.parse(document.getElementById('hsdecode-data').textContent);
  var conns = data.connections;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    setAttrs(e, attrs);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  // micros is a docs/report.md time stamp in microseconds since the epoch.
  function micros(stamp) {
    var ms = Date.parse(stamp.slice(0, 19) + 'Z');
    var frac = (stamp.slice(20, 26) + '000000').slice(0, 6);
    return ms * 1000 + parseInt(frac, 10);
  }
  // stampOf is the time stamp of a number of microseconds since the
  // epoch, rounded up: a slice's edge, which micros reads back.
  function stampOf(us) {
    us = Math.ceil(us);
    var sec = Math.floor(us / 1e6);
    return new Date(sec * 1000).toISOString().slice(0, 19) + '.' + String(1e6 + us - sec * 1e6).slice(1) + 'Z';
  }
  function shortTime(stamp) { return stamp.slice(0, 10) + ' ' + stamp.slice(11, 26); }

  function alertName(a) {
    if (a.encrypted) return 'encrypted';
    return a.description || 'unknown';
  }
  conns.forEach(function (c, i) {
    c.n = i + 1;
    c.start = micros(c.ts);
    c.alertNames = (c.alerts || []).map(alertName);
  });

  // The state: filters, the table page, what is open.
  var FILTERS = ['outcome', 'server', 'sni', 'version', 'alert', 'diagnosis', 'from', 'to'];
  var state;

  function readHash() {
    var s = { outcome: '', server: '', sni: '', version: '', alert: '', diagnosis: '', from: '', to: '', page: 1, size: 100, open: {}, openAll: false };
    location.hash.replace(/^#/, '').split('&').forEach(function (part) {
      if (!part) return;
      var i = part.indexOf('='), k, v;
      try {
        k = decodeURIComponent(i < 0 ? part : part.slice(0, i));
        v = i < 0 ? '' : decodeURIComponent(part.slice(i + 1).replace(/\+/g, ' '));
      } catch (e) {
        return; // a part that is not percent-encoded right is left out
      }
      if (FILTERS.indexOf(k) >= 0) s[k] = v;
      else if (k === 'page') s.page = Math.max(1, parseInt(v, 10) || 1);
      else if (k === 'size') s.size = Math.min(10000, Math.max(10, parseInt(v, 10) || 100));
      else if (k === 'open') {
        if (v === 'all') s.openAll = true;
        else v.split(',').forEach(function (n) { var x = parseInt(n, 10); if (x > 0) s.open[x] = true; });
      }
    });
    return s;
  }
  function writeHash() {
    var parts = [];
    FILTERS.forEach(function (k) {
      if (state[k]) parts.push(k + '=' + encodeURIComponent(state[k]));
    });
    if (state.page > 1) parts.push('page=' + state.page);
    if (state.size !== 100) parts.push('size=' + state.size);
    if (state.openAll) parts.push('open=all');
    else {
      var open = Object.keys(state.open).filter(function (k) { return state.open[k]; });
      if (open.length) parts.push('open=' + open.join(','));
    }
    var url = parts.length ? '#' + parts.join('&') : location.pathname + location.search;
    try { history.replaceState(null, '', url); } catch (e) { /* a page opened from a file may refuse: the view still changes */ }
  }

  // matches says whether c passes the filters; from and to are the time
  // filter's bounds in microseconds, read once for all.
  function matches(c, from, to) {
    if (state.outcome && c.outcome !== state.outcome) return false;
    if (state.version && (c.version || '(none)') !== state.version) return false;
    if (state.alert && c.alertNames.indexOf(state.alert) < 0) return false;
    if (state.diagnosis && (c.diagnosis ? c.diagnosis.code : '(none)') !== state.diagnosis) return false;
    if (state.server && c.server.toLowerCase().indexOf(state.server.toLowerCase()) < 0) return false;
    if (state.sni && (c.server_name || '').toLowerCase().indexOf(state.sni.toLowerCase()) < 0) return false;
    if (c.start < from || c.start >= to) return false;
    return true;
  }

  // The run: inputs, packets, inputs that could not be read, the baseline.
  function drawRun() {
    var run = document.getElementById('run');
    var s = data.summary;
    var line = [];
    if (data.files.length) line.push(data.files.length + (data.files.length === 1 ? ' input: ' + data.files[0] : ' inputs'));
    if (s && s.packets) line.push(s.packets.read + ' packets read');
    if (s && s.out_of_order) line.push(s.out_of_order + ' reported out of start order');
    if (s && s.diagnoses) {
      var ds = Object.keys(s.diagnoses).sort().map(function (k) { return k + ' ' + s.diagnoses[k]; });
      if (ds.length) line.push('diagnoses: ' + ds.join(', '));
    }
    if (line.length) run.appendChild(el('p', null, line.join(', ')));
    data.input_errors.forEach(function (e) {
      run.appendChild(el('p', { 'class': 'errors' }, 'input error: ' + e.file + ': ' + e.error));
    });
    if (s && s.baseline) {
      // The changes for the worse are listed; the others, which can be a
      // line per server, are folded.
      run.appendChild(el('p', null, 'baseline: ' + s.baseline.worse + ' worse'));
      var others = el('details');
      (s.baseline.changes || []).forEach(function (ch) {
        var line = ch.server + (ch.server_name ? ' ' + ch.server_name : '') + ' ' + ch.kind + ': ' + ch.detail;
        (ch.worse ? run : others).appendChild(el('p', ch.worse ? { 'class': 'errors' } : null, line));
      });
      if (others.firstChild) {
        others.insertBefore(el('summary', null, others.childNodes.length + ' other changes (not worse)'), others.firstChild);
        run.appendChild(others);
      }
    }
  }

  // The plot: connections by outcome, stacked per slice of capture time,
  // and the alerts sent in each slice as a line.
  function drawPlot() {
    var box = document.getElementById('plot');
    if (!conns.length) { box.appendChild(el('p', null, 'No connections.')); return; }
    var t0 = Infinity, t1 = -Infinity;
    conns.forEach(function (c) { t0 = Math.min(t0, c.start); t1 = Math.max(t1, c.start); });
    var nb = t1 > t0 ? 60 : 1;
    var span = (t1 - t0) / nb || 1;
    var bins = [], alertBins = [];
    for (var i = 0; i < nb; i++) { bins.push({}); alertBins.push(0); }
    function bin(t) { return Math.min(nb - 1, Math.max(0, Math.floor((t - t0) / span))); }
    conns.forEach(function (c) {
      var b = bins[bin(c.start)];
      b[c.outcome] = (b[c.outcome] || 0) + 1;
      (c.alerts || []).forEach(function (a) { alertBins[bin(micros(a.ts))]++; });
    });
    var maxN = 1;
    bins.forEach(function (b, i) {
      var n = 0;
      Object.keys(b).forEach(function (k) { n += b[k]; });
      maxN = Math.max(maxN, n, alertBins[i]);
    });
    var W = 900, H = 200, L = 50, T = 10, PW = W - L - 10, PH = H - T - 40;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + (H + 24), width: W, height: H + 24, role: 'img', 'class': 'timeline' });
    s.appendChild(svg('title', null, 'Connections by outcome and alerts over capture time'));
    s.appendChild(svg('line', { x1: L, y1: T + PH, x2: L + PW, y2: T + PH, 'class': 'axis' }));
    s.appendChild(svg('line', { x1: L, y1: T, x2: L, y2: T + PH, 'class': 'axis' }));
    s.appendChild(svg('text', { x: L - 6, y: T + 10, 'text-anchor': 'end' }, maxN));
    s.appendChild(svg('text', { x: L - 6, y: T + PH, 'text-anchor': 'end' }, 0));
    var bw = PW / nb;
    bins.forEach(function (b, i) {
      // The whole height of a slice takes the click: it keeps the
      // connections begun in it (the last slice ends after the last one).
      var from = stampOf(t0 + i * span), to = i === nb - 1 ? stampOf(t1 + 1) : stampOf(t0 + (i + 1) * span);
      var n = 0;
      Object.keys(b).forEach(function (k) { n += b[k]; });
      var hit = svg('rect', { x: L + i * bw, y: T, width: bw, height: PH, fill: 'transparent', 'class': 'slice' });
      hit.appendChild(svg('title', null, shortTime(from) + ' to ' + shortTime(to) + ': ' + n + ' connections, ' + alertBins[i] + ' alerts'));
      hit.addEventListener('click', function () {
        state.from = from;
        state.to = to;
        state.page = 1;
        writeHash();
        showFilters();
        drawTable();
      });
      s.appendChild(hit);
      var y = T + PH;
      OUTCOMES.forEach(function (o) {
        if (!b[o]) return;
        var h = b[o] / maxN * PH;
        y -= h;
        var r = svg('rect', { x: L + i * bw + 1, y: y, width: Math.max(1, bw - 2), height: h, fill: COLORS[o], 'class': 'bar', 'data-outcome': o });
        r.appendChild(svg('title', null, b[o] + ' ' + o + ' (a click keeps this slice of time)'));
        r.addEventListener('click', function () { hit.dispatchEvent(new MouseEvent('click')); });
        s.appendChild(r);
      });
    });
    var pts = alertBins.map(function (n, i) { return (L + (i + 0.5) * bw) + ',' + (T + PH - n / maxN * PH); });
    s.appendChild(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: '#1d232b', 'stroke-width': 1.5, 'class': 'alerts' }));
    alertBins.forEach(function (n, i) {
      if (!n) return;
      var c = svg('circle', { cx: L + (i + 0.5) * bw, cy: T + PH - n / maxN * PH, r: 3, fill: '#1d232b' });
      c.appendChild(svg('title', null, n + ' alert' + (n === 1 ? '' : 's')));
      s.appendChild(c);
    });
    var first = conns.reduce(function (a, c) { return c.start < a.start ? c : a; });
    var last = conns.reduce(function (a, c) { return c.start > a.start ? c : a; });
    s.appendChild(svg('text', { x: L, y: T + PH + 16 }, shortTime(first.ts)));
    s.appendChild(svg('text', { x: L + PW, y: T + PH + 16, 'text-anchor': 'end' }, shortTime(last.ts)));
    var x = L;
    OUTCOMES.concat(['alerts']).forEach(function (o) {
      if (o !== 'alerts' && !conns.some(function (c) { return c.outcome === o; })) return;
      s.appendChild(o === 'alerts' ? svg('line', { x1: x, y1: H + 12, x2: x + 12, y2: H + 12, stroke: '#1d232b', 'stroke-width': 2 })
        : svg('rect', { x: x, y: H + 6, width: 12, height: 12, fill: COLORS[o] }));
      s.appendChild(svg('text', { x: x + 16, y: H + 16 }, o));
      x += 30 + o.length * 7;
    });
    box.appendChild(s);
  }

  // The filters' choices: what the connections hold, with their counts.
  function fillFilters() {
    function options(id, counts, order) {
      var sel = document.getElementById(id);
      order.forEach(function (k) {
        if (counts[k]) sel.appendChild(el('option', { value: k }, k + ' (' + counts[k] + ')'));
      });
    }
    var oc = {}, vc = {}, ac = {}, dc = {};
    conns.forEach(function (c) {
      oc[c.outcome] = (oc[c.outcome] || 0) + 1;
      var v = c.version || '(none)';
      vc[v] = (vc[v] || 0) + 1;
      var seen = {};
      c.alertNames.forEach(function (a) { if (!seen[a]) { seen[a] = true; ac[a] = (ac[a] || 0) + 1; } });
      var d = c.diagnosis ? c.diagnosis.code : '(none)';
      dc[d] = (dc[d] || 0) + 1;
    });
    options('f-outcome', oc, OUTCOMES.concat(Object.keys(oc).filter(function (o) { return OUTCOMES.indexOf(o) < 0; })));
    options('f-version', vc, Object.keys(vc).sort());
    options('f-alert', ac, Object.keys(ac).sort());
    options('f-diagnosis', dc, Object.keys(dc).sort());
  }
  function showFilters() {
    var span = document.getElementById('f-time');
    clear(span);
    if (state.from || state.to) {
      span.appendChild(el('span', null, 'begun ' + (state.from ? 'from ' + shortTime(state.from) + ' ' : '') +
        (state.to ? 'before ' + shortTime(state.to) : '')));
      var x = el('button', { type: 'button', title: 'any time' }, '\u00d7');
      x.addEventListener('click', function () {
        state.from = state.to = '';
        state.page = 1;
        writeHash();
        showFilters();
        drawTable();
      });
      span.appendChild(x);
    }
    ['outcome', 'server', 'sni', 'version', 'alert', 'diagnosis'].forEach(function (k) {
      var e = document.getElementById('f-' + k);
      if (e.tagName === 'SELECT' && state[k] && !Array.prototype.some.call(e.options, function (o) { return o.value === state[k]; })) {
        e.appendChild(el('option', { value: state[k] }, state[k] + ' (0)'));
      }
      e.value = state[k];
    });
  }
  function bindFilters() {
    var timer = null;
    ['outcome', 'server', 'sni', 'version', 'alert', 'diagnosis'].forEach(function (k) {
      var e = document.getElementById('f-' + k);
      e.addEventListener(e.tagName === 'SELECT' ? 'change' : 'input', function () {
        state[k] = e.value;
        state.page = 1;
        clearTimeout(timer);
        timer = setTimeout(function () { writeHash(); drawTable(); }, e.tagName === 'SELECT' ? 0 : 150);
      });
    });
    document.getElementById('f-clear').addEventListener('click', function () {
      FILTERS.forEach(function (k) { state[k] = ''; });
      state.page = 1;
      showFilters();
      writeHash();
      drawTable();
    });
  }

  function alertText(a) {
    return a.from + ' ' + (a.encrypted ? 'encrypted' : (a.level ? a.level + ' ' : '') + (a.description || ''));
  }

  // The table: the page of the connections that match, and the diagram
  // under each one opened.
  function drawTable() {
    var body = document.getElementById('rows');
    clear(body);
    var from = state.from ? micros(state.from) : -Infinity, to = state.to ? micros(state.to) : Infinity;
    var shown = conns.filter(function (c) { return matches(c, from, to); });
    var pages = Math.max(1, Math.ceil(shown.length / state.size));
    state.page = Math.min(state.page, pages);
    var from = (state.page - 1) * state.size;
    var page = shown.slice(from, from + state.size);
    document.getElementById('shown').textContent = shown.length === conns.length
      ? conns.length + ' connections' : shown.length + ' of ' + conns.length + ' connections match';
    drawPager(pages, from, page.length, shown.length);
    var frag = document.createDocumentFragment();
    page.forEach(function (c) {
      var open = state.openAll || !!state.open[c.n];
      var tr = el('tr', { 'class': 'conn' + (open ? ' open' : ''), 'data-n': c.n, 'data-outcome': c.outcome, tabindex: 0 });
      tr.appendChild(el('td', null, c.n));
      tr.appendChild(el('td', { 'class': 'mono' }, shortTime(c.ts)));
      tr.appendChild(el('td', { 'class': 'mono' }, c.client));
      tr.appendChild(el('td', { 'class': 'mono' }, c.server));
      tr.appendChild(el('td', null, c.server_name || ''));
      var oc = el('td');
      oc.appendChild(el('span', { 'class': 'badge ' + c.outcome }, c.outcome));
      tr.appendChild(oc);
      tr.appendChild(el('td', null, c.version || ''));
      tr.appendChild(el('td', { 'class': 'mono' }, c.cipher_suite || ''));
      tr.appendChild(el('td', null, (c.alerts || []).map(alertText).join(', ')));
      tr.appendChild(el('td', { 'class': 'mono' }, c.diagnosis ? c.diagnosis.code : (c.violations ? c.violations[0].code : '')));
      tr.addEventListener('click', function () { toggle(c, tr); });
      tr.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(c, tr); }
      });
      frag.appendChild(tr);
      if (open) frag.appendChild(detailRow(c));
    });
    body.appendChild(frag);
  }
  function toggle(c, tr) {
    var next = tr.nextSibling;
    if (next && next.classList && next.classList.contains('detail')) {
      next.parentNode.removeChild(next);
      tr.classList.remove('open');
      if (state.openAll) {
        state.openAll = false;
        document.querySelectorAll('tr.conn.open').forEach(function (o) { state.open[o.getAttribute('data-n')] = true; });
      }
      delete state.open[c.n];
    } else {
      tr.parentNode.insertBefore(detailRow(c), tr.nextSibling);
      tr.classList.add('open');
      state.open[c.n] = true;
    }
    writeHash();
  }
  function drawPager(pages, from, n, total) {
    var p = document.getElementById('pager');
    clear(p);
    if (pages <= 1) return;
    function go(to) { state.page = to; writeHash(); drawTable(); }
    var prev = el('button', { type: 'button' }, '\u2039 previous');
    prev.disabled = state.page <= 1;
    prev.addEventListener('click', function () { go(state.page - 1); });
    var next = el('button', { type: 'button' }, 'next \u203a');
    next.disabled = state.page >= pages;
    next.addEventListener('click', function () { go(state.page + 1); });
    p.appendChild(prev);
    p.appendChild(next);
    p.appendChild(el('span', null, 'page ' + state.page + ' of ' + pages + ' (' + (from + 1) + '\u2013' + (from + n) + ' of ' + total + ')'));
  }

  function detailRow(c) {
    var tr = el('tr', { 'class': 'detail', 'data-n': c.n });
    var td = el('td', { colspan: 10 });
    var body = el('div', { 'class': 'detail-body' });
    body.appendChild(ladder(c));
    body.appendChild(sidePanel(c));
    td.appendChild(body);
    tr.appendChild(td);
    return tr;
  }

  // ladder draws a connection as a sequence diagram, as Wireshark's flow
  // graph does: the time of each message, the client's and the server's
  // lanes with an arrow per message, and a comment column.
  function ladder(c) {
    var msgs = c.messages || [];
    var start = c.start;
    // Each alert record is the next alert message (the text ladder's rule).
    var alerts = (c.alerts || []).slice();
    // Each violation marks the message it was raised at: same side, type
    // and time; one that matches none gets a row of its own.
    var marks = {}, loose = [];
    (c.violations || []).forEach(function (v) {
      var at = micros(v.ts) - start, side = v.from === 'server' ? 's' : 'c', hit = -1;
      for (var i = 0; i < msgs.length; i++) {
        if (msgs[i][1] === side && msgs[i][2] === v.got && msgs[i][0] === at) { hit = i; break; }
      }
      if (hit < 0) {
        for (var j = msgs.length - 1; j >= 0; j--) {
          if (msgs[j][1] === side && msgs[j][2] === v.got) { hit = j; break; }
        }
      }
      if (hit < 0) loose.push(v);
      else (marks[hit] = marks[hit] || []).push(v);
    });
    var extra = loose.length + (c.gap ? 1 : 0) + 1;
    var W = 780, ROW = 30, TOP = 56, XT = 64, XC = 140, XS = 450, XM = 470;
    var H = TOP + (msgs.length + extra) * ROW;
    var s = svg('svg', { 'class': 'ladder', 'data-n': c.n, width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    s.appendChild(svg('title', null, 'Connection ' + c.n + ': ' + c.client + ' to ' + c.server));
    s.appendChild(svg('text', { x: XT, y: 14, 'text-anchor': 'end', 'class': 'time' }, 'time (s)'));
    s.appendChild(svg('text', { x: XM, y: 14, 'class': 'comment' }, 'comment'));
    [[XC, 'client', c.client], [XS, 'server', c.server]].forEach(function (h) {
      var g = svg('g', { 'class': 'host' });
      g.appendChild(svg('rect', { x: h[0] - 90, y: 20, width: 180, height: 24, rx: 3 }));
      g.appendChild(svg('text', { x: h[0], y: 36, 'text-anchor': 'middle' }, h[1] + ' ' + h[2]));
      s.appendChild(g);
      s.appendChild(svg('line', { x1: h[0], y1: 44, x2: h[0], y2: H - 4, 'class': 'lane' }));
    });
    msgs.forEach(function (m, i) {
      var y = TOP + i * ROW + 16;
      var fromC = m[1] === 'c';
      var x1 = fromC ? XC : XS, x2 = fromC ? XS : XC;
      var cls = 'msg', label = m[2], flags = m[4] || '';
      if (flags.indexOf('e') >= 0) { cls += ' enc'; label += ' (encrypted)'; }
      if (flags.indexOf('d') >= 0) { cls += ' dec'; label += ' (decrypted)'; }
      if (flags.indexOf('0') >= 0) { cls += ' early'; label += ' (0-rtt)'; }
      if (m[2] === 'alert' && alerts.length) {
        var a = alerts.shift();
        cls += ' alert';
        label = a.encrypted ? 'alert (encrypted)' : 'alert ' + (a.level || '') + ' ' + (a.description || '');
      }
      var vs = marks[i];
      if (vs) cls += ' viol';
      var g = svg('g', { 'class': cls, 'data-type': m[2], 'data-from': fromC ? 'client' : 'server' });
      g.appendChild(svg('text', { x: XT, y: y + 4, 'text-anchor': 'end', 'class': 'time' }, (m[0] / 1e6).toFixed(6)));
      g.appendChild(svg('line', { x1: x1, y1: y, x2: x2 + (fromC ? -8 : 8), y2: y }));
      var d = fromC ? -8 : 8;
      g.appendChild(svg('polygon', { points: x2 + ',' + y + ' ' + (x2 + d) + ',' + (y - 4) + ' ' + (x2 + d) + ',' + (y + 4) }));
      g.appendChild(svg('text', { x: (XC + XS) / 2, y: y - 5, 'text-anchor': 'middle', 'class': 'label' }, (vs ? '\u2716 ' : '') + label));
      var comment = [];
      if (m[3]) comment.push(m[3] + ' B');
      if (m[5]) comment.push(m[5]);
      if (vs) comment.unshift(vs.map(function (v) { return v.code; }).join(', '));
      if (comment.length) g.appendChild(svg('text', { x: XM, y: y + 4, 'class': vs ? 'comment viol' : 'comment' }, comment.join('  ')));
      s.appendChild(g);
    });
    var row = msgs.length;
    loose.forEach(function (v) {
      var y = TOP + row++ * ROW + 16;
      s.appendChild(svg('text', { x: (XC + XS) / 2, y: y, 'text-anchor': 'middle', 'class': 'viol' },
        '\u2716 ' + v.from + ': ' + v.code + (v.got ? ' (got ' + v.got + ')' : '')));
    });
    if (c.gap) {
      var gy = TOP + row++ * ROW + 16;
      s.appendChild(svg('text', { x: c.gap.from === 'server' ? XS : XC, y: gy, 'text-anchor': 'middle', 'class': 'gap' },
        'gap in the ' + c.gap.from + "'s bytes at offset " + c.gap.offset + (c.gap.missing ? ' (' + c.gap.missing + ' missing)' : '')));
    }
    var ey = TOP + row * ROW + 16;
    s.appendChild(svg('text', { x: (XC + XS) / 2, y: ey, 'text-anchor': 'middle', 'class': 'comment' },
      c.outcome + (c.closed ? ', closed: ' + c.closed : '') + ', ' + ((micros(c.end_ts) - start) / 1e6).toFixed(6) + ' s'));
    return s;
  }

  // sidePanel holds the diagnosis beside the diagram, the violations in
  // full, the findings and the connection's facts.
  function sidePanel(c) {
    var p = el('div', { 'class': 'side' });
    var d = c.diagnosis;
    if (d) {
      var box = el('div', { 'class': 'diagnosis' });
      box.appendChild(el('h3', null, 'Diagnosis: ' + d.code));
      box.appendChild(el('p', { 'class': 'cause' }, d.cause));
      if (d.evidence && d.evidence.length) {
        var ul = el('ul', { 'class': 'evidence' });
        d.evidence.forEach(function (e) { ul.appendChild(el('li', null, e)); });
        box.appendChild(ul);
      }
      if (d.hint) box.appendChild(el('p', { 'class': 'hint' }, d.hint));
      p.appendChild(box);
    }
    var problems = el('ul', { 'class': 'problems' });
    (c.violations || []).forEach(function (v) {
      problems.appendChild(el('li', { 'class': 'violation' }, 'violation ' + v.code + ' by ' + v.from + ': got ' + v.got +
        (v.expected ? ', expected ' + v.expected.join(' or ') : '') + (v.detail ? ': ' + v.detail : '')));
    });
    (c.findings || []).forEach(function (f) {
      problems.appendChild(el('li', { 'class': 'finding' }, 'finding ' + f.rule + (f.code ? ' ' + f.code : '') + ': ' + f.detail));
    });
    if (problems.firstChild) p.appendChild(problems);
    var dl = el('dl', { 'class': 'facts' });
    function fact(k, v) {
      if (v === undefined || v === null || v === '') return;
      dl.appendChild(el('dt', null, k));
      dl.appendChild(el('dd', null, v));
    }
    fact('start', shortTime(c.ts));
    fact('end', shortTime(c.end_ts));
    fact('transport', c.transport);
    fact('version', c.version);
    fact('cipher suite', c.cipher_suite);
    fact('SNI', c.server_name);
    if (c.tunnels) {
      // As the text's tunnel: line names them, outermost first.
      fact('tunnels', c.tunnels.map(function (t) {
        var s = t.type + (t.src ? ' ' + t.src + ' -> ' + t.dst : '');
        ['vni', 'key', 'session_id', 'teid', 'label'].forEach(function (k) {
          if (t[k] !== undefined) s += ' ' + k + '=' + t[k];
        });
        return s;
      }).join(' / '));
    }
    fact('ALPN', c.alpn);
    if (c.resumed !== undefined) fact('resumed', c.resumed ? 'yes' : 'no');
    fact('client certificate', c.client_certificate);
    fact('keys', c.keys);
    fact('0-RTT', c.early_data);
    fact('closed', c.closed);
    if (c.file !== undefined) fact('file', data.files[c.file]);
    p.appendChild(dl);
    return p;
  }

  function render() {
    state = readHash();
    showFilters();
    drawTable();
  }

  drawRun();
  drawPlot();
  fillFilters();
  bindFilters();
  window.addEventListener('hashchange', render);
  render();
  // How long the page took to draw, for a test of a large page to read.
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-ready', 'true');
})();
