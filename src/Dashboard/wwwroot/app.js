// The SemiNas page: draws the document of DashboardData (one entry per store or benchmark summary). The report
// inlines that document; the dashboard fetches it again and again and updates the same charts and tables in place.
// Markers for tests and scripts: body[data-ready] once drawn, body[data-error] on a script error,
// body[data-updates] counts the documents drawn, canvas[data-drawn] says a chart put ink on its canvas.
(function () {
  'use strict';
  var boot = window.SEMINAS || {};
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  var charts = {};      // canvas id -> Chart
  var tableState = {};  // table id -> { key, dir, text, state }
  var layoutKey = null;
  var updates = 0;

  Chart.defaults.animation = false;     // draw at once: live updates should not replay an animation each second
  Chart.defaults.font.size = 11;
  Chart.register({
    id: 'seminasDrawn',
    afterRender: function (chart) {
      var canvas = chart.canvas;
      var points = chart.data.datasets.reduce(function (n, d) { return n + d.data.length; }, 0);
      canvas.dataset.points = String(points);
      if (canvas.dataset.drawn === 'true') return;
      var pixels = chart.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      var ink = 0;
      for (var i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) ink++;
      canvas.dataset.drawn = ink > 0 ? 'true' : 'false';
    }
  });

  // ---- small helpers ----
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function fmt(v) {
    if (v === null || v === undefined || v === '') return '';
    if (typeof v !== 'number') return String(v);
    if (Math.abs(v) >= 1e5 && Math.floor(v) === v) return v.toLocaleString('en-US');
    return Number(v.toPrecision(5)).toString();
  }
  function seconds(s) {
    if (s === null || s === undefined) return '–';
    if (s < 60) return s.toFixed(1) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
  }
  function better(goal, a, b) { return goal === 'maximize' ? a > b : a < b; }
  function color(i, alpha) {
    var c = PALETTE[i % PALETTE.length];
    if (alpha === undefined) return c;
    var n = parseInt(c.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }
  function chart(id, config) {
    var existing = charts[id];
    if (existing) { existing.data = config.data; existing.options = config.options; existing.update('none'); return; }
    var canvas = document.getElementById(id);
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    charts[id] = new Chart(canvas, config);
  }
  function axes(xTitle, yTitle, xType) {
    return {
      x: { type: xType || 'linear', title: { display: true, text: xTitle } },
      y: { type: 'linear', title: { display: true, text: yTitle } }
    };
  }
  function metricValue(t, name) {
    if (t.metrics && t.metrics[name] !== undefined && t.metrics[name] !== null) return t.metrics[name];
    if (t.cheapMetrics && t.cheapMetrics[name] !== undefined) return t.cheapMetrics[name];
    return null;
  }
  function cheapNames(e) {
    var names = {};
    e.trials.forEach(function (t) { Object.keys(t.cheapMetrics || {}).forEach(function (k) { names[k] = true; }); });
    return Object.keys(names).sort();
  }
  function metricNames(e) {
    var names = {};
    e.trials.forEach(function (t) {
      Object.keys(t.cheapMetrics || {}).forEach(function (k) { names[k] = true; });
      Object.keys(t.metrics || {}).forEach(function (k) { names[k] = true; });
    });
    delete names[e.objective.metric];
    return Object.keys(names).sort();
  }
  // Best feasible objective after each completed trial, by trial number.
  function bestCurve(e) {
    var best = null, points = [];
    e.trials.forEach(function (t) {
      if (t.state !== 'COMPLETE' || !t.feasible || t.objective === null) return;
      if (best === null || better(e.objective.goal, t.objective, best)) best = t.objective;
      points.push({ x: t.number, y: best });
    });
    return points;
  }

  // ---- layout: built once per set of experiments/metrics, then updated in place ----
  function keyOf(data) {
    return JSON.stringify(data.sources.map(function (s) {
      if (s.kind === 'benchmark') return ['b', s.path];
      return ['s', s.path, s.experiments.map(function (e) { return [e.name, cheapNames(e), metricNames(e), controllerCharts(e).map(function (c) { return c.key; })]; })];
    }));
  }
  function allExperiments(data) {
    var list = [];
    data.sources.forEach(function (s) { if (s.kind === 'store') s.experiments.forEach(function (e) { list.push(e); }); });
    return list;
  }

  function build(data) {
    Object.keys(charts).forEach(function (k) { charts[k].destroy(); });
    charts = {};
    var app = document.getElementById('app');
    app.textContent = '';
    if (allExperiments(data).length > 1) {
      app.appendChild(el('section', { class: 'card', id: 'compare' }, [
        el('h2', { text: 'Experiments compared: best feasible objective so far' }),
        el('div', { class: 'chart' }, [el('canvas', { id: 'compare-chart' })])
      ]));
    }
    var n = 0;
    data.sources.forEach(function (s, si) {
      if (s.kind === 'benchmark') { app.appendChild(buildBenchmark(s, si)); return; }
      if (s.experiments.length === 0) app.appendChild(el('section', { class: 'card' }, [el('h2', { text: s.path }), el('p', { class: 'muted', text: 'No experiment in this store yet.' })]));
      s.experiments.forEach(function (e) { app.appendChild(buildExperiment(s, e, 'e' + (n++))); });
    });
  }

  function buildExperiment(source, e, id) {
    var cheap = cheapNames(e);
    var section = el('section', { class: 'card experiment', id: id, 'data-experiment': e.name }, [
      el('h2', { text: e.name }),
      el('div', { class: 'muted', text: source.path }),
      el('div', { class: 'facts', id: id + '-facts' }),
      el('div', { class: 'bar' }, [el('div', { id: id + '-bar' })]),
      el('div', { id: id + '-running' }),
      el('div', { class: 'grid' }, [
        el('div', {}, [el('h3', { text: 'Objective by trial, and the best so far' }), el('div', { class: 'chart' }, [el('canvas', { id: id + '-best' })])]),
        el('div', {}, [el('h3', { text: 'Token frequency per position (all trials proposed)' }), el('div', { class: 'chart' }, [el('canvas', { id: id + '-tokens' })])])
      ]),
      el('div', { class: 'grid' }, cheap.map(function (m, i) {
        return el('div', {}, [el('h3', { text: e.objective.metric + ' against ' + m + ' (Pareto front, constraints)' }),
          el('div', { class: 'chart tall' }, [el('canvas', { id: id + '-cheap-' + i, 'data-metric': m })])]);
      })),
      buildController(e, id),
      el('h3', { text: 'Trials' }),
      buildTrialTable(e, id + '-table')
    ]);
    return section;
  }

  function trialColumns(e) {
    var cols = [
      { key: 'number', title: '#', num: true, get: function (t) { return t.number; } },
      { key: 'state', title: 'state', get: function (t) { return t.state === 'COMPLETE' && !t.feasible ? 'INFEASIBLE' : t.state; } },
      { key: 'tokens', title: 'tokens', get: function (t) { return t.tokens.join(' '); } },
      { key: 'description', title: 'architecture', get: function (t) { return t.description; } },
      { key: 'objective', title: e.objective.metric + ' (objective)', num: true, get: function (t) { return t.objective; } }
    ];
    metricNames(e).forEach(function (m) { cols.push({ key: 'm:' + m, title: m, num: true, get: function (t) { return metricValue(t, m); } }); });
    cols.push({ key: 'duration', title: 'duration s', num: true, get: function (t) { return t.durationSeconds === null ? t.elapsedSeconds : t.durationSeconds; } });
    cols.push({ key: 'attempts', title: 'attempts', num: true, get: function (t) { return t.attempts; } });
    cols.push({ key: 'worker', title: 'worker', get: function (t) { return lastWorker(t); } });
    cols.push({ key: 'error', title: 'failure', get: failure });
    return cols;
  }

  // Who ran the trial last (pid@machine or a worker's name); stores from before attempts were kept have none.
  function lastWorker(t) {
    var log = t.attemptLog || [];
    return log.length ? log[log.length - 1].owner : '';
  }
  function attemptLine(a) {
    return '#' + a.number + ' by ' + a.owner + (a.device ? ' on ' + a.device : '') + ' from ' + a.startedAt.replace('T', ' ').slice(0, 19) + ': ' + a.end + (a.reason ? ': ' + a.reason : '');
  }
  // The trial's error (with its stack trace), then, when some attempt did not simply run to its end (a lease that
  // expired, an interruption), every attempt: a trial that kept killing its process says so even once it completed.
  function failure(t) {
    var log = t.attemptLog || [];
    var troubled = log.some(function (a) { return a.end === 'lease expired' || a.end === 'interrupted'; });
    var text = t.error || '';
    if (troubled) text += (text ? '\n' : '') + 'Attempts:\n' + log.map(attemptLine).join('\n');
    return text;
  }

  function buildTrialTable(e, id) {
    var state = tableState[id] || (tableState[id] = { key: 'number', dir: 1, text: '', state: '' });
    var cols = trialColumns(e);
    var filter = el('input', { type: 'search', placeholder: 'filter: any text (tokens, architecture, error…)', id: id + '-filter' });
    filter.value = state.text;
    filter.addEventListener('input', function () { state.text = filter.value; refreshTable(id); });
    var select = el('select', { id: id + '-state' }, ['', 'COMPLETE', 'INFEASIBLE', 'FAILED', 'RUNNING', 'WAITING'].map(function (s) {
      return el('option', { value: s, text: s || 'every state' });
    }));
    select.value = state.state;
    select.addEventListener('change', function () { state.state = select.value; refreshTable(id); });
    var head = el('tr', {}, cols.map(function (c) {
      var th = el('th', { text: c.title, 'data-key': c.key });
      th.addEventListener('click', function () {
        state.dir = state.key === c.key ? -state.dir : 1;
        state.key = c.key;
        refreshTable(id);
      });
      return th;
    }));
    return el('div', {}, [
      el('div', { class: 'filters' }, [filter, select, el('span', { class: 'muted', id: id + '-shown' })]),
      el('div', { class: 'scroll' }, [el('table', { id: id }, [el('thead', {}, [head]), el('tbody', {})])])
    ]);
  }

  var tableData = {};   // table id -> { e, cols }
  function refreshTable(id) {
    var entry = tableData[id];
    if (!entry) return;
    var state = tableState[id], cols = entry.cols;
    var col = cols.filter(function (c) { return c.key === state.key; })[0] || cols[0];
    var text = state.text.toLowerCase();
    var rows = entry.e.trials.filter(function (t) {
      if (state.state && cols[1].get(t) !== state.state) return false;
      if (!text) return true;
      return cols.some(function (c) { var v = c.get(t); return v !== null && String(v).toLowerCase().indexOf(text) >= 0; });
    });
    rows.sort(function (a, b) {
      var x = col.get(a), y = col.get(b);
      if (x === y) return a.number - b.number;
      if (x === null || x === undefined) return 1;      // empty cells last either way
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * state.dir;
    });
    var table = document.getElementById(id);
    table.querySelectorAll('th').forEach(function (th) {
      th.className = th.dataset.key === col.key ? (state.dir > 0 ? 'sorted-asc' : 'sorted-desc') : '';
    });
    var body = table.tBodies[0];
    body.textContent = '';
    rows.forEach(function (t) {
      var infeasible = t.state === 'COMPLETE' && !t.feasible;
      var tr = el('tr', { class: t.state + (infeasible ? ' infeasible' : ''), 'data-trial': String(t.number) });
      cols.forEach(function (c) {
        var v = c.get(t), td;
        if (c.key === 'state') td = el('td', {}, [el('span', { class: 'state ' + (infeasible ? 'infeasible' : t.state), text: v })]);
        else if (c.key === 'error' && v) {
          var first = v.split('\n')[0];
          td = el('td', { class: 'error' }, [v.indexOf('\n') < 0 ? first : el('details', {}, [el('summary', { text: first }), el('pre', { text: v })])]);
        } else td = el('td', { class: c.num ? 'num' : (c.key === 'tokens' ? 'tokens' : ''), text: c.num ? fmt(v) : (v || '') });
        tr.appendChild(td);
      });
      body.appendChild(tr);
      appendTrialDetail(id, t, tr, body);
    });
    document.getElementById(id + '-shown').textContent = rows.length + ' of ' + entry.e.trials.length + ' trials shown; click a column to sort';
  }

  // ---- a trial's device and intermediate values ----
  // Where a running trial runs ("cuda:1"), as its claimer recorded it; empty for claimers that did not say.
  function runningDevice(t) {
    return el('td', { class: 'device', text: t.device ? 'device ' + t.device : '' });
  }

  // A click on a trial's row opens (or closes) a row below it with one small chart per value the plugin reported
  // while it evaluated the trial (training loss by step, say). The open rows, and their charts, are kept across the
  // table's redraws (each live update), so a curve of a running trial grows in place.
  var trialDetails = {};   // table id -> { trial number -> { row, names } }
  function appendTrialDetail(tableId, t, tr, body) {
    var open = trialDetails[tableId] || (trialDetails[tableId] = {});
    var names = Object.keys(t.intermediate || {});
    tr.title = names.length ? 'click: the values reported while it ran (' + names.join(', ') + ')' : 'no values reported while it ran';
    if (names.length) tr.classList.add('has-values');
    tr.addEventListener('click', function (event) {
      if (event.target.closest('details')) return;   // the failure's own expansion
      if (open[t.number]) delete open[t.number];
      else open[t.number] = { row: null, names: null };
      refreshTable(tableId);
    });
    var detail = open[t.number];
    if (!detail) return;
    var canvasId = function (i) { return tableId + '-t' + t.number + '-v' + i; };
    if (!detail.row || detail.names !== names.join('\n')) {
      // A new set of names (a first value of another kind): a new set of charts.
      (detail.names || '').split('\n').forEach(function (_, i) {
        if (charts[canvasId(i)]) { charts[canvasId(i)].destroy(); delete charts[canvasId(i)]; }
      });
      var cells = names.length
        ? names.map(function (name, i) {
          return el('div', { class: 'value-chart' }, [el('div', { class: 'muted', text: name }), el('div', { class: 'chart small' }, [el('canvas', { id: canvasId(i), 'data-value': name })])]);
        })
        : [el('p', { class: 'muted', text: 'The plugin reported no values while it evaluated this trial.' })];
      detail.row = el('tr', { class: 'detail', 'data-detail': String(t.number) }, [el('td', { colspan: String(tr.cells.length) }, [
        el('div', { class: 'muted', text: 'Trial ' + t.number + ': values reported while it was evaluated, by step' + (t.state === 'RUNNING' ? ' (so far)' : '') }),
        el('div', { class: 'value-charts' }, cells)
      ])]);
      detail.names = names.join('\n');
    }
    body.appendChild(detail.row);
    names.forEach(function (name, i) {
      var points = t.intermediate[name].map(function (p) { return { x: p[0], y: p[1] }; });
      chart(canvasId(i), {
        type: 'line',
        // Few points (a value reported once, at the last epoch, say) are drawn as dots: a line of one point has no ink.
        data: { datasets: [{ label: name, data: points, borderColor: color(i), backgroundColor: color(i), pointRadius: points.length <= 30 ? 3 : 0, borderWidth: 1.5 }] },
        options: { scales: axes('step', name), plugins: { legend: { display: false } } }
      });
    });
  }

  // ---- filling an experiment ----
  function fillExperiment(e, id, generatedAt) {
    var c = e.counts;
    var best = null;
    e.trials.forEach(function (t) {
      if (t.state === 'COMPLETE' && t.feasible && t.objective !== null && (best === null || better(e.objective.goal, t.objective, best.objective))) best = t;
    });
    var constraints = Object.keys(e.constraints).map(function (m) {
      var b = e.constraints[m];
      return m + (b.min !== null ? ' ≥ ' + fmt(b.min) : '') + (b.min !== null && b.max !== null ? ',' : '') + (b.max !== null ? ' ≤ ' + fmt(b.max) : '');
    });
    var facts = document.getElementById(id + '-facts');
    facts.textContent = '';
    [
      ['progress', c.finished + ' / ' + e.budget + ' finished'],
      ['states', c.complete + ' complete (' + c.infeasible + ' infeasible), ' + c.failed + ' failed, ' + c.running + ' running, ' + c.waiting + ' waiting'],
      ['plugin / strategy', e.plugin + ' / ' + e.strategy],
      ['objective', e.objective.goal + ' ' + e.objective.metric],
      ['best', best ? fmt(best.objective) + ' (trial ' + best.number + ': ' + best.tokens.join(' ') + ')' : '–'],
      ['constraints', constraints.length ? constraints.join('; ') : 'none'],
      ['mean trial', seconds(e.meanTrialSeconds)],
      [e.finishedAt ? 'finished' : 'ETA', e.finishedAt ? e.finishedAt.replace('T', ' ').slice(0, 19) + ' UTC' : (e.etaSeconds === null ? (c.running ? '–' : '– (nothing running)') : seconds(e.etaSeconds))]
    ].forEach(function (f) { facts.appendChild(el('span', {}, [f[0] + ': ', el('b', { text: f[1] })])); });
    document.getElementById(id + '-bar').style.width = Math.min(100, 100 * c.finished / Math.max(1, e.budget)) + '%';

    var running = e.trials.filter(function (t) { return t.state === 'RUNNING'; });
    var box = document.getElementById(id + '-running');
    box.textContent = '';
    if (running.length) {
      box.appendChild(el('h3', { text: 'Running now' + (boot.live ? '' : ' (when the report was written)') }));
      box.appendChild(el('table', { class: 'running' }, [el('tbody', {}, running.map(function (t) {
        return el('tr', { 'data-running': String(t.number) }, [el('td', { class: 'num', text: '#' + t.number }), el('td', { class: 'tokens', text: t.tokens.join(' ') }),
          el('td', { text: t.description }), el('td', { class: 'worker', text: t.worker ? 'on ' + t.worker : '' }),
          runningDevice(t),
          el('td', { class: 'num', text: 'elapsed ' + seconds(t.elapsedSeconds) }),
          el('td', { class: 'num', text: 'attempt ' + t.attempts })]);
      }))]));
    }

    drawBest(e, id);
    drawTokens(e, id);
    fillController(e, id);
    cheapNames(e).forEach(function (m, i) { drawCheap(e, id + '-cheap-' + i, m); });
    tableData[id + '-table'] = { e: e, cols: trialColumns(e) };
    refreshTable(id + '-table');
    document.getElementById(id).dataset.trials = String(e.trials.length);
  }

  function drawBest(e, id) {
    var feasible = [], infeasible = [];
    e.trials.forEach(function (t) {
      if (t.state !== 'COMPLETE' || t.objective === null) return;
      (t.feasible ? feasible : infeasible).push({ x: t.number, y: t.objective });
    });
    var failed = e.trials.filter(function (t) { return t.state === 'FAILED'; });
    var ys = feasible.concat(infeasible).map(function (p) { return p.y; });
    var floor = ys.length ? Math.min.apply(null, ys) : 0;
    chart(id + '-best', {
      type: 'scatter',
      data: { datasets: [
        { label: 'best feasible so far', type: 'line', data: bestCurve(e), stepped: true, borderColor: color(0), backgroundColor: color(0), pointRadius: 0, borderWidth: 2 },
        { label: 'feasible trial', data: feasible, backgroundColor: color(0, 0.45), pointRadius: 3 },
        { label: 'infeasible trial', data: infeasible, backgroundColor: color(1), borderColor: color(1), pointStyle: 'triangle', pointRadius: 5 },
        { label: 'failed (no objective; at the floor)', data: failed.map(function (t) { return { x: t.number, y: floor }; }), borderColor: color(3), backgroundColor: color(3), pointStyle: 'crossRot', pointRadius: 6, borderWidth: 2 }
      ] },
      options: { scales: axes('trial number', e.objective.metric), plugins: { legend: { position: 'bottom' } } }
    });
  }

  function drawCheap(e, canvasId, metric) {
    var feasible = [], infeasible = [], failed = [];
    e.trials.forEach(function (t) {
      var x = t.cheapMetrics ? t.cheapMetrics[metric] : null;
      if (x === null || x === undefined) return;
      if (t.state === 'COMPLETE' && t.objective !== null) (t.feasible ? feasible : infeasible).push({ x: x, y: t.objective, n: t.number });
      else if (t.state === 'FAILED') failed.push({ x: x, n: t.number });
    });
    var ys = feasible.concat(infeasible).map(function (p) { return p.y; });
    var xs = feasible.concat(infeasible, failed).map(function (p) { return p.x; });
    var ymin = ys.length ? Math.min.apply(null, ys) : 0, ymax = ys.length ? Math.max.apply(null, ys) : 1;
    // Pareto front: the cheapest architecture for each level of objective (a cheap metric is a cost: FLOPs, params).
    var front = [], bestY = null;
    feasible.slice().sort(function (a, b) { return a.x - b.x || (better(e.objective.goal, a.y, b.y) ? -1 : 1); }).forEach(function (p) {
      if (bestY === null || better(e.objective.goal, p.y, bestY)) { front.push({ x: p.x, y: p.y }); bestY = p.y; }
    });
    var datasets = [
      // stepped 'before': the front holds its level until a costlier point beats it.
      { label: 'Pareto front', type: 'line', data: front, stepped: 'before', borderColor: color(2), backgroundColor: color(2), pointRadius: 4, borderWidth: 2 },
      { label: 'feasible', data: feasible, backgroundColor: color(0, 0.45), pointRadius: 3 },
      { label: 'infeasible', data: infeasible, backgroundColor: color(1), pointStyle: 'triangle', pointRadius: 5 },
      { label: 'failed (at the floor)', data: failed.map(function (p) { return { x: p.x, y: ymin }; }), borderColor: color(3), backgroundColor: color(3), pointStyle: 'crossRot', pointRadius: 6, borderWidth: 2 }
    ];
    function vertical(x, label) {
      datasets.push({ label: label, type: 'line', data: [{ x: x, y: ymin }, { x: x, y: ymax }], borderColor: '#111', borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 });
    }
    function horizontal(y, label) {
      var lo = xs.length ? Math.min.apply(null, xs) : 0, hi = xs.length ? Math.max.apply(null, xs) : 1;
      datasets.push({ label: label, type: 'line', data: [{ x: lo, y: y }, { x: hi, y: y }], borderColor: '#555', borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5 });
    }
    var bound = e.constraints[metric];
    if (bound && bound.max !== null) vertical(bound.max, metric + ' ≤ ' + fmt(bound.max));
    if (bound && bound.min !== null) vertical(bound.min, metric + ' ≥ ' + fmt(bound.min));
    var objectiveBound = e.constraints[e.objective.metric];
    if (objectiveBound && objectiveBound.min !== null) horizontal(objectiveBound.min, e.objective.metric + ' ≥ ' + fmt(objectiveBound.min));
    if (objectiveBound && objectiveBound.max !== null) horizontal(objectiveBound.max, e.objective.metric + ' ≤ ' + fmt(objectiveBound.max));
    var positive = xs.length && Math.min.apply(null, xs) > 0;
    var log = positive && Math.max.apply(null, xs) / Math.min.apply(null, xs) > 100;
    chart(canvasId, {
      type: 'scatter',
      data: { datasets: datasets },
      options: { scales: axes(metric + (log ? ' (log scale)' : ''), e.objective.metric, log ? 'logarithmic' : 'linear'), plugins: { legend: { position: 'bottom' } } }
    });
  }

  function drawTokens(e, id) {
    var positions = 0, values = {};
    e.trials.forEach(function (t) {
      positions = Math.max(positions, t.tokens.length);
      t.tokens.forEach(function (v) { values[v] = true; });
    });
    var tokenValues = Object.keys(values).map(Number).sort(function (a, b) { return a - b; });
    var labels = [];
    for (var p = 0; p < positions; p++) labels.push(String(p + 1));
    var datasets = tokenValues.map(function (v, i) {
      var counts = labels.map(function () { return 0; });
      e.trials.forEach(function (t) { t.tokens.forEach(function (tv, p) { if (tv === v) counts[p]++; }); });
      return { label: 'token ' + v, data: counts, backgroundColor: color(i) };
    });
    chart(id + '-tokens', {
      type: 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        scales: { x: { stacked: true, title: { display: true, text: 'position' } }, y: { stacked: true, title: { display: true, text: 'trials' } } },
        plugins: { legend: { position: 'bottom' } }
      }
    });
  }

  function drawCompare(data) {
    var list = allExperiments(data);
    if (list.length < 2) return;
    chart('compare-chart', {
      type: 'line',
      data: { datasets: list.map(function (e, i) {
        return { label: e.name + ' (' + e.objective.goal + ' ' + e.objective.metric + ')', data: bestCurve(e), stepped: true, borderColor: color(i), backgroundColor: color(i), pointRadius: 0, borderWidth: 2 };
      }) },
      options: { scales: axes('trial number', 'best feasible objective so far'), plugins: { legend: { position: 'bottom' } } }
    });
  }

  // ---- the controller's diagnostics (what a strategy such as SemiNAS reports per iteration) ----
  // Each chart: the diagnostic values it draws (docs/dashboard.md says what each measures); drawn when the strategy
  // reported at least one of them.
  var CONTROLLER_CHARTS = [
    { key: 'rank', title: 'Predictor rank correlation on the batch it generated (scored once the batch is evaluated)', y: 'correlation', min: -1, max: 1,
      series: [['rank.kendall_tau', 'Kendall τ'], ['rank.spearman', 'Spearman ρ']] },
    { key: 'eta', title: 'Step sizes η of the generated architectures', y: 'η',
      series: [['batch.eta_mean', 'mean η of the batch'], ['batch.eta_max', 'largest η in the batch'], ['generator.eta_reached', 'largest η tried']] },
    { key: 'data', title: 'Training data and the batch, per iteration', y: 'architectures', bar: true,
      series: [['train.labelled', 'evaluated (labelled)'], ['train.pseudo_labelled', 'pseudo-labelled'], ['generator.new', 'new candidates found by the η-steps'], ['batch.random_fill', 'batch filled at random']] },
    { key: 'loss', title: 'Controller training loss, last epoch of each iteration', y: 'loss',
      series: [['loss.final', 'λ·MSE + (1−λ)·NLL'], ['loss.final_mse', 'predictor MSE'], ['loss.final_nll', 'decoder NLL'], ['loss.pretrain_mse', 'predictor MSE, pre-training (labelled only)']] }
  ];
  // The table's first columns; any other value a strategy reports follows, by name.
  var CONTROLLER_ORDER = ['rank.kendall_tau', 'rank.spearman', 'rank.scored', 'train.labelled', 'train.pseudo_labelled', 'loss.final', 'loss.final_mse',
    'loss.final_nll', 'loss.pretrain_mse', 'generator.seeds', 'generator.steps', 'generator.eta_reached', 'generator.decoded', 'generator.new',
    'batch.size', 'batch.from_steps', 'batch.neighbours', 'batch.random_fill', 'batch.eta_mean', 'batch.eta_max', 'controller.seconds'];

  function diagnosticNames(e) {
    var names = {};
    (e.diagnostics || []).forEach(function (d) { Object.keys(d.values).forEach(function (k) { names[k] = true; }); });
    return CONTROLLER_ORDER.filter(function (k) { return names[k]; })
      .concat(Object.keys(names).filter(function (k) { return CONTROLLER_ORDER.indexOf(k) < 0; }).sort());
  }
  function controllerCharts(e) {
    var names = diagnosticNames(e);
    return CONTROLLER_CHARTS.filter(function (c) { return c.series.some(function (s) { return names.indexOf(s[0]) >= 0; }); });
  }
  function buildController(e, id) {
    if (!(e.diagnostics || []).length) return null;
    return el('div', { class: 'controller', id: id + '-controller' }, [
      el('h3', { text: 'Controller (' + e.strategy + '), per iteration' }),
      el('div', { class: 'grid' }, controllerCharts(e).map(function (c) {
        return el('div', {}, [el('h3', { text: c.title }), el('div', { class: 'chart' }, [el('canvas', { id: id + '-controller-' + c.key })])]);
      })),
      el('div', { class: 'scroll' }, [el('table', { id: id + '-controller-table' }, [el('thead', {}), el('tbody', {})])])
    ]);
  }
  function fillController(e, id) {
    var diagnostics = e.diagnostics || [];
    if (!diagnostics.length) return;
    controllerCharts(e).forEach(function (c) {
      function value(d, name) { var v = d.values[name]; return v === undefined ? null : v; }
      var datasets = c.series.filter(function (s) {
        return diagnostics.some(function (d) { return value(d, s[0]) !== null; });
      }).map(function (s, i) {
        // Lines: one point per iteration that has the value. Bars: one slot per iteration, on a category axis.
        var data = c.bar
          ? diagnostics.map(function (d) { return value(d, s[0]); })
          : diagnostics.filter(function (d) { return value(d, s[0]) !== null; }).map(function (d) { return { x: d.iteration, y: value(d, s[0]) }; });
        return { label: s[1], data: data, borderColor: color(i), backgroundColor: c.bar ? color(i, 0.7) : color(i), pointRadius: 3, borderWidth: 2 };
      });
      var scales = axes('iteration', c.y, c.bar ? 'category' : 'linear');
      if (c.min !== undefined) { scales.y.min = c.min; scales.y.max = c.max; }
      if (!c.bar) scales.x.ticks = { stepSize: 1, precision: 0 };
      chart(id + '-controller-' + c.key, {
        type: c.bar ? 'bar' : 'line',
        data: { labels: c.bar ? diagnostics.map(function (d) { return String(d.iteration); }) : undefined, datasets: datasets },
        options: { scales: scales, plugins: { legend: { position: 'bottom' } } }
      });
    });
    var names = diagnosticNames(e);
    var table = document.getElementById(id + '-controller-table');
    table.tHead.textContent = '';
    table.tHead.appendChild(el('tr', {}, ['iteration'].concat(names).map(function (n) { return el('th', { text: n }); })));
    var body = table.tBodies[0];
    body.textContent = '';
    diagnostics.forEach(function (d) {
      body.appendChild(el('tr', { 'data-iteration': String(d.iteration) }, [el('td', { class: 'num', text: String(d.iteration) })].concat(names.map(function (n) {
        return el('td', { class: 'num', text: d.values[n] === undefined ? '' : fmt(d.values[n]) });
      }))));
    });
  }

  // ---- benchmark summaries (seminas benchmark) ----
  function budgetsOf(summary) {
    var seen = {};
    summary.groups.forEach(function (g) { seen[g.budget] = true; });
    return Object.keys(seen).map(Number).sort(function (a, b) { return a - b; });
  }
  function buildBenchmark(s, si) {
    var sum = s.summary;
    var id = 'b' + si;
    var groupsTable = el('table', { id: id + '-groups', class: 'groups' }, [
      el('thead', {}, [el('tr', {}, ['label', 'strategy', 'budget', 'runs', 'mean', 'std', 'min', 'median', 'max', 'pick is the oracle', 'mean queries to the oracle', 's / run']
        .map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', {}, sum.groups.map(function (g) {
        return el('tr', {}, [g.label, g.strategy, g.budget, g.runs, g.mean, g.std, g.min, g.median, g.max,
          g.oracleShare === null || g.oracleShare === undefined ? null : Math.round(100 * g.oracleShare) + ' %', g.meanQueriesToOracle, g.meanSeconds]
          .map(function (v, i) { return el('td', { class: i >= 2 ? 'num' : '', text: v === null || v === undefined ? '–' : fmt(v) }); }));
      }))
    ]);
    var oracle = sum.oracle === null || sum.oracle === undefined ? 'not known (the space cannot be listed)' : fmt(sum.oracle) + ' (' + (sum.oracleArchitecture || '') + ')';
    return el('section', { class: 'card benchmark', id: id, 'data-benchmark': sum.name || '' }, [
      el('h2', { text: 'Benchmark ' + (sum.name || '') }),
      el('div', { class: 'muted', text: s.path }),
      el('p', { text: sum.description || '' }),
      el('div', { class: 'facts' }, [
        el('span', {}, ['objective: ', el('b', { text: sum.objective })]),
        el('span', {}, ['reported: ', el('b', { text: sum.reportMetric + ' of each run\u2019s pick (its best architecture by the objective)' })]),
        el('span', {}, ['seeds: ', el('b', { text: String(sum.seeds) })]),
        el('span', {}, ['oracle: ', el('b', { text: oracle })])
      ]),
      el('div', { class: 'scroll' }, [groupsTable]),
      el('div', { class: 'grid' }, budgetsOf(sum).reduce(function (list, b) {
        return list.concat([
          el('div', {}, [el('h3', { text: 'Budget ' + b + ': ' + sum.reportMetric + ' of the pick, mean over seeds' }), el('div', { class: 'chart' }, [el('canvas', { id: id + '-report-' + b })])]),
          el('div', {}, [el('h3', { text: 'Budget ' + b + ': best ' + sum.objective + ' so far, mean over seeds' }), el('div', { class: 'chart' }, [el('canvas', { id: id + '-objective-' + b })])])
        ]);
      }, []))
    ]);
  }
  function fillBenchmark(s, si) {
    var sum = s.summary, id = 'b' + si;
    var labels = [];
    sum.groups.forEach(function (g) { if (labels.indexOf(g.label) < 0) labels.push(g.label); });
    budgetsOf(sum).forEach(function (b) {
      var groups = sum.groups.filter(function (g) { return g.budget === b; });
      function curves(field, reference, referenceLabel) {
        // One colour per label in every chart, so that the budgets read side by side.
        var sets = groups.map(function (g) {
          var i = labels.indexOf(g.label);
          return { label: g.label + ' (' + g.runs + ' runs)', data: (g[field] || []).map(function (v, q) { return { x: q + 1, y: v }; }), borderColor: color(i), backgroundColor: color(i), pointRadius: 0, borderWidth: 2 };
        });
        if (reference !== null && reference !== undefined) sets.push({ label: referenceLabel, data: [{ x: 1, y: reference }, { x: b, y: reference }], borderColor: '#777', borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 });
        return sets;
      }
      chart(id + '-report-' + b, { type: 'line', data: { datasets: curves('curveMean', sum.oracle, 'oracle') },
        options: { scales: axes('queries', sum.reportMetric), plugins: { legend: { position: 'bottom' } } } });
      chart(id + '-objective-' + b, { type: 'line', data: { datasets: curves('objectiveCurveMean', sum.oracleObjective, 'best ' + sum.objective + ' in the space') },
        options: { scales: axes('queries', sum.objective), plugins: { legend: { position: 'bottom' } } } });
    });
  }

  // ---- drawing a document ----
  function render(data) {
    var key = keyOf(data);
    if (key !== layoutKey) { build(data); layoutKey = key; }
    var n = 0;
    data.sources.forEach(function (s, si) {
      if (s.kind === 'benchmark') fillBenchmark(s, si);
      else s.experiments.forEach(function (e) { fillExperiment(e, 'e' + (n++), data.generatedAt); });
    });
    drawCompare(data);
    var damaged = [];
    data.sources.forEach(function (s) { (s.damagedRows || []).forEach(function (d) { damaged.push(d); }); });
    var status = (boot.live ? 'live, updated ' : 'report written ') + data.generatedAt.replace('T', ' ').slice(0, 19) + ' UTC' +
      (damaged.length ? ' — ' + damaged.length + ' damaged store rows left out' : '');
    document.getElementById('status').textContent = status;
    updates++;
    document.body.dataset.updates = String(updates);
    document.body.dataset.ready = 'true';
  }

  function poll() {
    var token = new URLSearchParams(location.search).get('token');
    var url = boot.live.url + (token ? '?token=' + encodeURIComponent(token) : '');
    fetch(url, { cache: 'no-store' }).then(function (response) {
      if (!response.ok) return response.text().then(function (text) { throw new Error('HTTP ' + response.status + ': ' + text); });
      return response.json();
    }).then(function (data) {
      delete document.body.dataset.fetchError;
      try {
        render(data);
      } catch (error) {
        // A bug in drawing, not a failed read: mark it as a script error (tests look for it) and keep polling.
        document.body.dataset.error = String(error.stack || error);
        var box = document.getElementById('error');
        box.hidden = false;
        box.textContent = 'Script error: ' + document.body.dataset.error;
      }
    }).catch(function (error) {
      // A failed read (the store briefly unreadable, the dashboard stopped) keeps the last view and says so.
      document.body.dataset.fetchError = String(error.message || error);
      document.getElementById('status').textContent = 'update failed: ' + document.body.dataset.fetchError + ' (retrying)';
    }).then(function () { setTimeout(poll, boot.live.intervalMs); });
  }

  if (boot.data) render(boot.data);
  else if (boot.live) poll();
  else throw new Error('the page has neither data nor a live source');
})();
