// What the status bar item shows, as a pure function of the session state (the rust-analyzer
// pattern: a few health states, theme colours for warning and error, a spinner while busy, and a
// Markdown tooltip whose links run commands). src/ui/session/status-bar.ts only copies it over.
import type { DebugState, ServiceTrouble, SyncState } from './activity';
import type { ActiveSession } from './active';
import type { SessionRef } from './refs';
import type { SessionView } from './sessions';
import { commands, type CommandId } from '../core/contributions';

export type Severity = 'ok' | 'warning' | 'error';

export interface StatusBarView {
  text: string;
  /** Markdown; links are `command:` URIs of the commands in `linkCommands`. */
  tooltip: string;
  severity: Severity;
  /** What a screen reader announces. */
  accessibleLabel: string;
  command?: { command: CommandId; arguments: unknown[] };
}

export interface StatusInputs {
  active: ActiveSession | undefined;
  /** The session as the watch sees it (undefined while not listed yet, or in another namespace). */
  view: SessionView | undefined;
  me: string;
  lease: 'ok' | 'late' | 'lost' | undefined;
  sync: SyncState;
  debug: DebugState;
  /** Copies whose program exited by itself. */
  troubles?: readonly ServiceTrouble[];
  /** The services `.vscode/devlane.json` names, where Devlane works now (shown only while no session is active). */
  offer?: DevelopOffer;
}

/** What the quiet item offers to develop, and where. */
export interface DevelopOffer {
  context: string;
  namespace: string;
  services: string[];
}

/** What Develop This Service is given by the quiet item: one service, or several to pick from. */
export interface DevelopTarget {
  context: string;
  namespace: string;
  service?: string;
  services?: string[];
}

/** The quiet item's offer: the workspace's configured services, in the context and namespace Devlane works in. */
export function developOffer(
  configServices: readonly string[] | undefined,
  where: { context: string; namespace: string } | undefined,
): DevelopOffer | undefined {
  const services = [...new Set(configServices ?? [])].filter(Boolean).sort();
  if (!where || services.length === 0) return undefined;
  return { context: where.context, namespace: where.namespace, services };
}

/** `a or b`, `a, b or c`; past three, the first two and how many more (the item stays short). */
function choices(services: readonly string[]): string {
  const shown = services.length > 3 ? [...services.slice(0, 2), `${services.length - 2} more`] : services;
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

/** Commands the tooltip may run; the UI trusts exactly these. */
export const linkCommands: CommandId[] = [
  commands.openSessionPanel,
  commands.openRoutedUrl,
  commands.copyRouteKey,
  commands.copyJoinLink,
  commands.stopSession,
  commands.leaveSession,
  commands.takeOverService,
];

export function commandLink(title: string, command: CommandId, args: unknown[]): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`;
}

const esc = (t: string) => t.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);

const syncText: Record<SyncState['state'], string> = {
  idle: '$(sync) idle',
  syncing: '$(sync~spin) syncing',
  failed: '$(sync-ignored) sync failed',
};
const debugText: Record<DebugState, string> = {
  detached: '',
  attached: '$(debug) attached',
  paused: '$(debug-pause) paused',
};

export function statusBarView(i: StatusInputs): StatusBarView | undefined {
  const a = i.active;
  if (!a) {
    if (!i.offer || i.offer.services.length === 0) return undefined;
    const { services, context, namespace } = i.offer;
    const one = services.length === 1 ? services[0] : undefined;
    const target: DevelopTarget = one
      ? { context, namespace, service: one }
      : { context, namespace, services: [...services] };
    return {
      text: `$(play) Devlane: develop ${one ?? `${choices(services)}…`}`,
      tooltip: `${one ? `This workspace maps to **${esc(one)}**` : `This workspace maps to ${services.map((x) => `**${esc(x)}**`).join(', ')}`} (.vscode/devlane.json), in ${esc(context)} / ${esc(namespace)}.  \nStart a routed session: a copy of the service runs next to the original, and only requests with your route key reach it.`,
      severity: 'ok',
      accessibleLabel: one
        ? `Devlane: develop ${one} in a routed session, in ${context} / ${namespace}`
        : `Devlane: develop one of ${services.join(', ')} in a routed session, in ${context} / ${namespace}`,
      command: { command: commands.developService, arguments: [target] },
    };
  }
  const ref: SessionRef = a.ref;
  const name = ref.session;
  if (a.phase === 'starting') {
    const what = a.starting ? ` on ${a.starting}` : '';
    return {
      text: `$(loading~spin) ${name}: starting${what}`,
      tooltip: `Devlane session **${esc(name)}** is starting${esc(what)} in ${esc(ref.context)} / ${esc(ref.namespace)}.`,
      severity: 'ok',
      accessibleLabel: `Devlane session ${name} is starting${what}`,
      command: { command: commands.sessionActions, arguments: [ref] },
    };
  }
  const mine = (i.view?.services ?? []).filter((s) => s.owner === i.me);
  const problems: { severity: Severity; text: string }[] = [];
  if (a.phase === 'ending') problems.push({ severity: 'ok', text: 'ending…' });
  if (i.lease === 'lost')
    problems.push({ severity: 'error', text: 'your Lease expired: the session may be collected' });
  else if (i.lease === 'late') problems.push({ severity: 'warning', text: 'your Lease could not be renewed lately' });
  for (const s of mine) {
    if (s.state === 'starting') problems.push({ severity: 'warning', text: `${s.service}: being set up` });
    // Live, but nothing to route to: keyed requests fail until it is Ready again (a paused copy stays Ready).
    else if (s.copyReady === false)
      problems.push({
        severity: 'error',
        text: `${s.service}: the copy is not Ready; requests with your route key fail until it is`,
      });
  }
  for (const t of i.troubles ?? []) {
    problems.push({
      severity: 'error',
      text: t.build
        ? `${t.service}: the build failed${t.error ? `: ${t.error}` : ''}; the previous program keeps running`
        : `${t.service}: the program exited (code ${t.exitCode})${t.error ? `: ${t.error}` : ''}; the next save restarts it`,
    });
  }
  if (i.sync.state === 'failed') problems.push({ severity: 'error', text: `sync failed: ${i.sync.message}` });
  const severity: Severity = problems.some((p) => p.severity === 'error')
    ? 'error'
    : problems.some((p) => p.severity === 'warning')
      ? 'warning'
      : 'ok';

  const services = mine.map((s) => s.service);
  const icon =
    a.phase === 'ending'
      ? '$(loading~spin)'
      : severity === 'error'
        ? '$(error)'
        : severity === 'warning'
          ? '$(warning)'
          : '$(broadcast)';
  const exited = (i.troubles ?? []).map((t) => `${t.service} ${t.build ? 'build failed' : 'exited'}`);
  const parts = [
    `${icon} ${name}${services.length ? `: ${services.join(', ')}` : ''}`,
    syncText[i.sync.state],
    debugText[i.debug],
    ...exited,
  ].filter(Boolean);

  const args = [ref];
  const lines = [
    `**Devlane session ${esc(name)}** · ${esc(ref.context)} / ${esc(ref.namespace)}`,
    '',
    services.length
      ? `Your services: ${services.map(esc).join(', ')}`
      : 'You have not taken over a service in this session.',
    i.view
      ? `Participants: ${i.view.participants.map((p) => `${esc(p.name)}${p.alive ? '' : ' (expired)'}`).join(', ')}`
      : '',
    `Sync: ${i.sync.state === 'failed' ? `failed: ${esc(i.sync.message)}` : i.sync.state} · Debug: ${i.debug}`,
    a.proxyUrl ? `Routed URL: ${esc(a.proxyUrl)}` : '',
    ...problems
      .filter((p) => p.severity !== 'ok')
      .map((p) => `${p.severity === 'error' ? '$(error)' : '$(warning)'} ${esc(p.text)}`),
    '',
    [
      commandLink('Open Panel', commands.openSessionPanel, args),
      commandLink('Open Routed URL', commands.openRoutedUrl, args),
      commandLink('Copy Route Key', commands.copyRouteKey, args),
      commandLink('Copy Join Link', commands.copyJoinLink, args),
      commandLink('Take Over Service', commands.takeOverService, args),
      commandLink('Stop', commands.stopSession, args),
      commandLink('Leave', commands.leaveSession, args),
    ].join(' · '),
  ].filter((l, n, all) => l !== '' || (n > 0 && all[n - 1] !== ''));
  return {
    text: parts.join(' '),
    tooltip: lines.join('  \n'),
    severity,
    accessibleLabel: [
      `Devlane session ${name}`,
      services.length ? `your services ${services.join(', ')}` : 'no service taken over',
      `sync ${i.sync.state}`,
      i.debug !== 'detached' ? `debugger ${i.debug}` : '',
      ...problems.map((p) => p.text),
    ]
      .filter(Boolean)
      .join(', '),
    command: { command: commands.sessionActions, arguments: [ref] },
  };
}
