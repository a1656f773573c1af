// The Sessions view as data: one row per session (owner, participants, age, orphaned or not), and
// under it the services taken over (by whom, copy state) and the participants. Sessions of the
// followed namespace only are listed flat; once this window is in a session elsewhere, each
// context / namespace gets a group row, the followed one first. Pure functions from the watch's state; src/ui/session/sessions-tree.ts renders them.
import { participantLabel, participantUser } from '../core/session/participant';
import type { SessionRef } from './refs';
import { formatAge, type SessionView, type UnreadableRecord } from './sessions';
import type { WatchState } from './watch';
import type { Where } from '../core/where';
import { treeItemContexts, type TreeItemContext } from '../core/contributions';

export interface SessionRow {
  id: string;
  kind: 'place' | 'session' | 'service' | 'participant' | 'message' | 'unreadable';
  label: string;
  description?: string;
  tooltip?: string;
  icon: { id: string; color?: string };
  contextValue?: TreeItemContext;
  expandable: boolean;
  ref?: SessionRef;
  service?: string;
  /** On a place row: the context and namespace it groups. */
  place?: Where;
  /** On an unreadable row: the record the Delete Record action deletes. */
  record?: UnreadableRecord;
}

const esc = (t: string) => t.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);

export function rootRows(
  state: WatchState,
  views: readonly SessionView[],
  now: Date,
  unreadable: readonly UnreadableRecord[] = [],
  places: readonly PlaceState[] = [],
): SessionRow[] {
  if (places.length > 1) return places.map((p) => placeRow(p, views));
  return placeRows(places[0]?.state ?? state, views, now, unreadable);
}

/** A watched place, as SessionsWatch reports it. */
export interface PlaceState {
  state: WatchState;
  followed: boolean;
}

const inPlace = (where: Where) => (r: { context: string; namespace: string }) =>
  r.context === where.context && r.namespace === where.namespace;

/** The rows of one place: its sessions and unreadable records, or what it says when it lists none. */
export function placeRows(
  state: WatchState,
  views: readonly SessionView[],
  now: Date,
  unreadable: readonly UnreadableRecord[] = [],
): SessionRow[] {
  if (state.phase === 'none') return [message('none', 'No context: pick one in the Clusters view', 'info')];
  const here = inPlace(state.where);
  const mine = views.filter(here);
  const bad = unreadable.filter(here);
  const none = mine.length === 0 && bad.length === 0;
  if (state.phase === 'error' && none)
    return [message('error', `Cannot list sessions in ${state.where.namespace}: ${state.message}`, 'error')];
  if (state.phase === 'starting' && none)
    return [message('loading', `Listing sessions in ${state.where.namespace}…`, 'loading~spin')];
  // Empty: the view's welcome content says what to do (package.json viewsWelcome); in a group, the row says it.
  return [...mine.map((v) => sessionRow(v, now)), ...bad.map(unreadableRow)];
}

/** A context / namespace group, shown once this window is in a session outside the followed namespace. */
export function placeRow(p: PlaceState, views: readonly SessionView[]): SessionRow {
  const where = p.state.phase === 'none' ? undefined : p.state.where;
  const count = where ? views.filter(inPlace(where)).length : 0;
  const label = where ? where.namespace : 'No context';
  const notes = [
    where?.context ?? '',
    p.followed ? 'followed' : '',
    `${count} session${count === 1 ? '' : 's'}`,
  ].filter(Boolean);
  return {
    id: `place:${where ? `${where.context}/${where.namespace}` : ''}`,
    kind: 'place',
    label,
    description: notes.join(' · '),
    tooltip: where
      ? `Sessions in **${esc(where.context)} / ${esc(where.namespace)}**${p.followed ? ' (the namespace Devlane works in)' : ' (you are in a session here)'}`
      : undefined,
    icon: { id: 'symbol-namespace' },
    expandable: true,
    place: where,
  };
}

/** Under a group row: its sessions, or a line saying there are none. */
export function placeChildren(
  p: PlaceState,
  views: readonly SessionView[],
  now: Date,
  unreadable: readonly UnreadableRecord[],
): SessionRow[] {
  const rows = placeRows(p.state, views, now, unreadable);
  if (rows.length || p.state.phase === 'none') return rows;
  return [message(`${p.state.where.context}/${p.state.where.namespace}/none`, 'No routed sessions here', 'info')];
}

/** A record that failed validation: its error, and nothing Devlane would do with it but delete it. */
export function unreadableRow(r: UnreadableRecord): SessionRow {
  return {
    id: `record:${r.context}/${r.namespace}/${r.record}`,
    kind: 'unreadable',
    label: r.record,
    description: `unreadable: ${r.error}`,
    tooltip: [
      `**${esc(r.record)}** in ${esc(r.context)} / ${esc(r.namespace)} cannot be used as a session record:`,
      esc(r.error),
      'Devlane replays nothing from it. **Delete Record** removes the ConfigMap (nothing it lists is undone).',
    ].join('  \n'),
    icon: { id: 'error', color: 'list.errorForeground' },
    contextValue: treeItemContexts.sessionUnreadable,
    expandable: false,
    record: r,
  };
}

/** The view's description: where the sessions listed are. */
export function viewDescription(state: WatchState): string | undefined {
  return state.phase === 'none' ? undefined : `${state.where.context} / ${state.where.namespace}`;
}

export function sessionRow(v: SessionView, now: Date): SessionRow {
  const alive = v.participants.filter((p) => p.alive).length;
  const gone = v.departed;
  const age = formatAge(v.createdAt, now);
  const notes = [
    v.orphaned ? 'orphaned' : '',
    gone.length ? `${gone.length} Lease${gone.length === 1 ? '' : 's'} expired` : '',
    `by ${v.createdBy}`,
    `${v.participants.length} participant${v.participants.length === 1 ? '' : 's'}`,
    age,
    v.mine ? 'joined' : '',
  ].filter(Boolean);
  const tooltip = [
    `**Session ${esc(v.session)}** in ${esc(v.context)} / ${esc(v.namespace)}`,
    `started by ${esc(v.createdBy)}, ${age} ago`,
    `participants: ${v.participants.map((p) => `${esc(p.name)}${p.alive ? '' : ' (Lease expired)'}`).join(', ') || 'none'}`,
    `services: ${v.services.map((s) => `${esc(s.service)} (${esc(s.owner)})`).join(', ') || 'none yet'}`,
    v.orphaned
      ? '$(warning) No participant renews a Lease any more: **Clean Up** puts back everything the session changed.'
      : gone.length
        ? `$(warning) ${gone.map((p) => esc(participantLabel(p))).join(', ')} no longer renew${gone.length === 1 ? 's' : ''} a Lease: **Clean Up** gives back what ${gone.length === 1 ? 'it' : 'each'} took over; the others stay in the session.`
        : '',
  ].filter(Boolean);
  return {
    id: `session:${v.context}/${v.namespace}/${v.session}`,
    kind: 'session',
    label: v.session,
    description: notes.join(' · '),
    tooltip: tooltip.join('  \n'),
    icon: v.orphaned
      ? { id: 'warning', color: 'list.warningForeground' }
      : v.mine
        ? { id: 'broadcast', color: 'charts.purple' }
        : alive
          ? { id: 'broadcast' }
          : { id: 'circle-outline' },
    contextValue: v.orphaned
      ? treeItemContexts.sessionOrphaned
      : v.mine
        ? gone.length
          ? treeItemContexts.sessionMineExpired
          : treeItemContexts.sessionMine
        : gone.length
          ? treeItemContexts.sessionOtherExpired
          : treeItemContexts.sessionOther,
    expandable: true,
    ref: { context: v.context, namespace: v.namespace, session: v.session },
  };
}

export function childRows(v: SessionView): SessionRow[] {
  const ref: SessionRef = { context: v.context, namespace: v.namespace, session: v.session };
  const base = `session:${v.context}/${v.namespace}/${v.session}`;
  const services = v.services.map((s): SessionRow => {
    const copy =
      s.state === 'starting'
        ? 'being set up'
        : s.copyReady === false
          ? 'copy not Ready'
          : s.copyReady
            ? 'copy Ready'
            : 'live';
    return {
      id: `${base}/svc:${s.service}`,
      kind: 'service',
      label: s.service,
      description: `taken over by ${participantUser(s.owner)} · ${copy} · ${s.strategy}`,
      tooltip: `**${esc(s.service)}** is taken over by ${esc(s.owner)}  \nrequests with the route key go to ${esc(s.devService)} (${esc(s.strategy)})`,
      icon:
        s.state === 'starting'
          ? { id: 'loading~spin' }
          : s.copyReady === false
            ? { id: 'warning', color: 'list.warningForeground' }
            : { id: 'server-process', color: 'charts.purple' },
      contextValue: treeItemContexts.sessionService,
      expandable: false,
      ref,
      service: s.service,
    };
  });
  const participants = v.participants.map((p): SessionRow => ({
    id: `${base}/p:${p.name}`,
    kind: 'participant',
    label: p.name,
    description: [p.me ? 'you' : '', p.alive ? 'active' : 'Lease expired'].filter(Boolean).join(' · '),
    icon: p.alive ? { id: 'account' } : { id: 'account', color: 'disabledForeground' },
    contextValue: treeItemContexts.sessionParticipant,
    expandable: false,
    ref,
  }));
  return [
    ...(services.length ? services : [message(`${base}/none`, 'No service taken over yet', 'info')]),
    ...participants,
  ];
}

function message(id: string, label: string, icon: string): SessionRow {
  return { id: `msg:${id}`, kind: 'message', label, icon: { id: icon }, expandable: false };
}
