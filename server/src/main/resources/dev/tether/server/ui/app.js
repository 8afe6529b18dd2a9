// The Tether web UI: reads HTTP API v1 with the admin token the person signs in with, and re-reads the
// page's data when the server says something changed. Every text from the server goes into the page as
// text, never as HTML.
'use strict';

const TOKEN_KEY = 'tether.adminToken';
// How the page hears of changes: 'push' (the default) or 'poll' (kept for browsers without EventSource,
// and while the stream is down). Both were measured by LiveUpdatesUiTest (the README's "Web UI",
// with the table): with push a change shows about as soon as the server has it instead of up to one poll
// interval later, and an idle page costs a heartbeat every 15 s instead of a request round every 2 s.
const LIVE_KEY = 'tether.live';
const REFRESH_MILLIS = 2000;
// With push, a slow re-read still catches what no notice covers (a render error, a fetch of a project).
const SAFETY_MILLIS = 30000;
const app = document.getElementById('app');
let current = null;   // the page on screen: { refresh(), agent? } (a page with an agent hears only its changes)
let timer = null;
let lastUpdate = 0;
let stream = null;       // the EventSource, while open or opening
let streamReady = false; // the server said the stream is up
let streamRetry = null;
let refreshing = false;
let refreshAgain = false;

// ---------- small helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  append(node, children);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === 'text') node.textContent = value; else node.setAttribute(key, value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function fill(target, ...children) {
  const node = typeof target === 'string' ? document.getElementById(target) : target;
  if (!node) return;
  node.replaceChildren();
  append(node, children);
}

function short(commit) { return commit ? commit.slice(0, 12) : '-'; }

function ago(iso) {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 120) return seconds + 's ago';
  if (seconds < 7200) return Math.round(seconds / 60) + 'm ago';
  if (seconds < 172800) return Math.round(seconds / 3600) + 'h ago';
  return Math.round(seconds / 86400) + 'd ago';
}

function when(iso) { return el('span', { title: iso || '', text: ago(iso) }); }

function badge(text, kind, title) { return el('span', { class: 'badge ' + kind, title: title || null, text }); }

function phaseBadge(phase) {
  switch (phase) {
    case 'synced': return badge('Synced', 'ok');
    case 'failed': return badge('Sync failed', 'bad');
    case 'syncing': return badge('Syncing', 'info');
    default: return badge(phase || 'Unknown', 'none');
  }
}

// Where a syncing entry is, in words next to its phase: the sync wave in progress (its annotation's value, which
// may be negative or sparse, so the count is given apart), or the sources (depends_on) it waits for. Null otherwise.
function syncProgress(s) {
  if (s.waiting_for && s.waiting_for.length) return 'waiting for ' + s.waiting_for.join(', ');
  if (s.wave !== null && s.wave !== undefined) return `wave ${s.wave} (${s.waves} ${s.waves === 1 ? 'wave' : 'waves'})`;
  return null;
}

// The phase badge and, while syncing, where the sync is ("Syncing — wave 0 (3 waves)").
function phaseWithProgress(s) {
  const progress = syncProgress(s);
  return [s.phase === 'pending' ? badge('Pending', 'none') : phaseBadge(s.phase),
    progress ? el('span', { class: 'sync-progress', text: ' — ' + progress }) : null];
}

// kstatus names, shown with the words Argo CD users know.
function healthBadge(health) {
  switch (health) {
    case 'Current': return badge('Healthy', 'ok', 'kstatus: Current');
    case 'InProgress': return badge('Progressing', 'warn', 'kstatus: InProgress');
    case 'Failed': return badge('Degraded', 'bad', 'kstatus: Failed');
    case 'NotFound': return badge('Missing', 'bad', 'kstatus: NotFound');
    default: return badge(health || 'Unknown', 'none', 'kstatus: ' + (health || 'Unknown'));
  }
}

function actionBadge(action) {
  const kind = { failed: 'bad', pruned: 'info', created: 'ok', configured: 'ok', drifted: 'warn' }[action] || 'none';
  return badge(action || '-', kind);
}

function connectedBadge(agent) {
  return agent.connected ? badge('Connected', 'ok') : badge('Disconnected', 'none', 'last seen ' + ago(agent.last_seen_at));
}

function configBadge(config) {
  const kind = { valid: 'ok', invalid: 'bad', pending: 'none' }[config.state] || 'none';
  return badge('Config ' + config.state, kind);
}

function table(id, headers, rows, empty) {
  if (!rows.length) return el('p', { id, class: 'muted', text: empty });
  return el('table', { id }, el('thead', {}, el('tr', {}, headers.map(h => el('th', { text: h })))), el('tbody', {}, rows));
}

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

// ---------- the API

class SignedOut extends Error {}

const conditional = new Map();   // path -> { etag, body } of the last answer that had an ETag

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) throw new SignedOut('not signed in');
  const headers = { Authorization: 'Bearer ' + token };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  // Large answers carry an ETag: polling them again costs a 304 while nothing changed.
  const kept = !options.method ? conditional.get(path) : undefined;
  if (kept) headers['If-None-Match'] = kept.etag;
  const response = await fetch(path, {
    method: options.method || 'GET', headers, cache: 'no-store',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (response.status === 304 && kept) return kept.body;
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw new SignedOut(body && body.error ? body.error : 'the admin token was refused');
  }
  if (!response.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + response.status);
  const etag = response.headers.get('ETag');
  if (etag && !options.method) {
    if (conditional.size > 20) conditional.clear();
    conditional.set(path, { etag, body });
  }
  return body;
}

// ---------- install commands, as the GitLab UI shows them after registering an agent

function agentAddress(server) {
  const [host, port] = [server.agent_address.replace(/:\d+$/, ''), server.agent_address.match(/:(\d+)$/)[1]];
  const reachable = host === '0.0.0.0' || host === '::' || host === '[::]' ? location.hostname : host;
  return reachable + ':' + port;
}

function installCommands(name, secret, server) {
  const address = agentAddress(server);
  const ca = server.dev_ca_certificate ? ' --ca-file tether-ca.crt' : '';
  const lines = [
    '# 1. Save the token (shown only now)' + (server.dev_ca_certificate ? " and the server's CA certificate" : ''),
    `cat > ${name}.token <<'EOF'`, secret, 'EOF',
  ];
  if (server.dev_ca_certificate) lines.push("cat > tether-ca.crt <<'EOF'", server.dev_ca_certificate.trim(), 'EOF');
  lines.push('',
    "# 2. Install the agent in the cluster of kubectl's current context",
    `tether agent manifests --name ${name} --server ${address} --token-file ${name}.token${ca} | kubectl apply -f -`,
    '',
    '# …or with Helm, from a checkout of Tether',
    `helm upgrade --install ${name} deploy/helm/tether-agent --namespace tether-agent --create-namespace \\`,
    `  --set server=${address} --set-file token.value=${name}.token`
      + (server.dev_ca_certificate ? ' --set-file caCertificate=tether-ca.crt' : ''),
    '',
    '# …or run it here, against a kubeconfig',
    `tether agent --server ${address} --token-file ${name}.token${ca} --kubeconfig ~/.kube/config`);
  return lines.join('\n');
}

async function showOnce(target, name, secret, tokenId) {
  const server = await api('/api/v1/server');
  fill(target, el('div', { class: 'once', id: 'token-once' },
    el('h3', { text: `Token ${tokenId} for agent '${name}'` }),
    el('p', {}, 'Copy it now: the server keeps only its digest and will never show it again.'),
    el('pre', { id: 'new-token', text: secret }),
    el('p', {}, 'Ready-to-paste install commands:'),
    el('pre', { id: 'install-command', text: installCommands(name, secret, server) }),
    el('button', { class: 'secondary', type: 'button', onclick: () => fill(target) }, 'I saved it, hide it')));
}

// ---------- pages

function signInPage(message) {
  stopRefreshing();
  closeStream();
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('live').hidden = true;
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', placeholder: 'tether-admin-…', required: true });
  const problem = el('p', { id: 'sign-in-error', class: 'error', text: message || '' });
  fill(app, el('div', { class: 'signin card' },
    el('h1', { text: 'Sign in' }),
    el('p', { class: 'muted' }, 'Paste the admin token: the file admin-token in the server\'s data dir ',
      '(the server prints its path when it starts).'),
    el('form', {
      onsubmit: async (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        try {
          await api('/api/v1/version');
          if (location.hash === '#/apps' || location.hash === '') route(); else location.hash = '#/apps';
        } catch (e) {
          sessionStorage.removeItem(TOKEN_KEY);
          problem.textContent = e instanceof SignedOut ? 'That token was refused: ' + e.message : e.message;
        }
      },
    }, el('label', {}, 'Admin token', input), el('p'), el('button', { id: 'sign-in', class: 'primary', type: 'submit' }, 'Sign in')),
    problem));
  input.focus();
}

function agentsPage() {
  const once = el('div', { id: 'register-result' });
  const name = el('input', { id: 'new-agent-name', placeholder: 'prod', pattern: '[a-z0-9]([-a-z0-9]*[a-z0-9])?', required: true });
  const project = el('select', { id: 'new-agent-project', required: true });
  const problem = el('p', { class: 'error', id: 'register-error' });
  fill(app,
    el('h1', { text: 'Agents' }),
    el('div', { id: 'agents-list' }, el('p', { class: 'muted', text: 'Loading…' })),
    el('h2', { text: 'Register an agent' }),
    el('p', { class: 'muted' }, 'Its configuration is read from .gitlab/agents/<name>/config.yaml in the config project. ',
      'You get its first token, once, with the commands that install it.'),
    inlineForm(problem, async () => {
      const created = await api('/api/v1/agents', { method: 'POST', body: { name: name.value.trim(), config_project: project.value } });
      await showOnce(once, created.agent.name, created.secret, created.token.id);
      name.value = '';
    }, el('label', {}, 'Name', name), el('label', {}, 'Config project', project),
      el('button', { id: 'register-agent', class: 'primary', type: 'submit' }, 'Register')),
    problem, once);
  let projectIds = '';
  return {
    async refresh() {
      const [agents, projects] = await Promise.all([api('/api/v1/agents'), api('/api/v1/projects')]);
      const ids = projects.map(p => p.id).join('\n');
      if (ids !== projectIds) {   // keep the person's choice unless the list changed
        projectIds = ids;
        const chosen = project.value;
        fill(project, projects.map(p => el('option', { value: p.id, text: p.id, selected: p.id === chosen })));
      }
      fill('agents-list', table('agents', ['Agent', 'Connection', 'Version', 'Cluster', 'Last seen', 'Configuration', 'Syncs'],
        agents.map(a => {
          const c = a.connections[0];
          return el('tr', { 'data-agent': a.name },
            el('td', {}, el('a', { href: '#/agents/' + encodeURIComponent(a.name), text: a.name })),
            el('td', {}, connectedBadge(a)),
            el('td', { text: c ? c.version : '-' }),
            el('td', { text: c && c.cluster_version ? c.cluster_version : '-' }),
            el('td', {}, a.connected ? 'now' : when(a.last_seen_at)),
            el('td', {}, configBadge(a.config), a.config.fetch_error ? badge('fetch failing', 'bad', a.config.fetch_error) : null),
            el('td', {}, a.gitops.length ? a.gitops.map(s => el('div', { class: 'sync-summary' },
              phaseWithProgress(s), ' ', healthSummary(s), ' ', el('span', { class: 'muted', text: s.project + (s.source && s.source.renders ? ` (${s.source.kind} ${s.source.renders})` : '') + ' @ ' + short(s.commit) })))
              : el('span', { class: 'muted', text: 'no manifest projects' })));
        }), 'No agents yet: register one below.'));
    },
  };
}

function healthSummary(s) {
  const kind = s.failed > 0 || s.unhealthy > 0 ? 'bad' : s.healthy === s.objects ? 'ok' : 'warn';
  return badge(`${s.healthy}/${s.objects} healthy`, kind, `${s.failed} failed to apply, ${s.unhealthy} degraded`);
}

function agentPage(name) {
  const once = el('div', { id: 'create-token-result' });
  const description = el('input', { id: 'token-description', placeholder: 'what the token is for' });
  const problem = el('p', { class: 'error' });
  fill(app,
    el('h1', {}, 'Agent ', el('code', { text: name }), ' ', el('span', { id: 'agent-status' })),
    el('div', { id: 'connection' }),
    el('h2', { text: 'Configuration' }), el('div', { id: 'config' }),
    el('h2', { text: 'Sync timeline' }), el('div', { id: 'timeline' }),
    el('h2', { text: 'Manifest projects' }), el('div', { id: 'projects' }),
    el('h2', { text: 'Last events' }), el('div', { id: 'events' }),
    el('h2', { text: 'Tokens' }), el('div', { id: 'tokens' }),
    inlineForm(problem, async () => {
      const created = await api(`/api/v1/agents/${encodeURIComponent(name)}/tokens`,
        { method: 'POST', body: { description: description.value } });
      await showOnce(once, name, created.secret, created.token.id);
      description.value = '';
    }, el('label', {}, 'Description', description),
      el('button', { id: 'create-token', class: 'primary', type: 'submit' }, 'Create token')),
    problem, once);
  const path = '/api/v1/agents/' + encodeURIComponent(name);
  return {
    agent: name,
    async refresh() {
      const [agent, config, gitops, syncs, events, tokens] = await Promise.all([api(path), api(path + '/config'),
        api(path + '/gitops'), api(`/api/v1/events?agent=${encodeURIComponent(name)}&kind=sync&limit=40`),
        api(`/api/v1/events?agent=${encodeURIComponent(name)}&limit=15`), api(path + '/tokens')]);
      fill('agent-status', connectedBadge(agent));
      const c = agent.connections.find(x => x.applies_gitops) || agent.connections[0];
      const others = agent.connections.filter(x => x !== c);
      fill('connection', facts([
        ['Connection', c ? `${c.id} from ${c.remote_address} to server replica ${c.replica}, since ${ago(c.since)}`
          : 'not connected, last seen ' + ago(agent.last_seen_at)],
        others.length > 0 && ['Other connections', `${others.map(x => `${x.id} from ${x.remote_address} (replica ${x.replica})`).join(', ')}: `
          + 'the same agent token runs in more than one process; only the connection above applies GitOps'],
        c && ['Agent version', c.version],
        c && ['Pod', c.pod_name ? `${c.pod_namespace}/${c.pod_name}` : '(not in a pod)'],
        c && ['Kubernetes', c.cluster_version || '-'],
        c && ['Last heartbeat', when(c.last_heartbeat)],
        ['Created', when(agent.created_at)],
      ]));
      renderConfig(config);
      renderTimeline(syncs.events);
      fill('projects', gitops.length ? gitops.map(projectCard) : el('p', { class: 'muted' },
        'No manifest projects reported yet. List them under gitops.manifest_projects in the configuration.'));
      fill('events', eventsTable('agent-events', events.events, false));
      fill('tokens', table('token-list', ['Token', 'Description', 'State', 'Created', 'Last used', ''], tokens.map(t => el('tr', {},
        el('td', {}, el('code', { text: t.id })), el('td', { text: t.description || '-' }),
        el('td', {}, badge(t.state, t.state === 'active' ? 'ok' : 'none')), el('td', {}, when(t.created_at)),
        el('td', {}, when(t.last_used_at)),
        el('td', {}, t.state === 'active' ? el('button', {
          class: 'secondary', type: 'button',
          onclick: async () => {
            if (!confirm(`Revoke token ${t.id}? Connections that use it are closed at once.`)) return;
            await api('/api/v1/tokens/' + encodeURIComponent(t.id), { method: 'DELETE' });
            refreshNow();
          },
        }, 'Revoke') : null))), 'No tokens.'));
    },
  };
}

function renderConfig(config) {
  const s = config.state;
  fill('config',
    el('p', {}, configBadge(s), ' ', el('code', { text: s.file }), ' in project ', el('code', { text: s.project }),
      s.commit ? el('span', { class: 'muted', text: ` · read at ${short(s.commit)} ${ago(s.observed_at)}` }) : null),
    s.fetch_error ? el('p', { class: 'error', id: 'fetch-error', text: 'Cannot fetch the config project: ' + s.fetch_error }) : null,
    s.errors.length ? el('div', { id: 'config-errors' },
      el('p', { class: 'error' }, `The file at ${short(s.commit)} is invalid; the agent keeps running the configuration of ${short(s.valid_commit)}:`),
      el('ul', {}, s.errors.map(e => el('li', {}, el('code', { text: `${e.file}:${e.line}:${e.column}` }), ' ',
        e.path ? el('strong', { text: e.path + ': ' }) : null, e.message)))) : null,
    config.content !== null ? [el('p', { class: 'muted', text: `In use: commit ${short(s.valid_commit)}` }),
      el('pre', { id: 'config-content', text: config.content || '# empty file: every default' })]
      : el('p', { class: 'muted', text: 'No valid configuration yet.' }));
}

function projectCard(g) {
  return el('section', { class: 'card project', 'data-project': g.project },
    el('header', {}, el('h3', {}, el('code', { text: g.project })), phaseWithProgress(g),
      el('span', { class: 'muted', text: `commit ${short(g.commit)}` }),
      g.finished_at ? el('span', { class: 'muted', text: `· finished ${ago(g.finished_at)} in ${g.duration_ms} ms` }) : null),
    g.message ? el('p', { class: g.phase === 'failed' ? 'error' : 'muted', text: g.message }) : null,
    sourceLine(g.source),
    el('p', { class: 'counts' }, el('span', { text: `${g.applied} applied` }), el('span', { text: `${g.unchanged} unchanged` }),
      el('span', { text: `${g.pruned} pruned` }), el('span', { text: `${g.failed} failed` }),
      el('span', { text: `${g.drift_corrected} drift corrected` }), el('span', { class: 'muted', text: 'inventory ' + g.inventory })),
    table(null, ['Kind', 'Namespace', 'Name', 'Last action', 'Health', 'Message', 'File'], g.objects.map(o => el('tr', { class: 'object' },
      el('td', { text: o.kind }), el('td', { text: o.namespace || '-' }), el('td', {}, el('code', { text: o.name })),
      el('td', {}, actionBadge(o.action)), el('td', { class: 'health' }, healthBadge(o.health)),
      el('td', { class: 'wrap', text: o.message || '' }), el('td', { class: 'muted', text: o.file || '' }))), 'No objects.'));
}

// What the entry takes its manifests from: raw files, or an overlay or chart the server renders (with its last render).
function sourceLine(s) {
  if (!s) return null;
  if (s.kind === 'raw') return el('p', { class: 'muted source', text: 'source: raw manifests' });
  return el('p', { class: 'source' }, el('span', { class: 'muted', text: `source: ${s.kind} ` }), el('code', { text: s.renders }),
    s.resolved ? el('span', { class: 'resolved', text: ` · chart ${s.resolved}` }) : null,
    s.rendered_at ? el('span', { class: 'muted', text: ` · rendered ${ago(s.rendered_at)} at ${short(s.render_commit)}` }) : null,
    s.render_error ? el('span', { class: 'error render-error', text: ` · render failed: ${s.render_error}` }) : null);
}

// One bar per sync, oldest on the left: height shows how long it took, colour whether it worked.
function renderTimeline(events) {
  const syncs = events.filter(e => e.details).slice().reverse();
  if (!syncs.length) {
    fill('timeline', el('p', { class: 'muted', text: 'No syncs yet.' }));
    return;
  }
  const width = 1000, base = 100, slot = width / Math.max(syncs.length, 10);
  const longest = Math.max(...syncs.map(e => e.details.duration_ms || 0), 1);
  const chart = svg('svg', { viewBox: `0 0 ${width} 130`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'sync timeline' });
  chart.append(svg('line', { x1: 0, x2: width, y1: base, y2: base, stroke: '#d0d7de' }));
  syncs.forEach((e, i) => {
    const d = e.details;
    const height = 12 + 78 * Math.log1p(d.duration_ms || 0) / Math.log1p(longest);
    const x = i * slot + slot * 0.2;
    const ok = d.phase === 'synced';
    const bar = svg('rect', { class: 'sync-bar ' + (ok ? 'ok' : 'bad'), x, y: base - height, width: slot * 0.6, height, rx: 2,
      fill: ok ? '#1a7f37' : '#cf222e', 'data-commit': d.commit });
    bar.append(svg('title', { text: `${ok ? 'Synced' : 'Failed'} ${short(d.commit)} (${e.project}) ${new Date(e.at).toLocaleString()}\n`
      + `${d.applied} applied, ${d.unchanged} unchanged, ${d.pruned} pruned, ${d.failed} failed in ${d.duration_ms} ms` }));
    chart.append(bar);
    if (syncs.length <= 12 || i % Math.ceil(syncs.length / 12) === 0) {
      chart.append(svg('text', { x: x + slot * 0.3, y: base + 14, 'text-anchor': 'middle', text: short(d.commit).slice(0, 7) }));
    }
  });
  chart.append(svg('text', { x: 2, y: 126, text: new Date(syncs[0].at).toLocaleTimeString() }));
  chart.append(svg('text', { x: width - 2, y: 126, 'text-anchor': 'end', text: new Date(syncs[syncs.length - 1].at).toLocaleTimeString() }));
  fill('timeline', el('div', { class: 'timeline' }, chart,
    el('div', { class: 'legend' }, `${syncs.length} syncs that changed something, oldest first; bar height: duration (log scale)`,
      el('span', { class: 'swatch ok' }), 'synced', el('span', { class: 'swatch bad' }), 'failed')));
}

function eventsTable(id, events, withAgent) {
  return table(id, ['When', 'Kind', withAgent ? 'Agent' : null, 'Project', 'What happened'].filter(Boolean), events.map(e =>
    el('tr', { class: 'event sev-' + e.severity, 'data-kind': e.kind },
      el('td', {}, when(e.at)), el('td', {}, badge(e.kind, e.severity === 'warning' ? 'warn' : 'none')),
      withAgent ? el('td', {}, e.agent ? el('a', { href: '#/agents/' + encodeURIComponent(e.agent), text: e.agent }) : '-') : null,
      el('td', { text: e.project || '-' }), el('td', { class: 'wrap', text: e.message }))), 'Nothing happened yet.');
}

/** A one-line form whose submit runs `action`, shows its error in `problem`, and refreshes the page when it worked. */
function inlineForm(problem, action, ...children) {
  return el('form', {
    class: 'inline',
    onsubmit: async (event) => {
      event.preventDefault();
      problem.textContent = '';
      try {
        await action();
        refreshNow();
      } catch (e) {
        if (e instanceof SignedOut) throw e;
        problem.textContent = e.message;
      }
    },
  }, ...children);
}

function projectsPage() {
  fill(app, el('h1', { text: 'Projects' }),
    el('p', { class: 'muted' }, 'Git repositories the server reads: config projects and manifest projects. ',
      'Add them with `tether admin project add`.'),
    el('div', { id: 'projects-list' }, el('p', { class: 'muted', text: 'Loading…' })));
  return {
    async refresh() {
      const [projects, agents] = await Promise.all([api('/api/v1/projects'), api('/api/v1/agents')]);
      fill('projects-list', table('projects', ['Project', 'URL', 'Credentials', 'Last fetch', 'Head', 'Used by'], projects.map(p => {
        const f = p.last_fetch;
        const users = agents.filter(a => a.config_project === p.id || a.gitops.some(s => s.project === p.id)).map(a => a.name);
        return el('tr', { 'data-project': p.id },
          el('td', {}, el('code', { text: p.id })), el('td', { class: 'wrap', text: p.url }), el('td', { text: p.credentials }),
          el('td', {}, !f ? badge('not fetched', 'none') : f.error ? [badge('failing', 'bad'), ' ', el('span', { class: 'error', text: f.error })]
            : [badge('ok', 'ok'), ' ', when(f.succeeded_at)]),
          el('td', {}, f && f.head_commit ? el('code', { text: short(f.head_commit), title: f.default_branch || '' }) : '-'),
          el('td', {}, users.length ? users.map((u, i) => [i ? ', ' : '', el('a', { href: '#/agents/' + encodeURIComponent(u), text: u })]) : '-'));
      }), 'No projects yet.'));
    },
  };
}

function eventsPage() {
  let older = [];
  fill(app, el('h1', { text: 'Events' }), el('div', { id: 'events-list' }),
    el('button', {
      id: 'older', class: 'secondary', type: 'button',
      onclick: async () => {
        const last = older.length ? older[older.length - 1].id : null;
        const page = await api('/api/v1/events?limit=50' + (last ? '&before=' + last : ''));
        older = older.concat(page.events);
        refreshNow();
      },
    }, 'Older'));
  return {
    async refresh() {
      const page = await api('/api/v1/events?limit=50');
      const newest = page.events;
      const seen = new Set(newest.map(e => e.id));
      fill('events-list', eventsTable('all-events', newest.concat(older.filter(e => !seen.has(e.id))), true));
    },
  };
}

// ---------- routing and refreshing

function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    signInPage();
    return;
  }
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  const parts = (location.hash || '#/apps').slice(2).split('/');
  const section = parts[0] || 'apps';
  document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('current', a.dataset.page === section));
  if (section === 'apps' && parts[1] && parts[2]) current = sourcePage(decodeURIComponent(parts[1]), decodeURIComponent(parts[2]));
  else if (section === 'apps') current = applicationsPage();
  else if (section === 'agents' && parts[1]) current = agentPage(decodeURIComponent(parts[1]));
  else if (section === 'projects') current = projectsPage();
  else if (section === 'events') current = eventsPage();
  else current = agentsPage();
  openStream();
  refreshNow();
}

async function refreshNow() {
  stopRefreshing();
  if (refreshing) {   // a change heard during a re-read: read once more after it
    refreshAgain = true;
    return;
  }
  refreshing = true;
  const page = current;
  try {
    await page.refresh();
    lastUpdate = Date.now();
    clearProblem();
  } catch (e) {
    if (e instanceof SignedOut) {
      refreshing = false;
      closeStream();
      signInPage(e.message);
      return;
    }
    showProblem('Could not refresh: ' + e.message + ' (retrying)');
  } finally {
    refreshing = false;
  }
  if (refreshAgain || page !== current) {
    refreshAgain = false;
    refreshNow();
    return;
  }
  scheduleRefresh();
}

function scheduleRefresh() {
  stopRefreshing();
  timer = setTimeout(refreshNow, streamReady ? SAFETY_MILLIS : REFRESH_MILLIS);
}

function livePush() {
  return typeof EventSource !== 'undefined' && sessionStorage.getItem(LIVE_KEY) !== 'poll';
}

// The stream needs a ticket: EventSource sends no Authorization header, and the token never goes into a URL.
async function openStream() {
  if (stream || !livePush() || !sessionStorage.getItem(TOKEN_KEY)) return;
  stream = 'opening';
  let ticket;
  try {
    ticket = await api('/api/v1/events/stream-tickets', { method: 'POST' });
  } catch (e) {
    stream = null;
    if (!(e instanceof SignedOut)) retryStream();
    return;
  }
  const source = new EventSource('/api/v1/events/stream?ticket=' + encodeURIComponent(ticket.ticket));
  stream = source;
  source.addEventListener('ready', () => {
    streamReady = true;
    refreshNow();   // whatever changed while the stream was opening
  });
  source.addEventListener('changed', event => {
    const agent = JSON.parse(event.data).agent;
    if (current && (!current.agent || agent === current.agent || agent === '*')) refreshNow();
  });
  source.addEventListener('closing', () => dropStream());
  source.onerror = () => dropStream();   // a ticket opens one stream: reconnecting takes a new one
}

function dropStream() {
  const wasReady = streamReady;
  closeStream();
  if (wasReady) scheduleRefresh();   // poll until the stream is back
  retryStream();
}

function retryStream() {
  if (!streamRetry) streamRetry = setTimeout(() => { streamRetry = null; openStream(); }, 2000 + Math.random() * 3000);
}

function closeStream() {
  if (stream && stream !== 'opening') stream.close();
  stream = null;
  streamReady = false;
}

function stopRefreshing() {
  if (timer) clearTimeout(timer);
  timer = null;
}

function showProblem(message) {
  let banner = document.getElementById('problem');
  if (!banner) {
    banner = el('p', { id: 'problem', class: 'error' });
    app.prepend(banner);
  }
  banner.textContent = message;
}

function clearProblem() {
  const banner = document.getElementById('problem');
  if (banner) banner.remove();
}

setInterval(() => {
  const live = document.getElementById('live');
  live.hidden = !lastUpdate;
  live.textContent = (streamReady ? 'live (pushed)' : 'live (polling)') + ' · updated '
    + Math.round((Date.now() - lastUpdate) / 1000) + 's ago';
}, 1000);

document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  closeStream();
  conditional.clear();
  lastUpdate = 0;
  signInPage('Signed out.');
});
window.addEventListener('hashchange', route);
route();
