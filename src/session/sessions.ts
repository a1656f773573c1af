// Routed sessions in one namespace, as one participant sees them: start (or take over another
// service in a session you are in), join, leave, stop, list, and collect the sessions of
// participants whose Leases expired. The UI and the CLI both drive this class.
import { getMaxListeners, setMaxListeners } from 'node:events';
import type { ExecContext } from './exec-context';
import { replayUndo, runStep } from './executor';
import { findLease, Heartbeat, leaseDurationSeconds, type LeaseObject, leaseObject } from './lease';
import { type LeaseObserver, leaseWhere, processLeases } from './lease-observer';
import type { ParticipantSource } from './participant';
import { buildPlan, pendingUid } from './planner';
import { preflight } from './preflight';
import { getRecord, listRecords, requireRecord, updateRecord } from './record-store';
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { KubeObject } from '../core/resources';
import { SessionError } from '../core/session/errors';
import { productionReason } from '../core/session/globs';
import {
  defaultSessionName,
  devServiceName,
  leaseName,
  newRouteKey,
  recordName,
  sessionNameProblem,
} from '../core/session/names';
import { selectors } from '../core/session/route-contract';
import { participantUser } from '../core/session/participant';
import { describePlan, type Plan, type StrategyName } from '../core/session/plan';
import { recordObject, type SessionState, type TakenOver } from '../core/session/record';
import type { UndoScope } from '../core/session/undo-admission';
import type { DebugConfig, ServiceSync } from '../core/sync/config';

export interface SessionsOptions {
  api: ObjectApi;
  context: string;
  namespace: string;
  /** Who this is: the authenticated user and this instance (src/session/participant.ts); one Lease each. */
  participant: ParticipantSource;
  logger: Logger;
  /** `devlane.productionContexts` globs (also matched against the API server's host). */
  productionGlobs?: string[];
  /** `devlane.productionNamespaces` globs. */
  productionNamespaces?: string[];
  /** The context's API server URL. */
  server?: string;
  /** Shows the plan and asks; resolves false to cancel. Called for production-looking places (or always, if `confirmAlways`). */
  confirm?: (plan: Plan, text: string) => Promise<boolean>;
  /** Asks before collecting orphaned sessions in a production-looking place; without it, gc refuses there. */
  confirmCollect?: (text: string) => Promise<boolean>;
  confirmAlways?: boolean;
  report?: (message: string) => void;
  /** Each phase of a start as it ends (plan, preflight, confirm, dryRun, record, routeStart, routeReady, copyReady, routeLive; see StartResult.phases). */
  onPhase?: (phase: string) => void;
  leaseSeconds?: number;
  renewEveryMs?: number;
  /** What this process saw of others' Leases (default: shared by the whole process). */
  leases?: LeaseObserver;
  routerImage?: string;
}

export interface StartOptions {
  service: string;
  session?: string;
  image?: string;
  strategy?: StrategyName;
  rwoAsEmptyDir?: boolean;
  /** The service's sync mapping (.vscode/devlane.json), when it will be synced. */
  sync?: ServiceSync;
  /** The debugger; the mapping's `debug` when absent, else detected. */
  debug?: DebugConfig;
}

export interface StartResult {
  session: string;
  routeKey: string;
  service: string;
  devService: string;
  strategy: StrategyName;
  plan?: Plan;
  resumed: boolean;
  heartbeat: Heartbeat;
  /**
   * Milliseconds per phase, each since the one before, in the order they ended: plan (reads),
   * preflight (access reviews), confirm (only when the plan was shown), dryRun, record (the session
   * record and Lease), then routeStart and routeReady (the route's steps begin and end) and
   * copyReady (the copy created and Ready), in either order: the router strategy routes while the
   * copy starts, Istio and Gateway API after it is Ready; routeLive ends the start (the record
   * marked live).
   */
  phases: Record<string, number>;
}

export interface SessionSummary {
  name: string;
  routeKey: string;
  createdBy: string;
  createdAt: string;
  participants: { name: string; alive: boolean }[];
  services: { service: string; owner: string; strategy: StrategyName; state: string; devService: string }[];
}

/** Rollback and cleanup must finish even when the user cancelled what caused them. */
const cleanupSignal = () => AbortSignal.timeout(180_000);

export class Sessions {
  private participant: string | undefined;

  constructor(private readonly o: SessionsOptions) {}

  /** This participant's id, found out on first use. */
  async me(signal: AbortSignal): Promise<string> {
    this.participant ??= typeof this.o.participant === 'string' ? this.o.participant : await this.o.participant(signal);
    return this.participant;
  }

  private ctx(signal: AbortSignal): ExecContext {
    return {
      api: this.o.api,
      logger: this.o.logger,
      signal,
      report: (m) => (this.o.logger.info(m), this.o.report?.(m)),
    };
  }

  async list(signal: AbortSignal): Promise<SessionSummary[]> {
    const { api, namespace } = this.o;
    const [{ records }, expired] = await Promise.all([listRecords(api, namespace, signal), this.leaseJudge(signal)]);
    return records.map(({ state }) => ({
      name: state.name,
      routeKey: state.routeKey,
      createdBy: state.createdBy,
      createdAt: state.createdAt,
      participants: state.participants.map((p) => ({ name: p.name, alive: !expired(state.name, p.name) })),
      services: state.services.map((s) => ({
        service: s.service,
        owner: s.owner,
        strategy: s.strategy,
        state: s.state,
        devService: s.devService,
      })),
    }));
  }

  /** Records in the namespace that fail validation, each with its error (full, with what to do). */
  async unreadable(signal: AbortSignal): Promise<string[]> {
    return (await listRecords(this.o.api, this.o.namespace, signal)).unreadable.map(({ error }) => error.full);
  }

  async routeKey(session: string, signal: AbortSignal): Promise<string> {
    return (await requireRecord(this.o.api, this.o.namespace, session, signal)).state.routeKey;
  }

  /** Starts a session on a service, or takes the service over in a session this participant is in. */
  async start(opts: StartOptions, signal: AbortSignal): Promise<StartResult> {
    const { api, namespace } = this.o;
    const participant = await this.me(signal);
    const name = opts.session ?? defaultSessionName(participantUser(participant), opts.service);
    const problem = sessionNameProblem(name);
    if (problem)
      throw new SessionError(
        'invalid',
        `Cannot use session name: ${problem}`,
        'Nothing was created. Pick another name.',
      );
    // Access reviews and dry-runs run in parallel on the caller's signal: each adds a listener for its duration.
    setMaxListeners(Math.max(getMaxListeners(signal), 100), signal);
    const phases: Record<string, number> = {};
    let t = performance.now();
    const phase = (p: string) => {
      const now = performance.now();
      phases[p] = now - t;
      t = now;
      this.o.onPhase?.(p);
    };

    const existing = await getRecord(api, namespace, name, signal);
    if (existing) {
      const { state } = existing;
      if (!state.participants.some((p) => p.name === participant)) {
        throw new SessionError(
          'invalid',
          `Session "${name}" already exists (started by ${state.createdBy})`,
          `Nothing was changed. Join it first (devlane join ${name}), or pick another session name.`,
        );
      }
      const held = state.services.find((s) => s.service === opts.service);
      if (held && held.owner !== participant) throw heldError(name, held);
      if (held?.state === 'live') {
        // Coming back before the Lease expired: carry on without a new start.
        const heartbeat = await this.heartbeat(name, existing.cm, signal);
        return {
          session: name,
          routeKey: state.routeKey,
          service: opts.service,
          devService: held.devService,
          strategy: held.strategy,
          resumed: true,
          heartbeat,
          phases,
        };
      }
      if (held)
        throw new SessionError(
          'invalid',
          `Service ${opts.service} is still being set up (or rolled back) in session "${name}"`,
          'Wait a moment, or run `devlane stop`/`devlane gc` if a start was interrupted.',
        );
    }
    const routeKey = existing?.state.routeKey ?? newRouteKey();
    const plan = await buildPlan(
      api,
      {
        context: this.o.context,
        namespace,
        service: opts.service,
        session: name,
        routeKey,
        image: opts.image,
        strategy: opts.strategy,
        rwoAsEmptyDir: opts.rwoAsEmptyDir,
        sync: opts.sync,
        debug: opts.debug,
        routerImage: this.o.routerImage,
        recordUid: existing?.cm.metadata.uid,
      },
      signal,
    );
    phase('plan');
    await preflight(api, namespace, plan.access, signal);
    phase('preflight');
    const production = this.productionReason();
    if (this.o.confirmAlways || production) {
      const text = `${production ? `This looks like production: ${production}.\n` : ''}${existing ? '' : `Create session record ConfigMap ${recordName(name)} and a Lease for ${participant}\n`}${describePlan(plan)}`;
      if (!this.o.confirm)
        throw new SessionError(
          'declined',
          `This looks like production (${production}), and nothing can confirm the plan here`,
          'Nothing was created. Run it where the plan can be shown and confirmed: the editor, or the CLI (on a terminal, or with --yes).',
        );
      if (!(await this.o.confirm(plan, text)))
        throw new SessionError('declined', 'The plan was not confirmed', 'Nothing was created.');
      phase('confirm');
    }
    const entry: TakenOver = {
      service: plan.service,
      owner: participant,
      workload: '',
      devService: devServiceName(plan.service, name),
      strategy: plan.strategy,
      state: 'starting',
      undo: plan.steps.flatMap((s) => s.undo),
    };
    const state: SessionState = existing?.state ?? {
      name,
      namespace,
      routeKey,
      createdAt: new Date().toISOString(),
      createdBy: participant,
      participants: [{ name: participant, joinedAt: new Date().toISOString() }],
      services: [],
    };

    // Server-side dry-run of every write, the record's included: a refusal stops here, before anything exists.
    const ctx = this.ctx(signal);
    if (!existing)
      await api.create(apiTypes.configMap, recordObject({ ...state, services: [entry] }), { dryRun: true, signal });
    const virtual = new Map<string, KubeObject>();
    for (const step of plan.steps) await runStep(ctx, step, { dryRun: true, virtual });
    phase('dryRun');

    // Write-ahead: the undo log is in the record before the first change.
    let record: KubeObject;
    if (existing) {
      record = (
        await updateRecord(
          api,
          namespace,
          name,
          (s) => {
            const held = s.services.find((x) => x.service === entry.service);
            if (held) throw heldError(name, held);
            s.services.push(entry);
            return s;
          },
          signal,
        )
      ).cm;
    } else {
      try {
        record = await api.create(apiTypes.configMap, recordObject({ ...state, services: [entry] }), { signal });
      } catch (err) {
        if (err instanceof ClusterError && err.kind === 'already-exists')
          throw new SessionError(
            'invalid',
            `Someone started session "${name}" at the same moment`,
            `Nothing was created. Join it (devlane join ${name}) or pick another name.`,
          );
        throw err;
      }
    }
    const uid = record.metadata.uid!;
    let heartbeat: Heartbeat | undefined;
    try {
      heartbeat = await this.heartbeat(name, record, signal);
      phase('record');
      for (const [i, step] of plan.steps.entries()) {
        if (i === plan.route.from) phase('routeStart');
        const withOwner = step.kind === 'create' ? { ...step, object: replaceUid(step.object, uid) } : step;
        try {
          ctx.report(step.summary);
          await runStep(ctx, withOwner);
        } catch (err) {
          throw new StepFailed(step.summary, err);
        }
        if (step.kind === 'wait-ready' && step.ref.name === entry.devService) phase('copyReady');
        if (i === plan.route.to - 1) phase('routeReady');
      }
      await updateRecord(
        api,
        namespace,
        name,
        (s) => {
          const e = s.services.find((x) => x.service === entry.service);
          if (e) e.state = 'live';
          return s;
        },
        signal,
      );
      phase('routeLive');
      ctx.report(`Session "${name}" is live: requests with the route key reach ${entry.devService} (${plan.strategy})`);
      return {
        session: name,
        routeKey,
        service: plan.service,
        devService: entry.devService,
        strategy: plan.strategy,
        plan,
        resumed: false,
        heartbeat,
        phases,
      };
    } catch (err) {
      heartbeat?.dispose();
      await this.rollback({ name, routeKey, uid: existing?.cm.metadata.uid }, entry, !existing, err);
      throw err; // not reached: rollback throws
    }
  }

  private async rollback(session: ScopeSession, entry: TakenOver, ownsRecord: boolean, cause: unknown): Promise<never> {
    const { name } = session;
    const ctx = this.ctx(cleanupSignal());
    const what =
      cause instanceof StepFailed ? `"${cause.step}" failed: ${errorMessage(cause.cause)}` : errorMessage(cause);
    this.o.logger.warn(`start of session ${name} on ${entry.service}: ${what}; rolling back`);
    let rollbackProblem = '';
    try {
      await replayUndo(ctx, entry.undo, undoScope(this.o.namespace, session, entry));
      if (ownsRecord) await this.deleteRecord(name, ctx.signal);
      else
        await updateRecord(
          this.o.api,
          this.o.namespace,
          name,
          (s) => ({ ...s, services: s.services.filter((x) => x.service !== entry.service) }),
          ctx.signal,
        );
    } catch (err) {
      rollbackProblem = ` Rolling back did not finish: ${errorMessage(err)}`;
    }
    const cancelled = cause instanceof StepFailed && isCancel(cause.cause);
    // What the failed step said to do (a copy whose image has no sh: set devImage) is what to do now.
    const inner = cause instanceof StepFailed ? cause.cause : cause;
    const innerHint = inner instanceof SessionError && inner.hint ? inner.hint : undefined;
    throw new SessionError(
      cancelled ? 'declined' : 'failed',
      `Starting session "${name}" on ${entry.service} ${cancelled ? 'was cancelled' : `stopped: ${what}`}.${rollbackProblem || ' Everything it had changed was put back'}`,
      rollbackProblem
        ? `Run \`devlane stop ${name}\` to retry the cleanup.`
        : cancelled
          ? ''
          : (innerHint ?? 'Fix the cause above and start again.'),
      {},
      { cause },
    );
  }

  /** Becomes a participant: a Lease of your own, and the route key. */
  async join(session: string, signal: AbortSignal): Promise<{ routeKey: string; heartbeat: Heartbeat }> {
    const participant = await this.me(signal);
    const { cm, state } = await updateRecord(
      this.o.api,
      this.o.namespace,
      session,
      (s) => {
        if (!s.participants.some((p) => p.name === participant))
          s.participants.push({ name: participant, joinedAt: new Date().toISOString() });
        return s;
      },
      signal,
    );
    return { routeKey: state.routeKey, heartbeat: await this.heartbeat(session, cm, signal) };
  }

  /** Gives back what this participant took over; the last participant leaving ends the session. */
  async leave(session: string, signal: AbortSignal, who?: string): Promise<{ ended: boolean; refused?: string[] }> {
    const { api, namespace } = this.o;
    const participant = who ?? (await this.me(signal));
    const { cm, state } = await requireRecord(api, namespace, session, signal);
    if (!state.participants.some((p) => p.name === participant))
      throw new SessionError(
        'invalid',
        `${participant} is not a participant of session "${session}"`,
        'Nothing was changed.',
      );
    const ctx = this.ctx(signal);
    const refused: string[] = [];
    for (const s of state.services.filter((x) => x.owner === participant).reverse())
      refused.push(...(await this.giveBack(ctx, { ...state, uid: cm.metadata.uid }, s)));
    const { state: after } = await updateRecord(
      api,
      namespace,
      session,
      (s) => ({ ...s, participants: s.participants.filter((p) => p.name !== participant) }),
      signal,
    );
    await this.deleteLease(session, participant, signal);
    if (after.participants.length === 0) refused.push(...(await this.stop(session, signal)));
    // Undo steps refused (left as they are), only when there are any.
    return { ended: after.participants.length === 0, ...(refused.length ? { refused } : {}) };
  }

  /**
   * Ends the session for everyone: replays every undo log, then deletes the record (its Leases and
   * copies go with it). Returns the undo steps refused (left as they are), each with why.
   */
  async stop(session: string, signal: AbortSignal): Promise<string[]> {
    const { cm, state } = await requireRecord(this.o.api, this.o.namespace, session, signal);
    const ctx = this.ctx(signal);
    const refused: string[] = [];
    for (const s of [...state.services].reverse())
      refused.push(...(await this.giveBack(ctx, { ...state, uid: cm.metadata.uid }, s)));
    await this.deleteRecord(session, signal);
    ctx.report(
      refused.length
        ? `Session "${session}" stopped; put back what it changed, except:\n  ${refused.join('\n  ')}`
        : `Session "${session}" stopped; everything it changed was put back`,
    );
    return refused;
  }

  /**
   * Collects sessions whose participants are gone: each expired participant's services are given
   * back, and a session with no live participant left is stopped. Records that fail validation are
   * reported and left alone. In a production-looking place it asks first (`confirmCollect`), unless
   * `confirmed`. Returns what was done, one line each.
   */
  async gc(signal: AbortSignal, opts: { confirmed?: boolean } = {}): Promise<string[]> {
    const { api, namespace } = this.o;
    const [{ records, unreadable }, isExpired] = await Promise.all([
      listRecords(api, namespace, signal),
      this.leaseJudge(signal),
    ]);
    (this.o.leases ?? processLeases).keepOnly(
      leaseWhere(this.o.context, namespace),
      records.flatMap(({ state }) => state.participants.map((p) => leaseName(state.name, p.name))),
    );
    const done = unreadable.map(({ error }) => error.full);
    const due = records.flatMap(({ state }) => {
      // Who wrote createdAt does not matter much here: only a record nobody ever joined is judged by it.
      const settling = Date.parse(state.createdAt) + (leaseDurationSeconds + 5) * 1000 > Date.now();
      const expired = state.participants.filter((p) => isExpired(state.name, p.name));
      return expired.length === 0 && (state.participants.length > 0 || settling) ? [] : [{ state, expired }];
    });
    if (
      due.length &&
      !opts.confirmed &&
      !(await this.collectConfirmed(
        due.map((d) => ({ name: d.state.name, whole: d.expired.length === d.state.participants.length })),
      ))
    ) {
      return [...done, `Not collected (not confirmed): ${due.map((d) => d.state.name).join(', ')}`];
    }
    for (const { state, expired } of due) {
      try {
        const r = await this.collectOne(state, expired, signal);
        done.push(r.done, ...r.refused.map((x) => `session ${state.name}: ${x}`));
      } catch (err) {
        done.push(`session ${state.name}: could not collect: ${errorMessage(err)}`);
      }
    }
    return done;
  }

  /**
   * Collects one session now, as `gc` would: what each participant whose Lease expired took over is
   * given back, and the session is stopped when no live participant is left. The Leases are judged
   * afresh, so a participant who came back in the meantime keeps what they hold. The caller asked the
   * user first (Clean Up in the Sessions view). Returns what was done, and the undo steps refused
   * (left as they are), each with why.
   */
  async collect(session: string, signal: AbortSignal): Promise<{ done: string; refused: string[] }> {
    const [{ state }, isExpired] = await Promise.all([
      requireRecord(this.o.api, this.o.namespace, session, signal),
      this.leaseJudge(signal),
    ]);
    const expired = state.participants.filter((p) => isExpired(state.name, p.name));
    if (expired.length === 0 && state.participants.length > 0)
      throw new SessionError(
        'invalid',
        `Every participant of session "${session}" renews their Lease again`,
        'Nothing was changed: nobody left the session.',
      );
    return this.collectOne(state, expired, signal);
  }

  private async collectOne(
    state: SessionState,
    expired: { name: string }[],
    signal: AbortSignal,
  ): Promise<{ done: string; refused: string[] }> {
    if (expired.length === state.participants.length)
      return {
        refused: await this.stop(state.name, signal),
        done: `stopped session ${state.name} (no live participant: ${expired.map((p) => p.name).join(', ') || 'none'})`,
      };
    const refused: string[] = [];
    for (const p of expired) refused.push(...((await this.leave(state.name, signal, p.name)).refused ?? []));
    return { refused, done: `gave back what ${expired.map((p) => p.name).join(', ')} held in session ${state.name}` };
  }

  /** Why this context or namespace looks like production, or undefined. */
  productionReason(): string | undefined {
    return productionReason(
      { context: this.o.context, namespace: this.o.namespace, server: this.o.server },
      { contexts: this.o.productionGlobs, namespaces: this.o.productionNamespaces },
    );
  }

  private async collectConfirmed(sessions: { name: string; whole: boolean }[]): Promise<boolean> {
    const reason = this.productionReason();
    if (!reason) return true;
    const what = sessions.map(
      (s) =>
        `"${s.name}" (${s.whole ? 'no participant renews a Lease: stopped, everything it changed put back' : "some participants' Leases expired: what they took over is given back, the others stay"})`,
    );
    const text = `This looks like production: ${reason}. Collecting acts on ${what.join(', ')} and deletes the records of the sessions it stops.`;
    if (!this.o.confirmCollect)
      throw new SessionError(
        'declined',
        `${text} Nothing can confirm that here`,
        'Nothing was changed. Run `devlane gc --yes` (or on a terminal, to be asked), or Clean Up in the Sessions view.',
      );
    return this.o.confirmCollect(text);
  }

  /** Lists the Leases and notes them; answers whether a participant's Lease stood still for its duration, as seen here. */
  private async leaseJudge(signal: AbortSignal): Promise<(session: string, participant: string) => boolean> {
    const { api, namespace } = this.o;
    const leases = await api.list<LeaseObject>(
      apiTypes.lease,
      namespace,
      { labelSelector: selectors.role('lease') },
      signal,
    );
    const observer = this.o.leases ?? processLeases;
    const where = leaseWhere(this.o.context, namespace);
    return (session, participant) =>
      observer.expired(where, leaseName(session, participant), findLease(leases, session, participant));
  }

  private async giveBack(ctx: ExecContext, session: ScopeSession, s: TakenOver): Promise<string[]> {
    ctx.report(`Giving back ${s.service} (session ${session.name})`);
    const refused = await replayUndo(ctx, s.undo, undoScope(this.o.namespace, session, s));
    await updateRecord(
      this.o.api,
      this.o.namespace,
      session.name,
      // Only this entry: a trace's observe hop and a takeover routed by Istio name the same Service.
      (st) => ({ ...st, services: st.services.filter((x) => !sameEntry(x, s)) }),
      ctx.signal,
    );
    return refused;
  }

  private async heartbeat(session: string, record: KubeObject, signal: AbortSignal): Promise<Heartbeat> {
    const lease = leaseObject(
      this.o.namespace,
      session,
      await this.me(signal),
      { name: record.metadata.name, uid: record.metadata.uid! },
      this.o.leaseSeconds,
    );
    return Heartbeat.start(this.o.api, lease, this.o.logger, signal, this.o.renewEveryMs);
  }

  private async deleteLease(session: string, participant: string, signal: AbortSignal): Promise<void> {
    await this.o.api
      .delete(apiTypes.lease, this.o.namespace, leaseName(session, participant), { signal })
      .catch((err) => {
        if (!(err instanceof ClusterError && err.kind === 'not-found')) throw err;
      });
  }

  private async deleteRecord(session: string, signal: AbortSignal): Promise<void> {
    const { api, namespace } = this.o;
    // Leases are owned by the record too; deleting them now means nobody sees a stale participant meanwhile.
    for (const l of await api.list(
      apiTypes.lease,
      namespace,
      { labelSelector: selectors.sessionRole(session, 'lease') },
      signal,
    )) {
      await api.delete(apiTypes.lease, namespace, l.metadata.name, { signal }).catch(() => undefined);
    }
    await api.delete(apiTypes.configMap, namespace, recordName(session), { signal }).catch((err) => {
      if (!(err instanceof ClusterError && err.kind === 'not-found')) throw err;
    });
  }
}

class StepFailed extends Error {
  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`${step}: ${errorMessage(cause)}`);
  }
}

/** What an undo scope needs of a session. */
type ScopeSession = Pick<SessionState, 'name' | 'routeKey'> & { uid?: string };

function undoScope(namespace: string, session: ScopeSession, s: TakenOver): UndoScope {
  return {
    namespace,
    session: session.name,
    routeKey: session.routeKey,
    service: s.service,
    strategy: s.strategy,
    recordUid: session.uid,
  };
}

function heldError(session: string, held: TakenOver): SessionError {
  return new SessionError(
    'held',
    `Service ${held.service} is already taken over in session "${session}" by ${held.owner}`,
    `Nothing was changed. Ask ${held.owner} to leave it, or work on another service.`,
    { owner: held.owner },
  );
}

const isCancel = (err: unknown) =>
  (err instanceof ClusterError && err.kind === 'cancelled') || (err instanceof Error && err.name === 'AbortError');
const errorMessage = (err: unknown) =>
  err instanceof SessionError || err instanceof ClusterError
    ? err.message
    : err instanceof Error
      ? err.message
      : String(err);

function replaceUid<T extends KubeObject>(obj: T, uid: string): T {
  if (!obj.metadata.ownerReferences?.some((r) => r.uid === pendingUid)) return obj;
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      ownerReferences: obj.metadata.ownerReferences.map((r) => (r.uid === pendingUid ? { ...r, uid } : r)),
    },
  };
}

/** The same entry of a record: one Service, one owner, a takeover or an observe hop. */
const sameEntry = (a: TakenOver, b: TakenOver) =>
  a.service === b.service && a.owner === b.owner && !a.observe === !b.observe;
