// openspec-sync dashboard: one hand-written ES module, no dependencies.
// Server text goes into the page through textContent only; the one exception
// is the `html` fields of specs.render and mainSpecs.get, which the server
// renders from markdown with raw HTML escaped and unsafe URLs refused.

const main = document.getElementById('main');
const PAGE = 100;          // rows per page of the changes table
const COLUMN_PAGE = 50;    // cards per step of a board column
const COLUMNS = [['no-tasks', 'No tasks'], ['in-progress', 'In progress'], ['complete', 'Complete'], ['archived', 'Archived']];
const OPERATIONS = ['ADDED', 'MODIFIED', 'REMOVED', 'RENAMED'];
const SORTS = [['id', 'Id'], ['title', 'Title'], ['progress', 'Progress'], ['changed', 'Last changed'], ['created', 'Created']];

// ---------- DOM ----------

/** Builds an element: props are attributes, `text`, `class`, `dataset` or `on<event>` handlers. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** The only place server HTML enters the page: markdown rendered and sanitised by the server. */
function renderedHTML(html, cls = 'doc') {
  const div = h('div', { class: cls });
  div.innerHTML = typeof html === 'string' ? html : '';
  return div;
}

function fmtTime(iso) {
  if (!iso) return '—';
  return String(iso).replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1 UTC');
}

function progressBar(percent, label) {
  const bar = h('span', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(percent), 'aria-label': label });
  const fill = h('span');
  fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
  bar.append(fill);
  return bar;
}

let noticeTimer;
function notice(message, kind = 'info') {
  const el = document.getElementById('notice');
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { el.hidden = true; }, 8000);
}

// ---------- API ----------

class ApiError extends Error {
  constructor(message, code, data) { super(message); this.code = code; this.data = data || {}; }
}

async function call(name, input, method) {
  let response;
  try {
    if (method === 'POST') {
      response = await fetch(`/trpc/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-OpenSpec-Sync': 'web' },
        body: JSON.stringify(input ?? {}),
      });
    } else {
      const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      response = await fetch(`/trpc/${name}${query}`, { headers: { Accept: 'application/json' } });
    }
  } catch (error) {
    throw new ApiError(`the server cannot be reached (${error.message})`, 'NETWORK');
  }
  let body;
  try { body = await response.json(); } catch {
    throw new ApiError(`the server answered ${response.status} without JSON`, 'HTTP', { httpStatus: response.status });
  }
  if (body.error) throw new ApiError(body.error.message, body.error.data?.code, body.error.data);
  return body.result.data;
}
const query = (name, input) => call(name, input, 'GET');
const mutate = (name, input) => call(name, input, 'POST');

/** What a write reported, in words: the outcome and, for a conflict, the kept edit's id. */
function writeOutcome(result, error) {
  if (error) {
    if (error.code === 'CONFLICT' && (error.data.conflictId || error.data.conflictIds)) {
      const id = error.data.conflictId ?? error.data.conflictIds[0];
      return { outcome: 'conflict', text: `conflict: ${error.message}`, conflictId: id };
    }
    if (error.code === 'UNAUTHORIZED') return { outcome: 'error', text: `not signed in: ${error.message}` };
    if (error.code === 'FORBIDDEN') return { outcome: 'error', text: `refused: ${error.message}` };
    return { outcome: 'error', text: error.message };
  }
  const words = { written: 'written', unchanged: 'unchanged: nothing to write', pending: 'waiting', resolved: 'resolved' };
  let text = words[result.outcome] || result.outcome;
  if (result.commit) text += ` (commit ${String(result.commit).slice(0, 10)})`;
  if (result.reason) text += `: ${result.reason}`;
  return { outcome: result.outcome, text };
}

function outcomeNode(outcome) {
  const node = h('span', { class: 'outcome', role: 'status', dataset: { outcome: outcome.outcome }, text: outcome.text });
  if (outcome.conflictId !== undefined) {
    append(node, [' ', h('a', { href: `#/conflict/${outcome.conflictId}`, text: 'open the conflict' })]);
  }
  return node;
}

// ---------- routing ----------

let renders = 0;        // counts finished renders, for tests and measurements
let generation = 0;     // bumped on every navigation; late replies of an older view are dropped
let current = null;     // { name, refresh }

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const cut = raw.indexOf('?');
  const path = cut < 0 ? raw : raw.slice(0, cut);
  return { path: path || '/', params: new URLSearchParams(cut < 0 ? '' : raw.slice(cut + 1)) };
}

const routes = [
  [/^\/$/, 'overview', mountOverview],
  [/^\/changes$/, 'changes', mountChanges],
  [/^\/board$/, 'board', mountBoard],
  [/^\/change\/([^/]+)\/([^/]+)$/, 'change', mountChange],
  [/^\/conflicts$/, 'conflicts', mountConflicts],
  [/^\/conflict\/(\d+)$/, 'conflict', mountConflict],
  [/^\/specs$/, 'specs', mountSpecs],
  [/^\/spec\/([^/]+)\/([^/]+)$/, 'spec', mountSpec],
];

async function route() {
  const started = performance.now();
  const mine = ++generation;
  const { path, params } = parseHash();
  const found = routes.find(([pattern]) => pattern.test(path));
  const [pattern, name, mount] = found || [/^/, 'missing', mountMissing];
  const args = (path.match(pattern) || []).slice(1).map(decodeURIComponent);
  delete main.dataset.ready;
  main.dataset.view = name;
  document.getElementById('notice').hidden = true;
  for (const link of document.querySelectorAll('[data-route]')) {
    if (link.dataset.route === name || (name === 'change' && link.dataset.route === 'changes')
      || (name === 'conflict' && link.dataset.route === 'conflicts') || (name === 'spec' && link.dataset.route === 'specs')) {
      link.setAttribute('aria-current', 'page');
    } else link.removeAttribute('aria-current');
  }
  const view = { name, alive: () => mine === generation };
  try {
    const refresh = await mount(view, args, params);
    if (!view.alive()) return;
    current = { name, refresh };
  } catch (error) {
    if (!view.alive()) return;
    main.replaceChildren(h('h1', { text: 'Something went wrong' }), h('p', { class: 'bad', role: 'alert', text: error.message }));
    current = { name, refresh: null };
  }
  main.dataset.ready = '1';
  window.openspecRender = { view: name, ms: performance.now() - started, at: performance.now(), seq: ++renders };
}

function mountMissing() {
  document.title = 'Not found · openspec-sync';
  main.replaceChildren(h('h1', { text: 'No such page' }), h('p', {}, h('a', { href: '#/', text: 'Back to the overview' })));
}

/** True when `data` is what the view last drew: a live refresh then leaves the page alone. */
function sameAsLast(memo, data) {
  const json = JSON.stringify(data);
  if (memo.last === json) return true;
  memo.last = json;
  return false;
}

/** Replaces the view's content unless the user has moved on to another view. */
function show(view, ...nodes) {
  showBuilt(view, () => nodes);
}

/** The same, for a view that puts a node of its last draw (the file editor) into the new one.
 *  `build` runs after the focus and caret are noted: moving a kept node into its new parent
 *  takes the browser's focus from it. The control then gets both back, so typing goes on. */
function showBuilt(view, build) {
  if (!view.alive()) return;
  const focused = document.activeElement;
  const caret = focused && 'selectionStart' in focused ? [focused.selectionStart, focused.selectionEnd] : null;
  main.replaceChildren(...build().flat().filter((node) => node !== null && node !== undefined && node !== false));
  if (focused && focused !== document.body && focused.isConnected && document.activeElement !== focused) {
    focused.focus({ preventScroll: true });
    if (caret) { try { focused.setSelectionRange(...caret); } catch { /* not a text control */ } }
  }
}

// ---------- overview ----------

async function mountOverview(view) {
  document.title = 'Overview · openspec-sync';
  const draw = async () => {
    const projects = await query('projects.list');
    show(view, h('h1', { text: 'Overview' }),
      projects.length === 0 ? h('p', { class: 'muted', text: 'No project is registered yet: run openspec-sync init in a repository.' }) : null,
      h('div', { class: 'cards' }, projects.map(projectCard)));
  };
  await draw();
  return draw;
}

function projectCard(project) {
  const run = project.lastRun;
  const row = (label, ...value) => [h('dt', { text: label }), h('dd', {}, ...value)];
  const errors = project.lastError || project.withErrors
    ? h('span', { class: 'bad', text: [project.withErrors ? `${project.withErrors} change(s) with errors` : '', project.lastError || ''].filter(Boolean).join('; ') })
    : h('span', { class: 'ok', text: 'none' });
  return h('section', { class: 'card', 'aria-label': `Project ${project.name}`, dataset: { project: project.id } },
    h('h2', {}, h('a', { href: `#/changes?project=${encodeURIComponent(project.id)}`, text: project.name })),
    h('p', { class: 'muted', text: project.repoPath }),
    h('dl', { class: 'stats' },
      row('Active', String(project.active ?? 0)),
      row('Archived', String(project.archived ?? 0)),
      row('Removed', String(project.removed ?? 0)),
      row('Main specs', h('a', { href: '#/specs', text: String(project.mainSpecs ?? 0) })),
      row('Last sync', fmtTime(run?.syncedAt || project.lastReconciledAt), run ? ` (${run.triggeredBy}, ${run.action}${run.success ? '' : ', failed'})` : ''),
      row('Sync errors', errors),
      row('Waiting writes', h('span', { class: project.pendingWrites ? 'warn' : '', text: String(project.pendingWrites ?? 0) })),
      row('Open conflicts', project.openConflicts
        ? h('a', { class: 'bad', href: '#/conflicts', text: String(project.openConflicts) })
        : h('span', { text: '0' }))));
}

// ---------- changes: filters shared by the table and the board ----------

const FILTER_KEYS = ['project', 'status', 'q', 'pmin', 'pmax', 'errors', 'conflicts', 'sort', 'order'];

function searchInput(params) {
  const input = { status: params.get('status') || 'all', sort: params.get('sort') || 'id', order: params.get('order') || 'asc' };
  if (params.get('project')) input.projectId = params.get('project');
  if (params.get('q')) input.text = params.get('q');
  if (params.get('errors') === '1') input.hasErrors = true;
  if (params.get('conflicts') === '1') input.hasConflicts = true;
  const number = (key) => { const n = Number.parseInt(params.get(key), 10); return Number.isFinite(n) ? Math.max(0, Math.min(100, n)) : undefined; };
  if (number('pmin') !== undefined) input.progressMin = number('pmin');
  if (number('pmax') !== undefined) input.progressMax = number('pmax');
  return input;
}

/** The filter form; every change is written to the URL (replaceState) and then `onChange` runs. */
function filterForm(view, params, projects, onChange) {
  let timer;
  const update = (key, value, debounce) => {
    if (value === '' || value === false || value === null) params.delete(key); else params.set(key, value === true ? '1' : value);
    params.delete('page');
    history.replaceState(null, '', `#/${view.name}?${params.toString()}`);
    clearTimeout(timer);
    timer = setTimeout(onChange, debounce ? 200 : 0);
  };
  const select = (key, label, options, fallback) => h('label', {}, label,
    h('select', { id: `filter-${key}`, onchange: (e) => update(key, e.target.value === fallback ? '' : e.target.value) },
      options.map(([value, text, alias]) => h('option', { value, text, selected: [value, alias].includes(params.get(key) || fallback) }))));
  const check = (key, label) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', id: `filter-${key}`, checked: params.get(key) === '1', onchange: (e) => update(key, e.target.checked) }), label);
  const number = (key, label) => h('label', {}, label,
    h('input', { type: 'number', id: `filter-${key}`, min: '0', max: '100', value: params.get(key) || '', oninput: (e) => update(key, e.target.value, true) }));
  return h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter changes', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Search id, title and text',
      h('input', { type: 'search', id: 'filter-q', value: params.get('q') || '', placeholder: 'Press / to search', oninput: (e) => update('q', e.target.value, true) })),
    select('project', 'Project', [['', 'All projects'], ...projects.map((p) => [p.id, p.name, p.name])], ''),
    select('status', 'Status', [['all', 'All'], ['active', 'Active'], ['archived', 'Archived'], ['removed', 'Removed']], 'all'),
    number('pmin', 'Progress from %'),
    number('pmax', 'to %'),
    check('errors', 'Has errors'),
    check('conflicts', 'Has conflicts'),
    select('sort', 'Sort by', SORTS, 'id'),
    select('order', 'Order', [['asc', 'Ascending'], ['desc', 'Descending']], 'asc'));
}

function changeHref(item) {
  return `#/change/${encodeURIComponent(item.projectId)}/${encodeURIComponent(item.specId)}`;
}

function openOnClick(el, href) {
  el.dataset.href = href;
  el.addEventListener('click', (e) => { if (!e.target.closest('a, button, input')) location.hash = href; });
  return el;
}

// ---------- changes table ----------

async function mountChanges(view, args, params) {
  document.title = 'Changes · openspec-sync';
  const projects = await query('projects.list');
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  const draw = async () => {
    const page = Math.max(0, Number.parseInt(params.get('page'), 10) || 0);
    const data = await query('specs.search', { ...searchInput(params), offset: page * PAGE, limit: PAGE });
    if (!view.alive()) return;
    results.replaceChildren(changesTable(data, page, (next) => {
      if (next) params.set('page', String(next)); else params.delete('page');
      history.replaceState(null, '', `#/changes?${params.toString()}`);
      draw();
    }));
  };
  show(view, h('h1', { text: 'Changes' }), filterForm(view, params, projects, draw), results);
  await draw();
  return draw;
}

function changesTable(data, page, goTo) {
  const first = data.total === 0 ? 0 : page * PAGE + 1;
  const last = Math.min(data.total, (page + 1) * PAGE);
  const pager = h('div', { class: 'pager' },
    h('span', { id: 'result-count', dataset: { total: String(data.total) }, text: `${first}–${last} of ${data.total} changes` }),
    h('button', { type: 'button', text: 'Previous', disabled: page === 0, onclick: () => goTo(page - 1) }),
    h('button', { type: 'button', text: 'Next', disabled: last >= data.total, onclick: () => goTo(page + 1) }));
  const header = h('tr', {}, ['Change', 'Title', 'Project', 'Status', 'Progress', 'Issues', 'Conflicts', 'Last changed', 'Created']
    .map((text) => h('th', { scope: 'col', text, class: ['Issues', 'Conflicts'].includes(text) ? 'num' : null })));
  const rows = data.items.map((item) => openOnClick(h('tr', { tabindex: '-1', dataset: { nav: '1', specId: item.specId, changeId: item.changeId } },
    h('td', {}, h('a', { href: changeHref(item), text: item.changeId })),
    h('td', { text: item.title }),
    h('td', { text: item.project }),
    h('td', { text: item.status }),
    h('td', {}, progressBar(item.progress, `${item.changeId} progress`), ` ${item.tasksDone}/${item.tasksTotal}`),
    h('td', { class: `num ${item.hasErrors ? 'bad' : ''}`, text: String(item.issueCount) }),
    h('td', { class: `num ${item.openConflicts ? 'bad' : ''}`, text: String(item.openConflicts) }),
    h('td', { text: fmtTime(item.changedAt) }),
    h('td', { text: fmtTime(item.createdAt) })), changeHref(item)));
  return h('div', {}, pager,
    h('table', { 'aria-label': 'Changes' }, h('thead', {}, header), h('tbody', {}, rows)));
}

// ---------- board ----------

async function mountBoard(view, args, params) {
  document.title = 'Board · openspec-sync';
  const projects = await query('projects.list');
  const shown = Object.fromEntries(COLUMNS.map(([key]) => [key, COLUMN_PAGE]));
  const board = h('div', { class: 'board', id: 'board' });
  const draw = async () => {
    const input = searchInput(params);
    const replies = await Promise.all(COLUMNS.map(([column]) => query('specs.search', { ...input, column, offset: 0, limit: Math.min(500, shown[column]) })));
    if (!view.alive()) return;
    board.replaceChildren(...COLUMNS.map(([column, label], i) => boardColumn(column, label, replies[i], () => {
      shown[column] = Math.min(500, shown[column] + COLUMN_PAGE);
      draw();
    })));
  };
  show(view, h('h1', { text: 'Board' }), filterForm(view, params, projects, draw), board);
  await draw();
  return draw;
}

function boardColumn(column, label, data, more) {
  const count = data.columns?.[column] ?? data.total;
  const cards = data.items.map((item) => openOnClick(h('li', { tabindex: '-1', dataset: { nav: '1', changeId: item.changeId } },
    h('a', { href: changeHref(item), text: item.changeId }),
    h('div', { text: item.title }),
    h('div', { class: 'meta' }, `${item.project} · ${item.tasksDone}/${item.tasksTotal} tasks`,
      item.hasErrors ? h('span', { class: 'badge bad', text: 'errors' }) : null,
      item.openConflicts ? h('span', { class: 'badge bad', text: 'conflict' }) : null)), changeHref(item)));
  return h('section', { class: 'column', 'aria-label': `${label}: ${count}`, dataset: { column } },
    h('h2', {}, `${label} `, h('span', { class: 'muted', text: `(${count})` })),
    h('ol', {}, cards),
    data.items.length < data.total ? h('button', { type: 'button', text: `Show more (${data.total - data.items.length} left)`, onclick: more }) : null);
}

// ---------- one change ----------

async function mountChange(view, [projectId, specId]) {
  const ids = { specId, projectId };
  const state = { editorFile: null, dirty: () => false, editor: null, openDiffs: new Set() };
  const draw = async () => {
    const [spec, rendered, log, history, conflicts] = await Promise.all([
      query('specs.get', ids),
      query('specs.render', ids).catch((error) => ({ error })),
      query('specs.log', { ...ids, limit: 50 }).catch((error) => ({ error })),
      query('sync.getSyncHistory', { ...ids, limit: 20 }).catch((error) => ({ error })),
      query('conflicts.list', ids).catch(() => []),
    ]);
    if (!view.alive() || sameAsLast(state, [spec, rendered, log, history, conflicts])) return;
    document.title = `${spec.changeId} · openspec-sync`;
    const refresh = () => draw().catch((error) => notice(error.message, 'error'));
    // The editor survives a refresh while it holds an unsaved edit, or while no file it shows has changed.
    const versions = JSON.stringify((spec.files || []).map((f) => [f.path, f.version]));
    const keep = state.editor && (state.dirty() || state.versions === versions);
    const editor = keep ? state.editor : editorSection(spec, ids, state, refresh);
    state.editor = editor;
    state.versions = versions;
    const scroll = window.scrollY;
    showBuilt(view, () => [
      changeHeader(spec, conflicts),
      h('div', { class: 'change-layout' },
        h('div', { class: 'change-main' },
          documentsSection(rendered),
          deltasSection(rendered),
          editor,
          logSection(log, ids, state, refresh)),
        h('aside', { class: 'change-side' },
          tasksSection(spec, ids, refresh),
          issuesSection(spec, rendered),
          historySection(history)))]);
    window.scrollTo(0, scroll);
  };
  await draw();
  return draw;
}

function changeHeader(spec, conflicts) {
  const total = spec.totalTasks ?? spec.tasks?.length ?? 0;
  const done = spec.completedTasks ?? 0;
  const open = conflicts.filter((c) => !c.resolvedAt);
  return h('header', {},
    h('p', {}, h('a', { href: '#/changes', text: '← Changes' })),
    h('h1', { text: spec.title || spec.changeId }),
    h('p', { class: 'muted' }, `${spec.changeId} · ${spec.project} · ${spec.status} · ${spec.path}`,
      spec.schemaName ? ` · schema ${spec.schemaName}` : '', ' · ',
      progressBar(total ? Math.round((100 * done) / total) : 0, 'tasks done'), ` ${done}/${total} tasks`),
    spec.syncError ? h('p', { class: 'bad', role: 'alert', text: `Sync error: ${spec.syncError}` }) : null,
    open.length ? h('p', { class: 'bad', role: 'alert' }, `${open.length} open conflict(s): `,
      open.map((c, i) => [i ? ', ' : '', h('a', { href: `#/conflict/${c.id}`, text: c.path })])) : null);
}

function documentsSection(rendered) {
  if (rendered.error) return h('section', {}, h('h2', { text: 'Documents' }), h('p', { class: 'bad', text: rendered.error.message }));
  return h('section', { 'aria-label': 'Documents' }, (rendered.documents || []).map((doc) =>
    h('article', { dataset: { path: doc.path } }, h('h2', { text: doc.path }), renderedHTML(doc.html))));
}

function tasksSection(spec, ids, refresh) {
  const tasks = spec.tasks || [];
  const several = (spec.taskFiles || []).length > 1;
  const list = h('ul', { class: 'tasks' });
  let group = null;
  tasks.forEach((task, index) => {
    const heading = `${several ? `${task.file}: ` : ''}${task.group || ''}`;
    if (heading && heading !== group) list.append(h('li', { class: 'group-title', text: heading }));
    group = heading;
    const box = h('input', { type: 'checkbox', checked: !!task.done, dataset: { nav: '1', task: `#${index + 1}`, number: task.number || '' } });
    box.addEventListener('change', async () => {
      box.disabled = true;
      let outcome;
      try {
        outcome = writeOutcome(await mutate('specs.toggleTask', { ...ids, task: `#${index + 1}`, done: box.checked }));
      } catch (error) { outcome = writeOutcome(null, error); box.checked = !box.checked; }
      box.disabled = false;
      notice(`Task ${task.number || index + 1}: ${outcome.text}`, outcome.outcome === 'error' || outcome.outcome === 'conflict' ? 'error' : 'info');
      if (outcome.outcome !== 'error') refresh();
    });
    const item = h('li', {}, h('label', {}, box, h('span', { text: task.text })));
    item.style.marginLeft = `${(task.indent || 0) * 0.6}em`;
    list.append(item);
  });
  return h('section', { 'aria-label': 'Tasks' }, h('h2', { text: `Tasks (${tasks.filter((t) => t.done).length}/${tasks.length})` }),
    tasks.length ? list : h('p', { class: 'muted', text: 'No tasks.' }));
}

function deltasSection(rendered) {
  const deltas = rendered.deltas || [];
  if (rendered.error || deltas.length === 0) return null;
  return h('section', { 'aria-label': 'Delta specs' }, h('h2', { text: 'Delta specs' }),
    OPERATIONS.map((operation) => {
      const group = deltas.filter((d) => d.operation === operation);
      if (group.length === 0) return null;
      return h('div', { dataset: { operation } }, h('h3', { text: `${operation} (${group.length})` }), group.map(deltaCard));
    }));
}

function deltaCard(delta) {
  const title = h('p', {}, h('strong', { text: delta.requirement || delta.capability }), ' ',
    h('span', { class: 'muted', text: `${delta.capability} · ${delta.path}` }),
    delta.from ? h('span', { class: 'muted', text: ` · renamed from ${delta.from}` }) : null);
  if (delta.mainHtml) {
    return h('div', { class: 'delta' }, title, h('div', { class: 'pair' },
      h('div', {}, h('h4', { text: delta.operation === 'REMOVED' ? 'Removed' : 'Proposed' }), renderedHTML(delta.html)),
      h('div', { dataset: { main: '1' } }, h('h4', { text: 'Main spec now' }), renderedHTML(delta.mainHtml))));
  }
  return h('div', { class: 'delta' }, title, renderedHTML(delta.html));
}

function issuesSection(spec, rendered) {
  const issues = rendered.issues || spec.issues || [];
  return h('section', { 'aria-label': 'Validation' }, h('h2', { text: `Validation (${issues.length})` }),
    issues.length === 0 ? h('p', { class: 'ok', text: 'No issues.' }) : h('table', {},
      h('thead', {}, h('tr', {}, ['Level', 'Where', 'Message'].map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, issues.map((issue) => h('tr', {},
        h('td', { class: issue.level === 'error' ? 'bad' : 'warn', text: issue.level }),
        h('td', { text: `${issue.path || ''}${issue.line ? `:${issue.line}` : ''}` }),
        h('td', { text: issue.message }))))));
}

function editorSection(spec, ids, state, refresh) {
  const files = (spec.files || []).filter((f) => typeof f.content === 'string');
  if (!files.some((f) => f.path === state.editorFile)) state.editorFile = files.find((f) => f.path === 'proposal.md')?.path || files[0]?.path;
  const section = h('section', { 'aria-label': 'Edit a file', id: 'editor' }, h('h2', { text: 'Edit a file' }));
  if (!state.editorFile) return append(section, [h('p', { class: 'muted', text: 'No text file to edit.' })]);
  const file = () => files.find((f) => f.path === state.editorFile);
  const area = h('textarea', { class: 'editor', id: 'editor-text', spellcheck: 'false', 'aria-label': 'File content' });
  area.value = file().content;
  const result = h('span', { id: 'editor-outcome' });
  if (state.outcome?.file === state.editorFile) result.append(outcomeNode(state.outcome.outcome));  // the last save's, across refreshes
  state.dirty = () => area.value !== file().content;
  const picker = h('select', { id: 'editor-file', onchange: (e) => {
    if (state.dirty() && !window.confirm('Discard the unsaved edit?')) { e.target.value = state.editorFile; return; }
    state.editorFile = e.target.value; state.outcome = null; area.value = file().content; result.replaceChildren();
  } }, files.map((f) => h('option', { value: f.path, text: f.path, selected: f.path === state.editorFile })));
  const save = h('button', { type: 'button', class: 'primary', id: 'editor-save', text: 'Save', onclick: async () => {
    save.disabled = true;
    let outcome;
    try {
      outcome = writeOutcome(await mutate('specs.update', { ...ids, file: state.editorFile, content: area.value, baseVersion: file().version ?? null }));
    } catch (error) { outcome = writeOutcome(null, error); }
    save.disabled = false;
    result.replaceChildren(outcomeNode(outcome));
    if (outcome.outcome !== 'error') { state.editor = null; state.last = null; state.outcome = { file: state.editorFile, outcome }; await refresh(); }
  } });
  const revert = h('button', { type: 'button', id: 'editor-revert', text: 'Revert', onclick: () => { area.value = file().content; } });
  return append(section, [h('div', { class: 'editor-bar' }, h('label', {}, 'File ', picker), save, revert, result), area]);
}

function historySection(history) {
  const items = history.items || [];
  return h('section', { 'aria-label': 'Sync history' }, h('h2', { text: 'Sync history' }),
    history.error ? h('p', { class: 'bad', text: history.error.message }) : null,
    items.length === 0 ? h('p', { class: 'muted', text: 'Nothing yet.' }) : h('ol', { class: 'history' },
      items.map((item) => h('li', {},
        h('span', { class: item.success ? '' : 'bad', text: item.action }),
        h('span', { class: 'muted', text: ` · ${item.triggeredBy} · ${item.syncDirection === 'db_to_fs' ? 'write' : 'sync'} · ${fmtTime(item.syncedAt)}${item.runs > 1 ? ` (${item.runs} runs)` : ''}` }),
        (item.filesChanged || []).length ? h('div', { class: 'muted small', text: item.filesChanged.join(', ') }) : null,
        item.errorMessage ? h('div', { class: 'bad small', text: item.errorMessage }) : null))));
}

function logSection(log, ids, state, refresh) {
  const commits = log.commits || [];
  const list = h('ol', { class: 'log' }, commits.map((commit) => {
    const diffBox = h('div');
    const toggle = h('button', { type: 'button', 'aria-expanded': 'false', text: 'Diff', onclick: async () => {
      if (toggle.getAttribute('aria-expanded') === 'true') {
        diffBox.replaceChildren(); toggle.setAttribute('aria-expanded', 'false'); state.openDiffs.delete(commit.commit); return;
      }
      toggle.setAttribute('aria-expanded', 'true');
      state.openDiffs.add(commit.commit);
      try { diffBox.replaceChildren(commitDiff(await query('specs.diff', { ...ids, commit: commit.commit }))); } catch (error) {
        diffBox.replaceChildren(h('p', { class: 'bad', text: error.message }));
      }
    } });
    const rollback = h('button', { type: 'button', class: 'danger', text: 'Roll back to this', onclick: async () => {
      if (!window.confirm(`Restore this change's files as they were at ${commit.commit.slice(0, 10)} (“${commit.summary}”)? This makes a new commit.`)) return;
      try { notice(`Rollback: ${writeOutcome(await mutate('specs.rollback', { ...ids, to: commit.commit })).text}`); } catch (error) {
        notice(`Rollback: ${writeOutcome(null, error).text}`, 'error');
      }
      refresh();
    } });
    if (state.openDiffs.has(commit.commit)) queueMicrotask(() => { state.openDiffs.delete(commit.commit); toggle.click(); });
    return h('li', { dataset: { commit: commit.commit } },
      h('code', { text: commit.commit.slice(0, 10) }), ' ', h('span', { text: commit.summary }), ' ',
      h('span', { class: 'muted', text: `${commit.author} · ${fmtTime(commit.time)}${commit.syncCommit ? ' · openspec-sync' : ''}` }), ' ',
      toggle, ' ', rollback, diffBox);
  }));
  return h('section', { 'aria-label': 'Git log' }, h('h2', { text: 'Git log' }),
    log.error ? h('p', { class: 'bad', text: log.error.message }) : null,
    log.shallow ? h('p', { class: 'muted', text: 'Shallow clone: older commits were not fetched.' }) : null,
    commits.length ? list : h('p', { class: 'muted', text: 'No commits.' }));
}

function commitDiff(diff) {
  return h('div', { class: 'diff', 'aria-label': `Diff of ${diff.commit}` }, (diff.files || []).map((file) => [
    h('div', { class: 'file', text: `${file.change}: ${file.path}` }),
    diffLines(file.lines || []),
  ]));
}

function diffLines(lines) {
  const sign = { add: '+', del: '-', context: ' ' };
  return lines.map((line) => h('div', { class: line.kind, dataset: { kind: line.kind } },
    h('span', { class: 'ln', 'aria-hidden': 'true', text: line.oldLine ?? '' }),
    h('span', { class: 'ln', 'aria-hidden': 'true', text: line.newLine ?? '' }),
    h('span', { class: 'sr-only', text: line.kind === 'add' ? 'added: ' : line.kind === 'del' ? 'removed: ' : '' }),
    `${sign[line.kind] || ' '} ${line.text}`));
}

// ---------- conflicts ----------

async function mountConflicts(view, args, params) {
  document.title = 'Conflicts · openspec-sync';
  const all = params.get('all') === '1';
  const draw = async () => {
    const conflicts = await query('conflicts.list', all ? { includeResolved: true } : {});
    show(view, h('h1', { text: 'Conflicts' }),
      h('p', {}, h('a', { href: all ? '#/conflicts' : '#/conflicts?all=1', text: all ? 'Show open conflicts only' : 'Show resolved ones too' })),
      conflicts.length === 0 ? h('p', { class: 'ok', text: 'No open conflicts.' }) : h('table', { 'aria-label': 'Conflicts' },
        h('thead', {}, h('tr', {}, ['Change', 'File', 'Why', 'Detected', 'Resolved'].map((text) => h('th', { scope: 'col', text })))),
        h('tbody', {}, conflicts.map((c) => openOnClick(h('tr', { tabindex: '-1', dataset: { nav: '1', conflictId: String(c.id) } },
          h('td', {}, h('a', { href: `#/conflict/${c.id}`, text: `${c.project}: ${c.changeId}` })),
          h('td', { text: c.path }),
          h('td', { text: c.reason || '' }),
          h('td', { text: fmtTime(c.detectedAt) }),
          h('td', { text: c.resolvedAt ? `${c.resolution} ${fmtTime(c.resolvedAt)}` : 'open' })), `#/conflict/${c.id}`)))));
  };
  await draw();
  return draw;
}

async function mountConflict(view, [conflictId]) {
  document.title = `Conflict ${conflictId} · openspec-sync`;
  const result = h('span', { id: 'resolve-outcome' });
  const memo = {};
  const draw = async () => {
    const c = await query('conflicts.get', { conflictId: Number(conflictId) });
    if (sameAsLast(memo, c)) return;
    const resolve = (resolution) => async () => {
      let outcome;
      try { outcome = writeOutcome(await mutate('sync.resolveConflict', { specId: c.specId, conflictId: c.id, resolution })); } catch (error) {
        outcome = writeOutcome(null, error);
      }
      result.replaceChildren(outcomeNode(outcome));
      await draw().catch(() => {});
    };
    const pane = (title, text, id) => h('div', { class: 'pane', id },
      h('h2', { text: title }), text === null || text === undefined ? h('p', { class: 'muted', text: '(no such file on disk)' }) : h('pre', { text }));
    show(view,
      h('p', {}, h('a', { href: '#/conflicts', text: '← Conflicts' })),
      h('h1', {}, `Conflict on ${c.path} of `, h('a', { href: `#/change/${encodeURIComponent(c.project)}/${encodeURIComponent(c.specId)}`, text: c.changeId })),
      h('p', { class: 'muted', text: `${c.reason || ''} · detected ${fmtTime(c.detectedAt)}` }),
      c.resolvedAt ? h('p', { class: 'ok', role: 'status', text: `Resolved (${c.resolution}) ${fmtTime(c.resolvedAt)}` }) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'resolve-filesystem', disabled: !!c.resolvedAt, text: 'Keep the file on disk', onclick: resolve('filesystem') }),
        h('button', { type: 'button', id: 'resolve-reapply', class: 'primary', disabled: !!c.resolvedAt || c.kept === null, text: 'Write my edit over it', onclick: resolve('reapply') }),
        result),
      h('div', { class: 'side-by-side' }, pane('On disk', c.disk, 'conflict-disk'), pane('Kept edit', c.kept ?? c.keptContent, 'conflict-kept')),
      h('h2', { text: 'Line diff (disk → kept edit)' }),
      h('div', { class: 'diff', id: 'conflict-diff' }, diffLines(c.diff || [])));
  };
  await draw();
  return draw;
}

// ---------- main specs ----------

async function mountSpecs(view) {
  document.title = 'Main specs · openspec-sync';
  const draw = async () => {
    const specs = await query('mainSpecs.list', {});
    show(view, h('h1', { text: 'Main specs' }),
      specs.length === 0 ? h('p', { class: 'muted', text: 'No main specs under openspec/specs/.' }) : h('table', { 'aria-label': 'Main specs' },
        h('thead', {}, h('tr', {}, ['Capability', 'Title', 'Project', 'Requirements'].map((text) => h('th', { scope: 'col', text })))),
        h('tbody', {}, specs.map((s) => {
          const href = `#/spec/${encodeURIComponent(s.projectId)}/${encodeURIComponent(s.capability)}`;
          return openOnClick(h('tr', { tabindex: '-1', dataset: { nav: '1' } },
            h('td', {}, h('a', { href, text: s.capability })), h('td', { text: s.title }), h('td', { text: s.project }),
            h('td', { class: 'num', text: String(s.requirementCount) })), href);
        }))));
  };
  await draw();
  return draw;
}

async function mountSpec(view, [projectId, capability]) {
  const draw = async () => {
    const spec = await query('mainSpecs.get', { projectId, capability });
    document.title = `${spec.title || capability} · openspec-sync`;
    show(view, h('p', {}, h('a', { href: '#/specs', text: '← Main specs' })),
      h('p', { class: 'muted', text: spec.path }), renderedHTML(spec.html));
  };
  await draw();
  return draw;
}

// ---------- live updates ----------

let source = null;
let lastEventId = null;
let refreshTimer;

function setConnection(state) {
  const el = document.getElementById('conn');
  el.dataset.state = state;
  el.textContent = state;
}

/** Opens the event stream; a browser resends Last-Event-ID by itself, a stream made anew sends it as a parameter. */
function connect() {
  const resume = lastEventId === null ? '' : `&lastEventId=${encodeURIComponent(lastEventId)}`;
  source = new EventSource(`/trpc/sync.subscribe?input=${encodeURIComponent('{}')}${resume}`);
  source.onopen = () => {
    // After a reconnect the server may have restarted, and sessions live in its memory.
    if (document.getElementById('conn').dataset.state === 'reconnecting') { checkSession(); scheduleRefresh(); }
    setConnection('live');
  };
  source.addEventListener('connected', () => setConnection('live'));
  source.addEventListener('ping', () => setConnection('live'));
  source.onmessage = (event) => {
    setConnection('live');
    if (event.lastEventId) lastEventId = window.openspecLastEventId = event.lastEventId;
    scheduleRefresh();
  };
  source.onerror = () => {
    setConnection('reconnecting');
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      setTimeout(connect, 2000);
    }
  };
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    if (!current?.refresh) return;
    const focus = navItems().indexOf(document.activeElement);
    try { await current.refresh(); } catch (error) { notice(error.message, 'error'); return; }
    if (focus >= 0) navItems()[Math.min(focus, navItems().length - 1)]?.focus({ preventScroll: true });
    window.openspecLive = (window.openspecLive || 0) + 1;
  }, 150);
}

// ---------- keyboard ----------

function navItems() {
  return [...main.querySelectorAll('[data-nav]')];
}

function move(step) {
  const items = navItems();
  if (items.length === 0) return;
  const at = items.indexOf(document.activeElement);
  const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.max(0, Math.min(items.length - 1, at + step));
  items[next].focus();
  items[next].scrollIntoView({ block: 'nearest' });
}

function focusSearch() {
  const box = document.getElementById('filter-q');
  if (box) { box.focus(); box.select(); return; }
  location.hash = '#/changes';
  const wait = setInterval(() => {
    const found = document.getElementById('filter-q');
    if (found) { clearInterval(wait); found.focus(); }
  }, 30);
  setTimeout(() => clearInterval(wait), 3000);
}

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const typing = target.matches?.('input:not([type="checkbox"]), textarea, select, [contenteditable]');
  if (typing) {
    if (event.key === 'Escape') target.blur();
    return;
  }
  if (event.key === '/') { event.preventDefault(); focusSearch(); }
  else if (event.key === 'j') { event.preventDefault(); move(1); }
  else if (event.key === 'k') { event.preventDefault(); move(-1); }
  else if (event.key === 'Enter' && target.dataset?.href) { event.preventDefault(); location.hash = target.dataset.href; }
  else if (event.key === 'x' && target.dataset?.task) { event.preventDefault(); target.click(); }
});

// ---------- start ----------

async function checkSession() {
  const banner = document.getElementById('banner');
  try {
    const response = await fetch('/session', { headers: { Accept: 'application/json' } });
    const session = await response.json();
    banner.hidden = !!session.signedIn;
    document.body.dataset.signedIn = session.signedIn ? '1' : '0';
  } catch {
    banner.hidden = false;
    document.body.dataset.signedIn = '0';
  }
  banner.textContent = 'read-only: open the sign-in link printed by the server';
}

window.addEventListener('hashchange', route);
// A page being left closes its stream at once, so reloads never pile up open connections.
window.addEventListener('pagehide', () => source?.close());
window.addEventListener('pageshow', (event) => { if (event.persisted) connect(); });
checkSession();
connect();
route();
