// What the session panel shows, as a pure function of what the host knows: the session as the
// watch sees it, its record (for the undo log), this window's part in it, the copies' pods and
// Events, and the sync and debug activity. The webview only renders the result; tests call this
// in plain Node with the time passed in.
import { participantLabel } from '../core/session/participant';
import type { Undo } from '../core/session/plan';
import { baggageLine, routeHeaderLine } from '../core/session/route-contract';
import type { SessionState } from '../core/session/record';
import type { Pod } from '../core/resources';
import type { ServiceDebugStats, ServiceSyncStats } from './activity';
import { type CopyObservation, eventTime } from './panel-cluster';
import type { ActionState, EventRow, PanelState, PodRow, ServicePanel } from './panel-protocol';
import { traceAction, tracePanel } from './panel-trace';
import type { SessionRef } from './refs';
import { formatAge, type SessionView } from './sessions';
import type { TraceRun } from './traces';

/** The slice of ActiveSession (active.ts) the panel reads. */
export interface PanelActive {
  phase: 'starting' | 'live' | 'ending';
  starting?: string;
  joined: boolean;
  proxyUrl?: string;
  proxyService?: string;
}

export interface PanelInputs {
  ref: SessionRef;
  view: SessionView | undefined;
  record: SessionState | undefined;
  active: PanelActive | undefined;
  me: string;
  lease: 'ok' | 'late' | 'lost' | undefined;
  /** Pods and Events per service, once read (undefined: not read yet). */
  copies: ReadonlyMap<string, CopyObservation> | undefined;
  sync: ServiceSyncStats[];
  debug: ServiceDebugStats[];
  /** Whether the command `devlane.debugService` exists in this editor. */
  debugCommand: boolean;
  /** Services of the namespace a request may be tried against (besides the ones taken over). */
  namespaceServices?: string[];
  /** The last Trace Route this window ran for the session. */
  trace?: TraceRun;
  now: Date;
}

/** `••••` and the key's last four characters. */
export function maskKey(key: string | undefined): string {
  if (!key) return '';
  return `••••${key.slice(-4)}`;
}

const on: ActionState = { enabled: true };
const off = (reason: string): ActionState => ({ enabled: false, reason });

/** `{ curl, note }`: through the routed URL when it is open, else from inside the cluster with the headers. */
export function curlLine(o: {
  proxyUrl?: string;
  proxyService?: string;
  namespace: string;
  target?: string;
  key: string;
}): { curl: string; note: string } {
  if (o.proxyUrl) {
    return {
      curl: `curl -sS ${o.proxyUrl}`,
      note: `Through the routed URL (Service ${o.proxyService ?? '?'}): the proxy adds the route key to every request.`,
    };
  }
  const host = o.target ? `${o.target}.${o.namespace}.svc.cluster.local` : `SERVICE.${o.namespace}.svc.cluster.local`;
  return {
    curl: `curl -sS -H '${routeHeaderLine(o.key)}' -H '${baggageLine(o.key)}' http://${host}/`,
    note: `From inside the cluster (for example from a pod with kubectl exec). From this machine, use Open Routed URL.`,
  };
}

/** One undo step as the panel lists it: what the session did to which object, and how Stop puts it back. */
export function changeText(u: Undo): string {
  if (u.kind === 'release-router')
    return `Put Devlane's router in front of Service ${u.service}. On stop: ${u.summary}`;
  if (u.kind === 'release-branch') return `Uses the session's data branch. On stop: ${u.summary}`;
  const what = `${kindName(u.ref.type)} ${u.ref.name}`;
  if (u.kind === 'delete') return `Created ${what}. On stop: ${u.summary}`;
  return `Changed ${what}. On stop: ${u.summary}`;
}

const kindNames: Record<string, string> = {
  configMap: 'ConfigMap',
  service: 'Service',
  pod: 'Pod',
  deployment: 'Deployment',
  replicaSet: 'ReplicaSet',
  lease: 'Lease',
  virtualService: 'VirtualService',
  httpRoute: 'HTTPRoute',
  pvc: 'PersistentVolumeClaim',
};
const kindName = (t: string) => kindNames[t] ?? t;

export function podRow(p: Pod): PodRow {
  const statuses = p.status?.containerStatuses ?? [];
  const ready = statuses.length > 0 && statuses.every((c) => c.ready) && !p.metadata.deletionTimestamp;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const waiting = statuses.map((c) => c.state?.waiting).find((w) => w?.reason);
  const terminated = statuses.map((c) => c.state?.terminated).find((t) => t?.reason);
  const reason = waiting
    ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`
    : terminated
      ? `${terminated.reason}${terminated.exitCode !== undefined ? ` (exit ${terminated.exitCode})` : ''}`
      : p.status?.reason;
  return {
    name: p.metadata.name,
    phase: p.metadata.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
    ready,
    restarts,
    ...(reason ? { reason } : {}),
  };
}

function eventRows(o: CopyObservation | undefined, now: Date): EventRow[] {
  return (o?.events ?? []).map((e) => {
    const at = eventTime(e);
    return {
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.series?.count ?? e.count ?? 1,
      age: at ? `${formatAge(new Date(at).toISOString(), now)} ago` : '',
      object: `${e.involvedObject?.kind ?? ''} ${e.involvedObject?.name ?? ''}`.trim(),
    };
  });
}

const ms = (n: number | undefined) =>
  n === undefined ? '?' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;

export function syncLines(
  s: ServiceSyncStats | undefined,
  now: Date,
): { lines: string[]; severity: 'ok' | 'warning' | 'error' } {
  if (!s) return { lines: [], severity: 'ok' };
  const last = s.failures[s.failures.length - 1];
  const failing = s.state === 'error' || (s.state !== 'stopped' && !!last && last.at > (s.lastSyncAt ?? 0));
  const lines = [
    `Sync: ${s.state}${s.message ? ` (${s.message})` : ''}; ${s.localRoot} → ${s.remotePath}`,
    s.lastSyncAt
      ? `Last batch: ${formatAge(new Date(s.lastSyncAt).toISOString(), now)} ago, landed in ${ms(s.lastDurationMs)}`
      : 'Last batch: none yet',
    `Carried ${s.carried} file change${s.carried === 1 ? '' : 's'} since the sync started; ${s.pending} pending`,
    s.failures.length
      ? `Failures: ${s.failures.length}; latest ${formatAge(new Date(last.at).toISOString(), now)} ago: ${last.message}`
      : 'Failures: none',
    ...(s.notes ?? []),
  ];
  return { lines, severity: failing ? 'error' : s.state === 'reconnecting' ? 'warning' : 'ok' };
}

export function debugText(d: ServiceDebugStats | undefined): string {
  if (!d || d.state === 'detached') return 'Debugger: not attached';
  const rt = d.runtime ? ` (${d.runtime})` : '';
  return d.state === 'paused' ? `Debugger: paused${d.where ? ` at ${d.where}` : ''}${rt}` : `Debugger: attached${rt}`;
}

function servicePanel(i: PanelInputs, s: SessionView['services'][number], undo: Undo[], joined: boolean): ServicePanel {
  const obs = i.copies?.get(s.service);
  const pods = (obs?.pods ?? []).map(podRow);
  const sync = syncLines(
    i.sync.find((x) => x.service === s.service),
    i.now,
  );
  const crashing = pods.find((p) => p.reason && /BackOff|Err|Error|OOM/i.test(p.reason));
  let stateText: string;
  let severity: ServicePanel['severity'] = 'ok';
  if (s.state === 'starting') {
    stateText = 'being set up (or rolled back)';
    severity = 'warning';
  } else if (crashing) {
    stateText = `live; the copy is failing: ${crashing.reason}`;
    severity = 'error';
  } else if (s.copyReady === false) {
    stateText = 'live; the copy is not Ready';
    severity = 'warning';
  } else stateText = s.copyReady ? 'live; the copy is Ready' : 'live';
  const mine = s.owner === i.me;
  let debugAction: ActionState = on;
  if (!i.debugCommand)
    debugAction = off(
      'Debugging from the panel needs the command devlane.debugService, which this version of Devlane does not have yet.',
    );
  else if (!joined) debugAction = off('Join the session first.');
  else if (s.state !== 'live' || s.copyReady === false) debugAction = off(`The copy of ${s.service} is not Ready yet.`);
  return {
    service: s.service,
    owner: s.owner,
    mine,
    strategy: s.strategy,
    stateText,
    severity,
    devService: s.devService,
    pods,
    ...(obs === undefined
      ? { podsNote: 'Reading the copy\u2019s pods…' }
      : obs.error
        ? { podsNote: `Could not read the copy's pods: ${obs.error}` }
        : pods.length === 0
          ? { podsNote: 'The copy has no pod yet.' }
          : {}),
    events: eventRows(obs, i.now),
    sync: sync.lines,
    syncSeverity: sync.severity,
    debug: debugText(i.debug.find((x) => x.service === s.service)),
    changes: undo.map(changeText),
    openLogs: on,
    debugAction,
  };
}

export function panelModel(i: PanelInputs): PanelState {
  const { ref, view, active } = i;
  const key = view?.routeKey ?? i.record?.routeKey;
  const masked = maskKey(key);
  const joined = !!active?.joined;
  const exists = !!view;
  const problems: PanelState['problems'] = [];

  let headline: string;
  if (!view) {
    if (active?.phase === 'starting') headline = `Starting${active.starting ? ` ${active.starting}` : ''}…`;
    else if (active?.phase === 'ending') headline = 'Ending…';
    else
      headline = `Not found in ${ref.context} / ${ref.namespace}: it was stopped, or Devlane follows another namespace.`;
  } else if (active?.phase === 'ending') headline = 'Ending: putting back what it changed…';
  else if (active?.phase === 'starting') headline = `Starting${active.starting ? ` ${active.starting}` : ''}…`;
  else if (view.orphaned) headline = 'Expired: no participant renews a Lease in it; it will be cleaned up.';
  else if (!view.mine) headline = 'You are not in this session. Join it to take over a service or open a routed URL.';
  else
    headline = view.services.length
      ? `Live: ${view.services.length} service${view.services.length === 1 ? '' : 's'} taken over`
      : 'Live: no service taken over yet';

  if (view) {
    if (i.lease === 'lost' && view.mine)
      problems.push({
        severity: 'error',
        text: 'Your Lease expired: the session may be collected. Check the connection to the cluster.',
      });
    else if (i.lease === 'late' && view.mine)
      problems.push({ severity: 'warning', text: 'Your Lease could not be renewed lately.' });
    for (const name of view.departed.map(participantLabel))
      problems.push({
        severity: 'warning',
        text: `${name}'s Lease expired: what it took over is given back by the next Devlane that sees it (where it looks like production, after asking), or now with Clean Up in the Sessions view.`,
      });
  }

  const undoFor = (service: string) => i.record?.services.find((s) => s.service === service)?.undo ?? [];
  const services = (view?.services ?? []).map((s) => servicePanel(i, s, undoFor(s.service), joined));
  for (const s of services) {
    if (s.severity !== 'ok' && s.mine) problems.push({ severity: s.severity, text: `${s.service}: ${s.stateText}` });
    if (s.syncSeverity === 'error')
      problems.push({
        severity: 'error',
        text: `${s.service}: ${s.sync.find((l) => l.startsWith('Failures')) ?? 'sync failed'}`,
      });
  }

  const taken = (view?.services ?? []).map((s) => s.service);
  const tryTargets = [
    ...new Set([...(active?.proxyService ? [active.proxyService] : []), ...taken, ...(i.namespaceServices ?? [])]),
  ];
  const tryDefault = active?.proxyService ?? taken[0] ?? tryTargets[0];
  const { curl, note } = curlLine({
    proxyUrl: active?.proxyUrl,
    proxyService: active?.proxyService,
    namespace: ref.namespace,
    target: tryDefault,
    key: masked || 'KEY',
  });
  const strategies = [...new Set((view?.services ?? []).map((s) => s.strategy))];

  const gone: ActionState = { enabled: false, reason: 'The session no longer exists.', hidden: true };
  const actions: PanelState['actions'] = {
    stop: !view ? gone : active?.phase === 'ending' ? off('Already ending.') : on,
    leave: !view
      ? gone
      : !view.mine && !joined
        ? off('You are not in this session.')
        : active?.phase === 'ending'
          ? off('Already ending.')
          : on,
    takeOver: !view ? gone : active?.phase === 'ending' ? off('The session is ending.') : on,
    copyRouteKey: key ? on : !view ? gone : off('The route key is not known yet.'),
    copyJoinLink: view ? on : gone,
    openRoutedUrl: view ? on : gone,
    traceRoute: traceAction(!!view, i.trace),
  };
  const trace = tracePanel(i.trace, i.now);

  return {
    ref: { context: ref.context, namespace: ref.namespace, session: ref.session },
    exists,
    headline,
    problems,
    maskedKey: masked,
    routing: {
      proxyUrl: active?.proxyUrl,
      proxyService: active?.proxyService,
      curl,
      header: routeHeaderLine(masked || 'KEY'),
      baggage: baggageLine(masked || 'KEY'),
      curlNote: note,
    },
    participants: (view?.participants ?? []).map((p) => ({
      ...p,
      services: taken.filter((s) => view!.services.find((x) => x.service === s)?.owner === p.name),
    })),
    services,
    ...(services.length
      ? {}
      : {
          servicesNote: !view
            ? 'None: the session no longer exists.'
            : actions.takeOver.enabled
              ? 'None yet. Use Take Over Another Service.'
              : 'None.',
        }),
    routingStrategy: strategies.length ? strategies.join(', ') : 'none yet (no service taken over)',
    actions,
    tryTargets,
    ...(tryDefault ? { tryDefault } : {}),
    ...(trace ? { trace } : {}),
    updatedAt: i.now.toISOString(),
  };
}
