// DOM for one PanelState snapshot, and for one Try-a-request answer. Built with createElement and
// textContent only (no innerHTML), so nothing the cluster or a response says can become markup.
import type { PanelState, ServicePanel, TryResult, ViewMessage } from '../src/sessionview/panel-protocol';
import { baggageHeader, routeHeader } from '../src/core/session/route-contract';
import { button, h, list } from './dom';
import { renderTrace } from './render-trace';

export function renderState(s: PanelState, revealedKey: string | undefined, post: (m: ViewMessage) => void): Node[] {
  const show = (text: string) => (revealedKey && s.maskedKey ? text.split(s.maskedKey).join(revealedKey) : text);
  const a = s.actions;
  const out: Node[] = [];

  out.push(h('h1', {}, `Session ${s.ref.session}`));
  out.push(h('p', { class: 'sub' }, `${s.ref.context} / ${s.ref.namespace} · ${s.headline}`));
  if (s.problems.length)
    out.push(
      list(
        s.problems.map((p) => h('span', { class: `problem-${p.severity}` }, p.text)),
        { role: 'alert', 'aria-label': 'Problems' },
      ),
    );

  out.push(
    h(
      'div',
      { class: 'row', role: 'toolbar', 'aria-label': 'Session actions' },
      button('Open Routed URL', a.openRoutedUrl, () => post({ type: 'openRoutedUrl', service: s.tryDefault })),
      button('Take Over Another Service', a.takeOver, () => post({ type: 'takeOver' }), { secondary: true }),
      button('Copy Join Link', a.copyJoinLink, () => post({ type: 'copyJoinLink' }), { secondary: true }),
      button('Leave Session', a.leave, () => post({ type: 'leave' }), { secondary: true }),
      button('Stop Session', a.stop, () => post({ type: 'stop' }), { secondary: true }),
    ),
  );

  // Route key and how to send routed requests.
  out.push(h('h2', {}, 'Route key'));
  out.push(
    h(
      'div',
      { class: 'row' },
      h(
        'code',
        { 'aria-label': revealedKey ? 'Route key' : 'Route key, masked' },
        revealedKey ?? (s.maskedKey || 'unknown'),
      ),
      button('Copy Route Key', a.copyRouteKey, () => post({ type: 'copyRouteKey', form: 'key' })),
      !revealedKey &&
        button('Reveal', a.copyRouteKey, () => post({ type: 'revealRouteKey' }), {
          secondary: true,
          name: 'Reveal Route Key',
        }),
    ),
  );
  out.push(h('h2', {}, 'Send routed requests'));
  const r = s.routing;
  out.push(
    h(
      'p',
      {},
      r.proxyUrl ? 'Routed URL: ' : 'No routed URL is open. ',
      r.proxyUrl
        ? h('code', {}, r.proxyUrl)
        : 'Open one to send requests from a browser or any HTTP client on this machine.',
      r.proxyUrl && r.proxyService ? ` (Service ${r.proxyService})` : '',
    ),
  );
  out.push(h('pre', { 'aria-label': 'curl command' }, show(r.curl)), h('p', { class: 'note' }, r.curlNote));
  out.push(
    h(
      'table',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, 'Header'),
        h('td', {}, h('code', {}, show(r.header))),
        h(
          'td',
          {},
          button('Copy Header', a.copyRouteKey, () => post({ type: 'copyRouteKey', form: 'header' }), {
            secondary: true,
          }),
        ),
      ),
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, 'Baggage'),
        h('td', {}, h('code', {}, show(r.baggage))),
        h(
          'td',
          {},
          button('Copy Baggage', a.copyRouteKey, () => post({ type: 'copyRouteKey', form: 'baggage' }), {
            secondary: true,
          }),
        ),
      ),
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, 'curl'),
        h('td', {}, ''),
        h(
          'td',
          {},
          button('Copy curl Command', a.copyRouteKey, () => post({ type: 'copyRouteKey', form: 'curl' }), {
            secondary: true,
          }),
        ),
      ),
    ),
  );
  out.push(
    h(
      'p',
      { class: 'note' },
      `A service must pass ${routeHeader} and ${baggageHeader} on to the calls it makes for routes deeper than the first service to work.`,
    ),
  );

  out.push(...renderTrace(s, post));

  // Participants.
  out.push(h('h2', {}, 'Participants'));
  out.push(
    s.participants.length
      ? list(
          s.participants.map(
            (p) =>
              `${p.name}${p.me ? ' (you)' : ''}: ${p.alive ? 'active' : 'Lease expired'}; ${p.services.length ? `holds ${p.services.join(', ')}` : 'holds no service'}`,
          ),
          { 'aria-label': 'Participants' },
        )
      : h('p', { class: 'note' }, 'None known.'),
  );

  // Services.
  out.push(h('h2', {}, 'Services taken over'));
  out.push(h('p', {}, `Routing strategy: ${s.routingStrategy}`));
  if (s.servicesNote) out.push(h('p', { class: 'note' }, s.servicesNote));
  for (const svc of s.services) out.push(renderService(svc, post));
  out.push(h('p', { class: 'note' }, `Updated ${new Date(s.updatedAt).toLocaleTimeString()}`));
  return out;
}

function renderService(s: ServicePanel, post: (m: ViewMessage) => void): Node {
  const pods = s.pods.length
    ? h(
        'table',
        { 'aria-label': `Pods of the copy of ${s.service}` },
        h('tr', {}, ...['Pod', 'Phase', 'Ready', 'Restarts', 'Why'].map((t) => h('th', { scope: 'col' }, t))),
        ...s.pods.map((p) =>
          h(
            'tr',
            {},
            h('td', {}, p.name),
            h('td', {}, p.phase),
            h('td', {}, p.ready ? 'yes' : 'no'),
            h('td', {}, String(p.restarts)),
            h('td', {}, p.reason ?? ''),
          ),
        ),
      )
    : undefined;
  return h(
    'section',
    { class: 'service', 'aria-label': `Service ${s.service}` },
    h('h3', {}, `${s.service}`),
    h(
      'p',
      {},
      `Held by ${s.owner}${s.mine ? ' (you)' : ''} · ${s.strategy} · `,
      h('span', { class: s.severity === 'ok' ? 'ok' : `problem-${s.severity}` }, s.stateText),
      ` · copy Service ${s.devService}`,
    ),
    h(
      'div',
      { class: 'row' },
      button(`Open Logs`, s.openLogs, () => post({ type: 'openLogs', service: s.service }), {
        secondary: true,
        name: `Open Logs: ${s.service}`,
      }),
      button(`Debug`, s.debugAction, () => post({ type: 'debug', service: s.service }), {
        secondary: true,
        name: `Debug: ${s.service}`,
      }),
    ),
    pods,
    s.podsNote && h('p', { class: 'note' }, s.podsNote),
    h('p', {}, s.events.length ? 'Recent events:' : 'No recent events.'),
    s.events.length > 0 &&
      list(
        s.events.map((e) =>
          h(
            'span',
            { class: e.type === 'Warning' ? 'problem-warning' : '' },
            `${e.age} ${e.type} ${e.reason}${e.count > 1 ? ` (×${e.count})` : ''}: ${e.message} [${e.object}]`,
          ),
        ),
        { 'aria-label': `Events of ${s.service}` },
      ),
    h('p', {}, 'Hot sync:'),
    s.sync.length
      ? list(
          s.sync.map((l) => h('span', { class: s.syncSeverity === 'ok' ? '' : `problem-${s.syncSeverity}` }, l)),
          { 'aria-label': `Sync of ${s.service}` },
        )
      : h('p', { class: 'note' }, 'Not running in this window (Devlane: Start Sync…).'),
    h('p', {}, s.debug),
    h(
      'p',
      {},
      s.changes.length
        ? 'What the session created or changed for it (Stop or Leave puts it back, newest first):'
        : 'The session has recorded no change for it yet.',
    ),
    s.changes.length > 0 && list(s.changes, { 'aria-label': `Changes for ${s.service}` }),
  );
}

export function renderTryResult(r: TryResult): Node {
  const title = `${r.routed ? 'Through the route' : 'Without the key'}: ${r.method} ${r.path} → ${r.target}`;
  if (!r.ok)
    return h(
      'div',
      { class: 'result', role: 'group', 'aria-label': title },
      h('h3', {}, title),
      h('p', { class: 'problem-error' }, r.error),
    );
  return h(
    'div',
    { class: 'result', role: 'group', 'aria-label': title },
    h('h3', {}, title),
    h(
      'p',
      {},
      h('strong', {}, `${r.status} ${r.statusText}`),
      ` in ${r.timeMs} ms · answered by `,
      h('strong', {}, r.answered.text),
      ` · via ${r.via}`,
    ),
    h(
      'details',
      {},
      h('summary', {}, `Response headers (${r.headers.length})`),
      h('table', {}, ...r.headers.map(([n, v]) => h('tr', {}, h('th', {}, n), h('td', {}, v)))),
    ),
    h('pre', { 'aria-label': 'Response body' }, r.body || '(empty body)'),
    r.truncated
      ? h(
          'p',
          { class: 'note' },
          `Showing the first ${new TextEncoder().encode(r.body).length} of ${r.bodyBytes} bytes.`,
        )
      : undefined,
  );
}
