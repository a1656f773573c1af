// The editor's entry points to routed sessions: Develop This Service on a service row; Stop / Join /
// Leave / Take Over / Clean Up from the Sessions view, the status bar or the command palette; Copy
// Route Key, Copy Join Link and Open Routed URL (its proxies and target picking: routed-url.ts), and
// Trace Route (trace.ts). The work happens in src/session/, src/proxy/ and src/doctor/; here we only
// ask, show progress and allow cancelling.
// Starting a service (Develop This Service, Take Over) is the use case src/session/develop.ts, as
// develop.ts here answers and shows it. Which sessions this window is in lives in ActiveSessions
// (src/sessionview/active.ts).
import { participantLabel, participantUser } from '../../core/session/participant';
import * as vscode from 'vscode';
import { stageSummary } from '../../core/session/start-stages';
import type { Clusters } from '../../cluster/api';
import { apiTypes } from '../../core/api-types';
import { type CommandId, commands } from '../../core/contributions';
import { ClusterError } from '../../core/errors';
import { Disposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import type { Service } from '../../core/resources';
import { defaultSessionName } from '../../core/session/names';
import type { ExplorerNode } from '../../explorer/nodes';
import type { Sessions } from '../../session/sessions';
import type { SessionsAt } from '../../session/sessions-at';
import type { ActiveSessions } from '../../sessionview/active';
import { joinLink, type SessionRef } from '../../sessionview/refs';
import type { DevelopTarget } from '../../sessionview/status';
import { stopQuestion } from '../../sessionview/stop';
import type { SessionTraces } from '../../sessionview/traces';
import type { SessionsWatch } from '../../sessionview/watch';
import type { Where } from '../../core/where';
import { developInEditor, type DevelopOptions, type EditorDevelopDeps } from './develop';
import type { StartResult } from '../../session/sessions';
import { RoutedUrls } from './routed-url';
import { type TraceDeps, traceRouteInEditor } from './trace';
import { type CommandArgs, type SessionArg, sessionOf } from '../command-args';
import { registerCommand, runCommand, toAbortSignal } from '../vscode-utils';
import { baggageMember, labels, routeHeader, routeHeaderLine } from '../../core/session/route-contract';

export interface SessionCommandDeps {
  clusters: Clusters;
  /** Where Devlane works (src/core/where.ts), or where the given row is. */
  where: (given?: Partial<Where>) => Where | undefined;
  /** The session operations of a place, as this participant. */
  sessionsAt: SessionsAt;
  logger: Logger;
  active: ActiveSessions;
  watch: SessionsWatch;
  /** `publisher.name`, for join links. */
  extensionId: string;
  /** Hot sync: the workspace folder, and where a copy's sync is kept once started. */
  sync?: EditorDevelopDeps['sync'];
  /** Where Trace Route leaves its answer for the session panel. */
  traces: SessionTraces;
  /** After a trace blamed a hop: the check of the blamed service's source (src/ui/doctor/). */
  routeCheck?: TraceDeps['routeCheck'];
}

export class SessionCommands extends Disposable {
  private readonly routedUrls: RoutedUrls;
  /** Ends a start still under way when the window closes. */
  private readonly disposing = new AbortController();

  constructor(private readonly deps: SessionCommandDeps) {
    super();
    this._register({ dispose: () => this.disposing.abort() });
    this.routedUrls = new RoutedUrls({ ...deps, routeKey: (ref) => this.routeKey(ref), join: (ref) => this.join(ref) });
    const reg = <K extends CommandId>(id: K, fn: (...args: CommandArgs[K]) => unknown) =>
      this._register(registerCommand(id, fn, deps.logger));
    // A Clusters row has a kind; the status bar's offer does not.
    reg(commands.developService, (a) => (a && !('kind' in a) ? this.developIn(a) : this.develop(a)));
    reg(commands.developServiceWithData, (a) => this.develop(a, { data: {} }));
    reg(commands.stopSession, (a) => this.withSession(a, 'Stop', (ref) => this.stop(ref)));
    reg(commands.joinSession, (a) => this.withSession(a, 'Join', (ref) => this.join(ref)));
    reg(commands.leaveSession, (a) => this.withSession(a, 'Leave', (ref) => this.leave(ref), true));
    reg(commands.cleanUpSession, (a) => this.withSession(a, 'Clean Up', (ref) => this.cleanUp(ref)));
    reg(commands.takeOverService, (a) => this.withSession(a, 'Take over a service in', (ref) => this.takeOver(ref)));
    reg(commands.copyRouteKey, (a) => this.withSession(a, 'Copy the route key of', (ref) => this.copyRouteKey(ref)));
    reg(commands.copyJoinLink, (a) => this.withSession(a, 'Copy a join link to', (ref) => this.copyJoinLink(ref)));
    reg(commands.openRoutedUrl, (a) =>
      this.withSession(a, 'Open a routed URL in', (ref) => this.routedUrls.open(ref, a?.service), true),
    );
    reg(commands.traceRoute, (a) =>
      this.withSession(a, 'Trace the route of', (ref) => traceRouteInEditor(this.deps, ref, this.disposing.signal)),
    );
    reg(commands.sessionActions, (a) => this.withSession(a, 'Act on', (ref) => this.actions(ref), true));
    reg(commands.refreshSessions, () => this.deps.watch.follow(this.deps.where()));
  }

  // ---- where, and which session --------------------------------------------------------------

  /** Where Devlane works, or where the row the command was invoked on is. */
  private where(node?: ExplorerNode): Where {
    const where = this.deps.where(node?.ref);
    if (!where)
      throw new ClusterError(
        'config',
        'No Kubernetes context to work in',
        'Add a context to your kubeconfig, or pick one in the Devlane view.',
      );
    return where;
  }

  private sessions(ref: Where, progress?: vscode.Progress<{ message?: string }>): Sessions {
    return this.deps.sessionsAt(ref, { report: (m) => progress?.report({ message: m }) });
  }

  /** Runs `fn` on the session the command was invoked on, or on one the user picks. */
  private async withSession(
    arg: SessionArg | undefined,
    verb: string,
    fn: (ref: SessionRef) => Promise<unknown>,
    preferActive = false,
  ): Promise<void> {
    const given = sessionOf(arg);
    if (given) return void (await fn(given));
    if (preferActive && this.deps.active.list().length === 1) return void (await fn(this.deps.active.current()!.ref));
    const ref = await this.pick(verb);
    if (ref) await fn(ref);
  }

  private async pick(verb: string): Promise<SessionRef | undefined> {
    const where = this.where();
    const list = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Listing sessions' },
      () => this.sessions(where).list(this.disposing.signal),
    );
    if (list.length === 0) {
      void vscode.window.showInformationMessage(`No sessions in ${where.context} / ${where.namespace}.`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      list.map((s) => ({
        label: s.name,
        description: s.services.map((x) => `${x.service} (${x.owner})`).join(', '),
        detail: `participants: ${s.participants.map((p) => `${p.name}${p.alive ? '' : ' (expired)'}`).join(', ')}`,
      })),
      { title: `${verb} session in ${where.context} / ${where.namespace}`, placeHolder: 'Session' },
    );
    return pick && { ...where, session: pick.label };
  }

  private progress<T>(
    title: string,
    fn: (p: vscode.Progress<{ message?: string }>, signal: AbortSignal) => Promise<T>,
  ): Thenable<T> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (p, token) => fn(p, toAbortSignal(token)),
    );
  }

  // ---- starting and taking over ---------------------------------------------------------------

  private async develop(node?: ExplorerNode, opts: DevelopOptions = {}): Promise<void> {
    if (node?.kind !== 'service' || !node.ref)
      throw new ClusterError(
        'config',
        'Develop This Service acts on a service row of the Devlane view',
        'Right-click a service there.',
      );
    await this.developAt(this.where(node), node.ref.name, opts);
  }

  /** Develop This Service without a tree row (the status bar's quiet item): one service, or a pick among several. */
  async developIn(t: DevelopTarget): Promise<void> {
    const service =
      t.service ??
      (await vscode.window.showQuickPick(t.services ?? [], {
        title: `Develop which service in ${t.context} / ${t.namespace}?`,
        placeHolder: 'Services named in .vscode/devlane.json',
      }));
    if (!service) return;
    await this.developAt({ context: t.context, namespace: t.namespace }, service);
  }

  private async developAt(where: Where, service: string, opts: DevelopOptions = {}): Promise<void> {
    const who = await this.deps.clusters.connection(where.context).whoAmI(AbortSignal.timeout(30_000));
    const session = await vscode.window.showInputBox({
      title: `Develop ${service}: session name`,
      value: defaultSessionName(who.username, service),
      prompt: 'Colleagues join the session by this name. Lower-case letters, digits and "-".',
    });
    if (!session) return;
    await this.start({ ...where, session }, service, opts);
  }

  private async start(ref: SessionRef, service: string, opts: DevelopOptions = {}): Promise<void> {
    const result = await developInEditor(
      { ...this.deps, lost: (lost) => this.lost(lost) },
      ref,
      service,
      this.disposing.signal,
      opts,
    );
    if (!result) return;
    const took = result.resumed ? undefined : stageSummary(result.phases);
    await this.showLive(
      ref,
      `${service} is taken over (${result.strategy}${result.resumed ? ', resumed' : ''})${took ? `: ${took}` : ''}${branchNote(result)}`,
    );
  }

  private async takeOver(ref: SessionRef): Promise<void> {
    const view = this.deps.watch.get(ref);
    const conn = this.deps.clusters.connection(ref.context);
    const services = await conn.objects.list<Service>(apiTypes.service, ref.namespace, {}, this.disposing.signal);
    const held = new Map((view?.services ?? []).map((s) => [s.service, s.owner]));
    const items = services
      .filter((s) => !s.metadata.labels?.[labels.session] && !s.metadata.labels?.[labels.role])
      .map((s) => ({
        label: s.metadata.name,
        description: held.has(s.metadata.name) ? `taken over by ${participantUser(held.get(s.metadata.name)!)}` : '',
      }));
    const pick = await vscode.window.showQuickPick(items, {
      title: `Take over a service in session ${ref.session}`,
      placeHolder: 'Service',
    });
    if (!pick) return;
    if (!this.deps.active.get(ref)?.joined && !view?.participants.some((p) => p.me)) {
      const join = 'Join and Take Over';
      if (
        (await vscode.window.showInformationMessage(
          `You are not in session ${ref.session} yet.`,
          { modal: true, detail: `Join it, then take over ${pick.label}?` },
          join,
        )) !== join
      )
        return;
      const r = await this.progress(`Joining session ${ref.session}`, (p, signal) =>
        this.sessions(ref, p).join(ref.session, signal),
      );
      this.deps.active.live(ref, r.heartbeat, (lost) => this.lost(lost));
    }
    await this.start(ref, pick.label);
  }

  // ---- joining, leaving, stopping ------------------------------------------------------------

  async join(ref: SessionRef): Promise<void> {
    const r = await this.progress(`Joining session ${ref.session}`, (p, signal) =>
      this.sessions(ref, p).join(ref.session, signal),
    );
    this.deps.active.live(ref, r.heartbeat, (lost) => this.lost(lost));
    const view = (await this.sessions(ref).list(this.disposing.signal)).find((s) => s.name === ref.session);
    const holds = view?.services.length
      ? view.services.map((s) => `${s.service} (${participantUser(s.owner)})`).join(', ')
      : 'no service yet';
    await this.showLive(
      ref,
      `You joined. It holds ${holds}; participants: ${view?.participants.map((p) => p.name).join(', ') ?? '?'}`,
    );
  }

  private async leave(ref: SessionRef): Promise<void> {
    this.deps.active.ending(ref);
    try {
      const r = await this.progress(`Leaving session ${ref.session}`, (p, signal) =>
        this.sessions(ref, p).leave(ref.session, signal),
      );
      this.deps.active.forget(ref);
      void vscode.window.showInformationMessage(
        r.ended
          ? `You were the last participant: session ${ref.session} ended and everything it changed was put back.`
          : `You left session ${ref.session}; what you had taken over was given back.`,
      );
    } catch (err) {
      this.restore(ref);
      throw err;
    }
  }

  private async stop(ref: SessionRef): Promise<void> {
    const ask = stopQuestion(this.deps.watch.get(ref));
    if (
      ask &&
      (await vscode.window.showWarningMessage(ask.message, { modal: true, detail: ask.detail }, ask.confirm)) !==
        ask.confirm
    )
      return;
    this.deps.active.ending(ref);
    let refused: string[];
    try {
      refused = await this.progress(`Stopping session ${ref.session}`, (p, signal) =>
        this.sessions(ref, p).stop(ref.session, signal),
      );
    } catch (err) {
      this.restore(ref);
      throw err;
    }
    this.deps.active.forget(ref);
    showRefused(ref, refused);
  }

  /**
   * Clean Up from the Sessions view: an orphaned session is stopped; one where only some participants'
   * Leases expired gives back what those took over, and the others stay. The Leases are judged again
   * when it runs, so someone who came back keeps their part.
   */
  private async cleanUp(ref: SessionRef): Promise<void> {
    const clean = 'Clean Up';
    const view = this.deps.watch.get(ref);
    const gone = view?.departed ?? [];
    const users = [...new Set(gone.map(participantUser))].join(', ');
    const who = gone.map(participantLabel).join(', ');
    const ok = await vscode.window.showWarningMessage(
      gone.length ? `Clean up what ${users} left in session ${ref.session}?` : `Clean up session ${ref.session}?`,
      {
        modal: true,
        detail: gone.length
          ? `${who} no longer renew${gone.length === 1 ? 's' : ''} a Lease. Clean Up gives back every service ${gone.length === 1 ? 'that participant' : 'they'} took over (routes removed, copies deleted, what was changed put back) and takes ${gone.length === 1 ? 'it' : 'them'} out of the session; the other participants and what they hold stay.`
          : 'No participant renews a Lease in it any more. Clean Up replays its undo log: every object it changed is put back and its copies are deleted.',
      },
      clean,
    );
    if (ok !== clean) return;
    const { done, refused } = await this.progress(`Cleaning up session ${ref.session}`, (p, signal) =>
      this.sessions(ref, p).collect(ref.session, signal),
    );
    showRefused(ref, refused, `Clean Up ${done}`);
  }

  private restore(ref: SessionRef): void {
    if (this.deps.active.get(ref)?.joined) this.deps.active.startFailed(ref);
    else this.deps.active.forget(ref);
  }

  private lost(ref: SessionRef): void {
    void vscode.window.showWarningMessage(`Session ${ref.session} was stopped or collected elsewhere.`);
  }

  // ---- route key and join link ------------------------------------------------------------

  private async routeKey(ref: SessionRef): Promise<string> {
    return (
      this.deps.watch.get(ref)?.routeKey ?? (await this.sessions(ref).routeKey(ref.session, this.disposing.signal))
    );
  }

  private async copyRouteKey(ref: SessionRef): Promise<void> {
    await vscode.env.clipboard.writeText(await this.routeKey(ref));
    void vscode.window.showInformationMessage(
      `Route key of session ${ref.session} copied. Send it as header ${routeHeader}, or as baggage ${baggageMember('<key>')}.`,
    );
  }

  private async copyJoinLink(ref: SessionRef): Promise<void> {
    await vscode.env.clipboard.writeText(joinLink(ref, this.deps.extensionId, vscode.env.uriScheme));
    void vscode.window.showInformationMessage(
      `Join link to session ${ref.session} copied. A colleague opens it to join from their editor.`,
    );
  }

  // ---- the status bar's menu, and what a session holds --------------------------------------

  private async actions(ref: SessionRef): Promise<void> {
    const active = this.deps.active.get(ref);
    const items: { label: string; run: () => Thenable<unknown> }[] = [
      { label: '$(link-external) Open Routed URL', run: () => runCommand(commands.openRoutedUrl, ref) },
      { label: '$(key) Copy Route Key', run: () => runCommand(commands.copyRouteKey, ref) },
      { label: '$(link) Copy Join Link', run: () => runCommand(commands.copyJoinLink, ref) },
      { label: '$(add) Take Over Service', run: () => runCommand(commands.takeOverService, ref) },
      { label: '$(pulse) Trace Route', run: () => runCommand(commands.traceRoute, ref) },
      ...(active?.joined
        ? [{ label: '$(sign-out) Leave Session', run: () => runCommand(commands.leaveSession, ref) }]
        : []),
      { label: '$(debug-stop) Stop Session', run: () => runCommand(commands.stopSession, ref) },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: `Session ${ref.session} (${ref.context} / ${ref.namespace})`,
    });
    await pick?.run();
  }

  private async showLive(ref: SessionRef, what: string): Promise<void> {
    const open = 'Open Routed URL';
    const copy = 'Copy Route Key';
    const take = 'Take Over Service';
    const choice = await vscode.window.showInformationMessage(
      `Session ${ref.session}: ${what}. Requests with header ${routeHeaderLine('<key>')} or baggage ${baggageMember('<key>')} follow its routes.`,
      open,
      copy,
      take,
    );
    if (choice === open) await runCommand(commands.openRoutedUrl, ref);
    else if (choice === copy) await this.copyRouteKey(ref);
    else if (choice === take) await this.takeOver(ref);
  }
}

/** Undo steps Devlane would not replay: the user sees each, since they stay as they are in the cluster. */
function showRefused(ref: SessionRef, refused: string[], outcome = `Session ${ref.session} ended`): void {
  if (refused.length === 0) return;
  void vscode.window.showWarningMessage(
    `${outcome}, but ${refused.length} undo step${refused.length === 1 ? ' was' : 's were'} refused and left as ${refused.length === 1 ? 'it is' : 'they are'}.`,
    { detail: refused.join('\n') },
  );
}

/** The data branch the copy writes to, for the message that says the session is live. */
function branchNote(r: StartResult): string {
  const b = r.plan?.dataBranch;
  return b
    ? `; its database is the data branch ${b.name} (of ${b.source}${b.shared ? ', shared in the session' : ''})`
    : '';
}
