// The object panel, the source's actions and its sync history. Uses the helpers of app.js and apps.js.
'use strict';

let panelReturnFocus = null;

async function openObject(detail, o) {
  const a = detail.application;
  const panel = document.getElementById('object-panel');
  panelReturnFocus = document.activeElement;
  const close = el('button', { type: 'button', class: 'secondary', id: 'close-panel', onclick: closeObject }, 'Close (Esc)');
  fill(panel, el('header', {}, el('h2', { id: 'object-title' }, `${o.kind} `, el('code', { text: (o.namespace ? o.namespace + '/' : '') + o.name })), close),
    el('p', { class: 'muted', text: 'Loading the live object through the agent…' }));
  panel.hidden = false;
  close.focus();
  const q = new URLSearchParams({ group: o.group || '', version: o.version || 'v1', kind: o.kind, namespace: o.namespace || '', name: o.name });
  let d;
  try {
    d = await api(sourcePath(a.agent, a.inventory_id) + '/object?' + q);
  } catch (e) {
    if (e instanceof SignedOut) throw e;
    fill(panel, el('header', {}, el('h2', { id: 'object-title', text: `${o.kind} ${o.name}` }), close), el('p', { class: 'error', text: e.message }));
    return;
  }
  fill(panel,
    el('header', {}, el('h2', { id: 'object-title' }, `${d.kind} `, el('code', { text: (d.namespace ? d.namespace + '/' : '') + d.name })), close),
    d.action ? el('p', { id: 'last-action' }, 'Last action: ', actionBadge(d.action), ' ', healthBadge(d.health), ' ',
      el('span', { text: d.message || '' }), d.file ? el('span', { class: 'muted', text: ' · ' + d.file }) : null)
      : el('p', { class: 'muted', text: 'Not in Git: made in the cluster by its owner.' }),
    d.problems.length ? el('ul', { class: 'problems' }, d.problems.map(p => el('li', { class: 'error', text: p }))) : null,
    d.diff ? [el('h3', { text: 'Differs from Git' }), el('p', { class: 'muted' },
      'The fields Git sets whose live value differs: what drift correction puts back.'), diffTable(d.diff)] : null,
    el('h3', { text: 'Events' }), eventsOf(d.events),
    el('details', { open: true }, el('summary', { text: 'Live object' }), el('pre', { id: 'live-yaml', text: d.live ? toYaml(d.live) : '(not readable)' })),
    d.desired ? el('details', {}, el('summary', { text: 'Desired (from Git)' }), el('pre', { id: 'desired-yaml', text: toYaml(d.desired) })) : null);
}

function closeObject() {
  const panel = document.getElementById('object-panel');
  if (!panel || panel.hidden) return;
  panel.hidden = true;
  if (!panelReturnFocus) return;
  // The row may have been redrawn meanwhile (a new report): focus the row of the same object.
  const key = panelReturnFocus.dataset ? panelReturnFocus.dataset.key : null;
  const row = document.contains(panelReturnFocus) ? panelReturnFocus
    : [...document.querySelectorAll('#resources tr[data-key]')].find(r => r.dataset.key === key);
  if (row) row.focus();
}

document.addEventListener('keydown', e => { if (e.key === 'Escape') closeObject(); });

function diffTable(diff) {
  if (!diff.length) return el('p', { id: 'diff', class: 'ok-text', text: '✓ The live object has every field as Git sets it.' });
  return el('table', { id: 'diff', class: 'diff' }, el('thead', {}, el('tr', {}, ['Field', 'Git wants', 'Live has'].map(h => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, diff.map(c => el('tr', {}, el('td', {}, el('code', { text: c.path })),
      el('td', { class: 'want' }, el('code', { text: '+ ' + c.desired })),
      el('td', { class: 'have' }, el('code', { text: c.live === null ? '− (absent)' : '− ' + c.live }))))));
}

function eventsOf(events) {
  if (!events) return el('p', { class: 'muted', text: 'Events could not be read.' });
  if (!events.length) return el('p', { id: 'object-events', class: 'muted', text: 'No events (Kubernetes keeps them for an hour).' });
  return el('table', { id: 'object-events' }, el('thead', {}, el('tr', {}, ['Type', 'Reason', 'Message', 'Count', 'Last seen'].map(h => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, events.map(e => el('tr', {}, el('td', {}, badge(e.type, e.type === 'Warning' ? 'warn' : 'none')), el('td', { text: e.reason }),
      el('td', { class: 'wrap', text: e.message }), el('td', { text: String(e.count) }), el('td', {}, e.last_seen ? when(e.last_seen) : '-')))));
}

// Enough YAML to read an object: block maps and lists, scalars quoted when YAML would read them otherwise.
function toYaml(value, indent = '') {
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return value.map(v => {
      const inner = toYaml(v, indent + '  ');
      return indent + '- ' + (isBlock(v) ? inner.trimStart() : inner);
    }).join('\n');
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (!keys.length) return '{}';
    return keys.map(k => {
      const v = value[k];
      const key = indent + yamlScalar(k) + ':';
      return isBlock(v) ? key + '\n' + toYaml(v, indent + '  ') : key + ' ' + toYaml(v, indent + '  ');
    }).join('\n');
  }
  return yamlScalar(value);
}

function isBlock(v) { return v && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0); }

function yamlScalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v !== 'string') return String(v);
  if (v.includes('\n')) return '|\n' + v.replace(/\n$/, '').split('\n').map(l => '    ' + l).join('\n');
  return /^[\w./-][\w ./:@,()-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|~|[-+]?[\d.]+(e[-+]?\d+)?)$/i.test(v) && !/[:]\s|\s$/.test(v)
    ? v : JSON.stringify(v);
}

// ---------- actions: admin only (every API call carries the admin token), each confirmed and recorded in the events feed

const ACTIONS = {
  refresh: { label: 'Refresh', ask: 'Fetch this source\'s Git project now?' },
  sync: { label: 'Sync now', ask: 'Have the agent apply this source now?' },
  pause: { label: 'Pause drift correction', ask: 'Pause drift correction? The agent then reports changes made in the cluster and leaves them.' },
  resume: { label: 'Resume drift correction', ask: 'Resume drift correction? The agent puts back what differs from Git.' },
};

function drawActions(agent, inventory, a) {
  const target = document.getElementById('actions');
  if (!target) return;
  const names = ['refresh', 'sync', a.drift_paused ? 'resume' : 'pause'];
  if (target.dataset.names === names.join()) return;   // keep focus and the last result across refreshes
  target.dataset.names = names.join();
  const result = el('p', { id: 'action-result', role: 'status', 'aria-live': 'polite' });
  fill(target, el('div', { class: 'buttons' }, names.map(name => el('button', {
    type: 'button', class: name === 'sync' ? 'primary' : 'secondary', id: 'action-' + name,
    onclick: async () => {
      if (!confirm(ACTIONS[name].ask)) return;
      result.className = 'muted';
      result.textContent = ACTIONS[name].label + '…';
      try {
        const done = await api(sourcePath(agent, inventory) + '/' + name, { method: 'POST' });
        result.className = 'ok-text';
        result.textContent = '✓ ' + done.done;
        refreshNow();
      } catch (e) {
        if (e instanceof SignedOut) throw e;
        result.className = 'error';
        result.textContent = ACTIONS[name].label + ' failed: ' + e.message;
      }
    },
  }, ACTIONS[name].label))), result);
}

// ---------- history: the source's finished syncs, each openable

function drawHistory(entries) {
  const target = document.getElementById('history');
  if (!target) return;
  const opened = new Set([...target.querySelectorAll('details[open]')].map(d => d.dataset.id));
  if (!entries.length) { fill(target, el('p', { class: 'muted', id: 'history-list', text: 'No finished syncs recorded yet.' })); return; }
  fill(target, el('div', { id: 'history-list' }, entries.map(h => el('details', { class: 'sync-entry', 'data-id': String(h.id), open: opened.has(String(h.id)) },
    el('summary', {}, h.phase === 'synced' ? badge('Synced', 'ok') : badge('Sync failed', 'bad'), ' ', el('code', { text: short(h.commit) }), ' ',
      when(h.at), el('span', { class: 'muted', text: ` · ${h.applied} applied, ${h.pruned} pruned, ${h.failed} failed · ${h.duration_ms} ms` })),
    el('div', { class: 'sync-details' }, el('p', { text: h.message }),
      facts([['Commit', el('code', { text: h.commit || '-' })], ['Started', h.started_at ? new Date(h.started_at).toLocaleString() : '-'],
        ['Took', h.duration_ms + ' ms'], ['Unchanged', String(h.unchanged)]]),
      h.changes.length ? el('ul', { class: 'changes' }, h.changes.map(c => el('li', {}, el('code', { text: c }))))
        : el('p', { class: 'muted', text: 'No object changed.' }))))));
}
