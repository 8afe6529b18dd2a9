// Applications: every agent × manifest project entry, a page per source with its resource tree, an
// object panel (live, desired, diff, events), actions and history. Uses the helpers of app.js.
'use strict';

const PAGE_ROWS = 50;        // rows a group shows before "Show more": a 5000-object source stays quick to draw
const HEALTHS = ['Healthy', 'Progressing', 'Degraded', 'Missing', 'Unknown'];

function sourcePath(agent, inventory) {
  return `/api/v1/agents/${encodeURIComponent(agent)}/sources/${encodeURIComponent(inventory)}`;
}

function appHref(a) { return `#/apps/${encodeURIComponent(a.agent)}/${encodeURIComponent(a.inventory_id)}`; }

// The words Argo CD users know for an application's summary health.
function appHealthBadge(health) {
  const kind = { Healthy: 'ok', Progressing: 'warn', Degraded: 'bad', Missing: 'bad' }[health] || 'none';
  return badge(health, kind);
}

// An object's health as a word (kstatus name mapped), for filters.
function healthWord(object) {
  if (object.action === 'failed') return 'Degraded';
  return { Current: 'Healthy', InProgress: 'Progressing', Failed: 'Degraded', NotFound: 'Missing' }[object.health] || 'Unknown';
}

function syncBadge(object) {
  if (object.action === 'drifted') return badge('OutOfSync', 'warn', 'differs from Git; drift correction is set to report');
  if (object.action === 'failed') return badge('Not applied', 'bad', object.message || '');
  if (object.action === 'pruned') return badge('Pruned', 'info');
  if (object.action === 'skipped') return badge('Skipped', 'none');
  return badge('Synced', 'ok', 'last action: ' + object.action);
}

function labelled(text, control) { return el('label', {}, text, control); }

function select(id, options, value) {
  const node = el('select', { id }, options.map(([v, text]) => el('option', { value: v, text })));
  node.value = value || '';
  return node;
}

// ---------- the applications list

function applicationsPage() {
  const state = { agent: '', health: '', phase: '', search: '' };
  const agentFilter = select('filter-agent', [['', 'All agents']], '');
  const healthFilter = select('filter-health', [['', 'All health'], ...HEALTHS.map(h => [h, h])], '');
  const phaseFilter = select('filter-phase', [['', 'All phases'], ['synced', 'Synced'], ['failed', 'Sync failed'],
    ['syncing', 'Syncing'], ['pending', 'Pending']], '');
  const search = el('input', { id: 'filter-search', type: 'search', placeholder: 'project, agent, commit…' });
  let last = [];
  const draw = () => fill('applications-list', applicationsTable(last, state));
  agentFilter.addEventListener('change', () => { state.agent = agentFilter.value; draw(); });
  healthFilter.addEventListener('change', () => { state.health = healthFilter.value; draw(); });
  phaseFilter.addEventListener('change', () => { state.phase = phaseFilter.value; draw(); });
  search.addEventListener('input', () => { state.search = search.value.trim().toLowerCase(); draw(); });
  fill(app, el('h1', { text: 'Applications' }),
    el('p', { class: 'muted' }, 'Each manifest project entry of each agent. Open one for its resource tree, diff, history and actions.'),
    el('form', { class: 'inline filters', role: 'search', onsubmit: e => e.preventDefault() },
      labelled('Agent', agentFilter), labelled('Health', healthFilter), labelled('Phase', phaseFilter), labelled('Search', search)),
    el('div', { id: 'applications-list' }, el('p', { class: 'muted', text: 'Loading…' })));
  return {
    async refresh() {
      last = await api('/api/v1/applications');
      const agents = [...new Set(last.map(a => a.agent))].sort();
      if (agentFilter.options.length !== agents.length + 1) {
        agentFilter.replaceChildren(el('option', { value: '', text: 'All agents' }), ...agents.map(a => el('option', { value: a, text: a })));
        agentFilter.value = state.agent;
      }
      draw();
    },
  };
}

function applicationsTable(apps, f) {
  const shown = apps.filter(a => (!f.agent || a.agent === f.agent) && (!f.health || a.health === f.health)
    && (!f.phase || a.phase === f.phase)
    && (!f.search || [a.agent, a.project, a.inventory_id, a.commit || '', a.renders || '', a.kind || ''].join(' ').toLowerCase().includes(f.search)));
  const caption = el('caption', { class: 'muted', text: `${shown.length} of ${apps.length} applications` });
  if (!apps.length) return el('p', { id: 'applications', class: 'muted', text: 'No applications yet: list manifest projects under gitops.manifest_projects in an agent\'s configuration.' });
  return el('table', { id: 'applications' }, caption,
    el('thead', {}, el('tr', {}, ['Application', 'Agent', 'Source', 'Ref', 'Commit', 'Phase', 'Health', 'Last sync'].map(h => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, shown.map(a => el('tr', { class: 'application', 'data-agent': a.agent, 'data-inventory': a.inventory_id },
      el('td', {}, el('a', { href: appHref(a) }, el('code', { text: a.project })), a.drift_paused ? [' ', badge('Drift paused', 'warn')] : null),
      el('td', {}, a.agent, a.connected ? null : [' ', badge('Disconnected', 'none')]),
      el('td', { text: a.kind ? a.kind + (a.renders ? ' ' + a.renders : '') : '-' }),
      el('td', { text: a.ref || '-' }),
      el('td', {}, a.commit ? el('code', { text: short(a.commit) }) : '-'),
      el('td', { class: 'phase' }, phaseWithProgress(a)),
      el('td', { class: 'health' }, appHealthBadge(a.health), el('span', { class: 'muted', text: ` ${a.healthy}/${a.objects}` })),
      el('td', {}, a.finished_at ? [when(a.finished_at), el('span', { class: 'muted', text: ` in ${a.duration_ms} ms` })] : '-')))));
}

// ---------- a page per source

function sourcePage(agent, inventory) {
  performance.clearMarks('source-start');
  performance.clearMeasures('source-render');
  performance.mark('source-start');
  const path = sourcePath(agent, inventory);
  const view = { kind: '', health: '', differs: false, search: '', open: new Set(), rows: new Map() };
  let detail = null;
  let children = [];
  let signature = '';
  let measured = false;
  const kindFilter = select('filter-kind', [['', 'All kinds']], '');
  const healthFilter = select('filter-object-health', [['', 'All health'], ...HEALTHS.map(h => [h, h])], '');
  const differs = el('input', { id: 'filter-differs', type: 'checkbox' });
  const search = el('input', { id: 'filter-object-search', type: 'search', placeholder: 'name…' });
  const drawTree = () => drawResources(detail, children, view);
  kindFilter.addEventListener('change', () => { view.kind = kindFilter.value; drawTree(); });
  healthFilter.addEventListener('change', () => { view.health = healthFilter.value; drawTree(); });
  differs.addEventListener('change', () => { view.differs = differs.checked; drawTree(); });
  search.addEventListener('input', () => { view.search = search.value.trim().toLowerCase(); drawTree(); });
  fill(app,
    el('p', { class: 'crumbs' }, el('a', { href: '#/apps', text: 'Applications' }), ' / ', agent, ' / ', inventory),
    el('div', { id: 'source-header' }, el('p', { class: 'muted', text: 'Loading…' })),
    el('div', { id: 'actions' }),
    el('h2', { text: 'Resources' }),
    el('form', { class: 'inline filters', role: 'search', onsubmit: e => e.preventDefault() },
      labelled('Kind', kindFilter), labelled('Health', healthFilter), labelled('Search', search),
      el('label', { class: 'check' }, differs, 'Differs from Git')),
    el('p', { id: 'tree-status', class: 'muted' }),
    el('div', { id: 'resources', role: 'tree', 'aria-label': 'resources of the source' }),
    el('h2', { text: 'History' }), el('div', { id: 'history' }),
    el('aside', { id: 'object-panel', hidden: true, role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'object-title' }));
  loadChildren();
  async function loadChildren() {
    try {
      const tree = await api(path + '/tree');
      children = tree.children;
      fill('tree-status', tree.error ? el('span', { class: 'error', text: 'Live children unavailable: ' + tree.error })
        : `${children.length} live children (ReplicaSets, Pods, Jobs) read from the cluster through the agent.`,
        (tree.capped || []).map(line => el('span', { class: 'warn capped', text: ' Cut at the cap: ' + line + '.' })));
      if (detail) drawTree();
    } catch (e) {
      if (e instanceof SignedOut) throw e;
      fill('tree-status', el('span', { class: 'error', text: 'Live children unavailable: ' + e.message }));
    }
  }
  return {
    agent,
    async refresh() {
      const [next, history] = await Promise.all([api(path), api(path + '/history?limit=30')]);
      const a = next.application;
      const now = [a.commit, a.phase, a.finished_at, a.health, a.drift_paused, next.objects.length,
        next.objects.filter(o => o.action === 'drifted').length, next.objects.map(o => o.health).join('')].join('|');
      drawHeader(next);
      drawActions(agent, inventory, a);
      drawHistory(history);
      if (now !== signature) {
        const firstDraw = !detail;
        detail = next;
        signature = now;
        const kinds = [...new Set(detail.objects.map(o => o.kind))].sort();
        if (kindFilter.options.length !== kinds.length + 1) {
          kindFilter.replaceChildren(el('option', { value: '', text: 'All kinds' }), ...kinds.map(k => el('option', { value: k, text: k })));
          kindFilter.value = view.kind;
        }
        drawTree();
        if (!firstDraw) loadChildren();
      }
      if (!measured) {
        measured = true;
        performance.mark('source-rendered');
        performance.measure('source-render', 'source-start', 'source-rendered');
      }
    },
  };
}

function drawHeader(d) {
  const a = d.application;
  const c = d.commit;
  fill('source-header',
    el('h1', {}, el('code', { text: a.project }), ' ', el('span', { class: 'muted', text: 'on ' + a.agent }), ' ',
      el('span', { id: 'source-phase' }, phaseWithProgress(a)), ' ', appHealthBadge(a.health),
      a.drift_paused ? [' ', badge('Drift correction paused', 'warn')] : null),
    facts([
      ['Source', `${a.kind || '-'}${d.source ? ' · ' + d.source : ''}${a.ref ? ' · ref ' + a.ref : ''}`],
      ['Commit', c ? el('span', { id: 'commit' }, c.url ? el('a', { href: c.url, rel: 'noreferrer', target: '_blank' }, el('code', { text: short(c.id) }))
        : el('code', { text: short(c.id) }), c.message ? ' ' + c.message.split('\n')[0] : '', c.author ? el('span', { class: 'muted', text: ' — ' + c.author }) : null) : '-'],
      ['Objects', el('span', { id: 'counts' }, `${a.objects} objects: ${a.healthy} healthy, ${a.progressing} progressing, ${a.degraded} degraded, `
        + `${a.missing} missing, ${a.drifted} differ from Git`)],
      ['Last sync', a.finished_at ? [when(a.finished_at), ` took ${a.duration_ms} ms`] : '-'],
      a.message && ['Message', el('span', { class: a.phase === 'failed' ? 'error' : '', text: a.message })],
      d.render_error && ['Render', el('span', { class: 'error', text: d.render_error })],
      !a.connected && ['Agent', badge('Disconnected', 'none')],
    ]));
}

// ---------- the resource tree: namespace → kind → objects → live children

function objectKey(o) { return `${o.kind}/${o.namespace}/${o.name}`; }

function drawResources(detail, children, view) {
  if (!detail) return;
  const byParent = new Map();
  for (const c of children) {
    if (!byParent.has(c.parent)) byParent.set(c.parent, []);
    byParent.get(c.parent).push(c);
  }
  const shown = detail.objects.filter(o => o.hook === '' && (!view.kind || o.kind === view.kind)
    && (!view.health || healthWord(o) === view.health) && (!view.differs || o.action === 'drifted')
    && (!view.search || o.name.toLowerCase().includes(view.search)));
  const groups = new Map();
  for (const o of shown) {
    const g = (o.namespace || '(cluster)') + '\u0000' + o.kind;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(o);
  }
  const sections = [];
  for (const [g, objects] of [...groups.entries()].sort()) {
    const [namespace, kind] = g.split('\u0000');
    const collapsed = view.open.has(g) ? false : view.open.has('!' + g) ? true : groups.size > 30;
    const limit = view.rows.get(g) || PAGE_ROWS;
    const toggle = el('button', { type: 'button', class: 'group-toggle', 'aria-expanded': String(!collapsed),
      onclick: () => { view.open.delete(g); view.open.delete('!' + g); view.open.add(collapsed ? g : '!' + g); drawResources(detail, children, view); } },
      collapsed ? '▸ ' : '▾ ', el('strong', { text: kind }), ` in ${namespace} `, el('span', { class: 'muted', text: `(${objects.length})` }),
      groupHealth(objects));
    const rows = collapsed ? [] : objects.slice(0, limit).flatMap(o => objectRows(o, byParent, detail));
    const more = !collapsed && objects.length > limit ? el('button', { type: 'button', class: 'secondary more',
      onclick: () => { view.rows.set(g, limit + PAGE_ROWS * 4); drawResources(detail, children, view); } },
      `Show more (${objects.length - limit} not shown)`) : null;
    sections.push(el('section', { class: 'group', 'data-group': `${namespace}/${kind}`, role: 'group' }, toggle,
      rows.length ? el('table', { class: 'objects' }, el('tbody', {}, rows)) : null, more));
  }
  // A redraw (new report, live children) must not take the keyboard focus away from the row it was on.
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
  fill('resources', sections.length ? sections : el('p', { class: 'muted', id: 'no-objects', text: 'No object matches the filters.' }));
  if (focused) {
    const again = [...document.querySelectorAll('#resources tr[data-key]')].find(r => r.dataset.key === focused);
    if (again) again.focus();
  }
}

function groupHealth(objects) {
  const bad = objects.filter(o => healthWord(o) === 'Degraded').length;
  const drifted = objects.filter(o => o.action === 'drifted').length;
  return [bad ? [' ', badge(bad + ' degraded', 'bad')] : null, drifted ? [' ', badge(drifted + ' differ', 'warn')] : null];
}

function objectRows(o, byParent, detail) {
  const rows = [objectRow(o, 0, detail)];
  const walk = (key, depth) => {
    for (const c of byParent.get(key) || []) {
      rows.push(childRow(c, depth, detail));
      walk(objectKey(c), depth + 1);
    }
  };
  walk(objectKey(o), 1);
  return rows;
}

function objectRow(o, depth, detail) {
  const open = () => openObject(detail, o);
  return el('tr', { class: 'object', tabindex: '0', role: 'treeitem', 'aria-level': String(depth + 1), 'data-kind': o.kind, 'data-key': objectKey(o),
    'data-name': o.name, 'data-health': healthWord(o), onclick: open, onkeydown: e => rowKeys(e, open) },
    el('td', { class: 'name' }, el('code', { text: o.name })), el('td', { class: 'health' }, healthBadge(o.action === 'failed' ? 'Failed' : o.health)),
    el('td', { class: 'sync' }, syncBadge(o)), el('td', { class: 'wrap muted', text: o.message || '' }));
}

function childRow(c, depth, detail) {
  const open = () => openObject(detail, { group: c.group, version: c.version, kind: c.kind, namespace: c.namespace, name: c.name, live: true });
  return el('tr', { class: 'child', tabindex: '0', role: 'treeitem', 'aria-level': String(depth + 1), 'data-kind': c.kind, 'data-name': c.name,
    'data-key': objectKey(c),
    onclick: open, onkeydown: e => rowKeys(e, open) },
    el('td', { class: 'name', style: null }, el('span', { class: 'indent d' + Math.min(depth, 4), 'aria-hidden': 'true', text: '└ ' }),
      el('span', { class: 'muted', text: c.kind + ' ' }), el('code', { text: c.name })),
    el('td', { class: 'health' }, healthBadge(c.health)), el('td', { class: 'sync' }, badge('Live', 'none', 'made by its owner, not in Git')),
    el('td', { class: 'wrap muted', text: c.status }));
}

// Enter or Space opens a row; arrow keys move between rows.
function rowKeys(event, open) {
  if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); open(); return; }
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    const rows = [...document.querySelectorAll('#resources tr[tabindex]')];
    const next = rows[rows.indexOf(event.currentTarget) + (event.key === 'ArrowDown' ? 1 : -1)];
    if (next) next.focus();
  }
}
