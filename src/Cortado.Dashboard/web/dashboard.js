// The dashboard page: one card per run, fed by the server's event stream (api/events).
// Every value from the server is set as text, never as HTML.
'use strict';

const runs = new Map();
const colours = ['#d9480f', '#1c7ed6', '#2b8a3e', '#862e9c', '#e67700', '#0b7285', '#c2255c', '#5c940d'];

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function format(value) {
  if (value === null || value === undefined) return 'n/a';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(2) : value.toPrecision(4).replace(/\.?0+$/, '');
}

function setConnection(state, text) {
  const node = document.getElementById('connection');
  node.dataset.state = state;
  node.textContent = text;
}

function runModel(id) {
  let run = runs.get(id);
  if (run) return run;
  run = {
    id, name: `run ${id}`, state: 'training', detail: '', hasGraph: false, hasFiles: false,
    points: { iteration: [], loss: [], smoothed: [], rate: [] }, tests: [], samples: [], findings: [],
    charts: {}, card: null, dirty: true, changed: new Set(['points', 'tests', 'samples', 'findings', 'state']),
  };
  runs.set(id, run);
  return run;
}

function apply(delta) {
  const run = runModel(delta.run);
  if (delta.name !== undefined) {
    // A connection's first event for a run carries all of it: start the run's data afresh (after a reconnect).
    run.points = { iteration: [], loss: [], smoothed: [], rate: [] };
    run.tests = [];
    run.samples = [];
    run.findings = [];
    run.changed = new Set(['points', 'tests', 'samples', 'findings', 'state']);
    run.name = delta.name;
    run.hasGraph = delta.hasGraph;
    run.hasFiles = delta.hasFiles;
  }
  if (delta.state !== undefined) { run.state = delta.state; run.detail = delta.detail || ''; run.changed.add('state'); }
  if (delta.points.iteration.length) {
    for (const column of ['iteration', 'loss', 'smoothed', 'rate']) run.points[column].push(...delta.points[column]);
    run.changed.add('points');
  }
  if (delta.tests.length) { run.tests.push(...delta.tests); run.changed.add('tests'); }
  if (delta.samples.length) { run.samples.push(...delta.samples); run.changed.add('samples'); }
  if (delta.findings) { run.findings = delta.findings; run.changed.add('findings'); }
  run.dirty = true;
}

// One redraw for the events of a moment. A timer, not requestAnimationFrame: headless and occluded
// windows can hold animation frames back for seconds, and a background tab still slows timers.
let pending = 0;
function schedule() {
  if (!pending) pending = setTimeout(() => { pending = 0; for (const run of runs.values()) if (run.dirty) render(run); }, 50);
}

function card(run) {
  if (run.card) return run.card;
  const section = element('section', 'run');
  section.dataset.run = run.id;
  const title = element('h2');
  title.append(element('span', 'name'), element('span', 'state'));
  const summary = element('div', 'summary');
  summary.append('iteration ', element('b', 'latest-iteration', '-'), ' \u00b7 loss ', element('b', 'latest-loss', '-'),
    ' \u00b7 lr ', element('b', 'latest-rate', '-'), element('span', 'latest-test'));
  section.append(title, summary, element('div', 'findings'));
  for (const [key, heading] of [['loss', 'Training loss (smoothed as Caffe displays it)'], ['test', 'Test outputs'],
    ['rate', 'Learning rate'], ['update', 'Update / weight per layer (log scale)']]) {
    const chart = element('div', `chart ${key}-chart`);
    chart.append(element('h3', '', heading), element('div', 'empty', 'no data yet'));
    section.append(chart);
  }
  section.append(element('div', 'layers-title', 'Layer scales at the latest sample'), element('table', 'layers'));
  document.getElementById('runs').append(section);
  run.card = section;
  return section;
}

// Redraws only the parts of a card whose data changed: the page shares the machine with the training.
function render(run) {
  run.dirty = false;
  const changed = run.changed;
  run.changed = new Set();
  const section = card(run);
  if (changed.has('state')) {
    section.querySelector('.name').textContent = run.name;
    const state = section.querySelector('.state');
    state.dataset.state = run.state;
    state.textContent = run.detail ? `${run.state} (${run.detail})` : run.state;
  }
  const p = run.points;
  const last = p.iteration.length - 1;
  if (changed.has('points') && last >= 0) {
    section.querySelector('.latest-iteration').textContent = String(p.iteration[last]);
    section.querySelector('.latest-loss').textContent = format(p.smoothed[last]);
    section.querySelector('.latest-rate').textContent = format(p.rate[last]);
    chart(run, 'loss', [p.iteration, p.smoothed], [{ label: 'train loss', stroke: colours[0] }]);
    chart(run, 'rate', [p.iteration, p.rate], [{ label: 'lr', stroke: colours[1] }]);
  }
  if (changed.has('tests')) {
    const tests = latestTests(run);
    section.querySelector('.latest-test').textContent = tests.length ? ' \u00b7 test ' + tests.map(t => `${t.output} ${format(t.value)}`).join(', ') : '';
    renderTests(run);
  }
  if (changed.has('findings')) renderFindings(section.querySelector('.findings'), run.findings);
  if (changed.has('samples')) {
    renderUpdates(run);
    renderLayers(section.querySelector('table.layers'), run.samples[run.samples.length - 1]);
  }
  if (run.hasGraph && !section.querySelector('.graph')) {
    const details = element('details', 'graph');
    details.open = true;
    const image = element('img');
    image.alt = `the net of ${run.name}`;
    image.src = `api/runs/${run.id}/graph.svg`;
    details.append(element('summary', '', 'The net'), image);
    section.append(details);
  }
  if (run.hasFiles && !run.filesAsked) { run.filesAsked = true; listFiles(run, section); }
}

function latestTests(run) {
  if (!run.tests.length) return [];
  const at = run.tests[run.tests.length - 1].iteration;
  return run.tests.filter(t => t.iteration === at && t.net === 0);
}

function renderFindings(container, findings) {
  container.replaceChildren(...findings.map(f => {
    const banner = element('div', `finding ${f.severity}${f.active ? '' : ' cleared'}`);
    banner.dataset.code = f.code;
    banner.append(element('strong', 'title', f.title),
      element('span', 'when', f.active ? ` (since iteration ${f.iteration})` : ` (iterations ${f.iteration}-${f.clearedAt}, no longer)`),
      element('div', 'evidence', f.evidence));
    if (f.fix) banner.append(element('div', 'fix', `fix: ${f.fix}`));
    banner.title = f.explanation;
    return banner;
  }));
}

function renderTests(run) {
  const names = [...new Set(run.tests.map(t => (t.net ? `#${t.net} ` : '') + t.output))];
  const iterations = [...new Set(run.tests.map(t => t.iteration))].sort((a, b) => a - b);
  const index = new Map(iterations.map((it, i) => [it, i]));
  const columns = names.map(() => iterations.map(() => null));
  for (const t of run.tests) columns[names.indexOf((t.net ? `#${t.net} ` : '') + t.output)][index.get(t.iteration)] = t.value;
  const series = names.map((name, i) => ({ label: name, stroke: colours[(i + 2) % colours.length], scale: /loss/.test(name) ? 'loss' : 'y', points: { show: true } }));
  chart(run, 'test', [iterations, ...columns], series, names.some(n => /loss/.test(n)) ? ['y', 'loss'] : ['y']);
}

function renderUpdates(run) {
  const samples = run.samples.filter(s => s.layers.some(l => l.update !== null));
  const layers = samples.length ? samples[samples.length - 1].layers.filter(l => l.update !== null).map(l => l.name) : [];
  const columns = layers.map(name => samples.map(s => {
    const layer = s.layers.find(l => l.name === name);
    return layer && layer.update > 0 ? layer.update : null;
  }));
  const series = layers.map((name, i) => ({ label: name, stroke: colours[i % colours.length] }));
  chart(run, 'update', [samples.map(s => s.iteration), ...columns], series, ['y'], true);
}

function renderLayers(table, sample) {
  if (!sample) return;
  const head = element('tr');
  for (const h of ['layer', 'type', 'activation rms', 'gradient rms', 'update/weight', 'dead']) head.append(element('th', '', h));
  const rows = sample.layers.map(l => {
    const row = element('tr');
    row.dataset.layer = l.name;
    row.append(element('td', '', l.name), element('td', '', l.type), element('td', '', format(l.activation)),
      element('td', '', format(l.gradient)), element('td', '', format(l.update)),
      element('td', l.dead > 0.5 ? 'bad' : '', l.dead === null ? '' : `${Math.round(l.dead * 100)}%`));
    return row;
  });
  const caption = element('caption', '', `iteration ${sample.iteration}`);
  table.replaceChildren(caption, head, ...rows);
}

function chart(run, key, data, series, scales = ['y'], logarithmic = false) {
  const holder = run.card.querySelector(`.${key}-chart`);
  if (!data[0].length || !series.length) return;
  const labels = series.map(s => s.label).join('|');
  const existing = run.charts[key];
  if (existing && existing.labels === labels) { existing.plot.setData(data); return; }
  if (existing) existing.plot.destroy();
  holder.querySelector('.empty')?.remove();
  const width = Math.max(300, holder.clientWidth || run.card.clientWidth - 32);
  // Log axes label only their decades (uPlot passes null for the rest); linear ones keep uPlot's labels.
  const values = logarithmic ? (_, splits) => splits.map(v => (v === null ? null : format(v))) : undefined;
  const axes = [{}, { scale: 'y', size: 60, ...(values ? { values } : {}) }];
  const scaleOptions = { x: { time: false }, y: logarithmic ? { distr: 3 } : {} };
  if (scales.includes('loss')) { axes.push({ scale: 'loss', side: 1, grid: { show: false }, size: 50 }); scaleOptions.loss = {}; }
  const plot = new uPlot({
    width, height: 180, scales: scaleOptions, axes, legend: { live: false },
    series: [{ label: 'iteration' }, ...series.map(s => ({ width: 1.5, spanGaps: false, ...s }))],
  }, data, holder);
  run.charts[key] = { plot, labels };
}

async function listFiles(run, section) {
  try {
    const response = await fetch(`api/runs/${run.id}/files`);
    if (!response.ok) return;
    const files = await response.json();
    const list = element('div', 'files', 'files: ');
    for (const f of files) {
      const link = element('a', '', f.name);
      link.href = `api/runs/${run.id}/files/${encodeURIComponent(f.name)}`;
      list.append(link);
    }
    section.append(list);
  } catch { /* the list is a convenience; the curves do not depend on it */ }
}

// The stream's comings and goings, for whoever debugs the page (window.dashboardJournal).
const journal = window.dashboardJournal = [];
const note = what => journal.push(`${new Date().toISOString()} ${what}`);
const source = new EventSource('api/events');
// Cards stay through a reconnect; each run's first event on the new stream replaces its data.
source.addEventListener('hello', () => {
  note('hello');
  setConnection('live', 'live');
});
source.addEventListener('run', event => {
  const delta = JSON.parse(event.data);
  if (delta.name !== undefined || delta.state !== undefined) note(`run ${delta.run}${delta.name !== undefined ? ' whole' : ''}${delta.state ? ' ' + delta.state : ''}`);
  apply(delta);
  schedule();
});
source.addEventListener('bye', () => {
  note('bye');
  source.close();
  setConnection('closed', 'the server has closed (the run is over); the curves keep what they had');
});
source.onerror = () => note('error') || setConnection('closed', 'disconnected: the run has ended or the server stopped (the curves keep what they had)');
window.addEventListener('resize', () => {
  for (const run of runs.values())
    for (const { plot } of Object.values(run.charts)) plot.setSize({ width: Math.max(300, plot.root.parentElement.clientWidth), height: 180 });
});
