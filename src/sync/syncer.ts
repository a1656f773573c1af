// Keeps one mapping of a developer copy in step with the local folder. Changes (from save events
// and the file watcher) go through the Batcher: the first is sent at once, later ones while a
// batch is in flight go in the next. One receiver connection stays open; when it breaks, the batch
// in flight goes back in the queue, the connection is opened again with back-off (the pod may
// have been replaced), an initial hash comparison brings the container back in step, and the
// queue is sent. A batch is never dropped: it lands, or it waits, or its failure is shown.
// What the local folder does not own is left alone: volumes the container mounts inside
// remotePath (read from the pod spec on every connect) are never listed, written or deleted, and
// an initial sync that would delete many paths asks first (declined, it only uploads).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { Backoff, type BackoffOptions, sleep } from '../core/backoff';
import { Emitter, type Event } from '../core/events';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { Pod } from '../core/resources';
import { annotations } from '../core/session/names';
import { Batcher, type Change, orderBatch, type Pending } from '../core/sync/batch';
import type { ServiceSync } from '../core/sync/config';
import { type ConfirmDeletes, deletePreview, describeDeletes, keptDeletesMessage } from '../core/sync/deletes';
import type { IgnoreRules } from '../core/sync/ignore-rules';
import { listingCommand, parseListing, planInitialSync, type SyncPlan, type Tree } from '../core/sync/listing';
import { describeMount, KeptPaths, mountsOfTarget, noKeptPaths } from '../core/sync/mounts';
import { parseSyncAnnotation, SyncTargetError } from '../core/sync/target';
import { type Platform, relativePosix, unsafeRelative } from '../core/sync/paths';
import { actionLine, batchFrame, defaultRunDir } from '../core/sync/receiver';
import {
  type BuildOutcome,
  buildLine,
  buildProblems,
  describeBuildFailure,
  goVersionOf,
  noToolchain,
} from '../core/sync/build';
import type { CopyProblem } from '../core/sync/copy-trouble';
import { tarArchive, type TarEntry } from '../core/sync/tar';
import { readEntry, walkLocal } from './local-tree';
import { NoShellError, ReceiverChannel, type SyncTarget } from './receiver-channel';

export type SyncState = 'connecting' | 'initial-sync' | 'syncing' | 'idle' | 'reconnecting' | 'error' | 'stopped';

export interface SyncFailure {
  /** When it happened (epoch ms). */
  at: number;
  message: string;
}

export interface SyncStatus {
  state: SyncState;
  /** When the last batch landed (epoch ms), and how long it took from being taken to its answer. */
  lastSyncAt?: number;
  lastDurationMs?: number;
  /** Paths waiting to be sent (including the batch in flight). */
  pending: number;
  /** Recent failures, newest last (a file that could not be written is named in its message). */
  failures: SyncFailure[];
  /** What is going on, for a tooltip: the reason for `reconnecting` or `error`. */
  message?: string;
  /** Files and deletes carried since start. */
  carried: number;
  /** What the sync leaves alone and why: mounted volumes inside remotePath, deletions not confirmed. */
  notes?: string[];
  /** The last build (action `build`): the program runs what the last good one made. */
  build?: BuildStatus;
}

export interface BuildStatus {
  /** When it ended (epoch ms). */
  at: number;
  ok: boolean;
  /** The build command's exit code. */
  code: number;
  /** What the compiler blamed, at the files in the container and the local ones. */
  problems: CopyProblem[];
  /** For a failed build: what went wrong, said whole (the problems, else the output's end). */
  message?: string;
}

export interface SyncerOptions {
  api: ObjectApi;
  /** Finds the developer copy's pod; asked again on every reconnect, since the pod may be replaced. */
  resolveTarget(signal: AbortSignal): Promise<SyncTarget>;
  localRoot: string;
  mapping: ServiceSync;
  rules: IgnoreRules;
  logger: Logger;
  platform?: Platform;
  runDir?: string;
  backoff?: BackoffOptions;
  /** Upper bound of one batch's archive; bigger sets are split (initial sync). */
  maxBatchBytes?: number;
  /** Asked before an initial sync deletes many paths; without it they are kept. */
  confirmDeletes?: ConfirmDeletes;
}

const maxFailures = 20;

export class Syncer extends Disposable {
  private readonly batcher = new Batcher();
  private readonly statusEmitter = this._register(new Emitter<SyncStatus>());
  readonly onDidChangeStatus: Event<SyncStatus> = this.statusEmitter.event;
  private status: SyncStatus = { state: 'connecting', pending: 0, failures: [], carried: 0 };
  private channel: ReceiverChannel | undefined;
  private sending = false;
  private seq = 0;
  private readonly abort = new AbortController();
  private readonly lastSent = new Map<string, string>();
  private idleWaiters: (() => void)[] = [];
  private firstSync: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };
  private readonly platform: Platform;
  /** Mounted volumes inside remotePath, from the pod spec at the last connect. */
  private kept = noKeptPaths;
  private mountNotes: string[] = [];
  /** The user's answer to the first question about deletions; later initial syncs follow it. */
  private deleteConsent: boolean | undefined;
  private keptNote: string | undefined;
  /** The image of the container synced into, for a build that finds no toolchain there. */
  private image: string | undefined;

  constructor(private readonly opts: SyncerOptions) {
    super();
    this.platform =
      opts.platform ?? (process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux');
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {});
    this.firstSync = { promise, resolve, reject };
    this._register(
      toDisposable(() => {
        this.abort.abort();
        this.channel?.close();
        this.setStatus({ state: 'stopped' });
      }),
    );
  }

  get current(): SyncStatus {
    return this.status;
  }

  /** Starts the connection loop; resolves once the first initial sync landed, rejects if the image cannot be synced into. */
  start(): Promise<void> {
    void this.loop();
    return this.firstSync.promise;
  }

  /** A change at a local path (absolute), from the watcher or a save. Paths outside the mapping are ignored. */
  changedPath(absPath: string, kind: Change['kind'], dir = false): void {
    const rel = relativePosix(this.opts.localRoot, absPath, this.platform);
    if (rel === undefined || rel === '') return;
    this.changed({ path: rel, kind, dir });
  }

  changed(change: Change): void {
    if (this.isDisposed || this.opts.rules.ignores(change.path, !!change.dir)) return;
    const why = unsafeRelative(change.path);
    if (why) {
      this.addFailure(`"${change.path}" was not synced: its name ${why}`);
      return;
    }
    this.batcher.add(change);
    this.setStatus({ pending: this.batcher.size });
    this.pump();
  }

  /** Resolves when nothing is pending or in flight and the connection is up (tests, benchmarks). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private isIdle(): boolean {
    return (
      !!this.channel &&
      !this.channel.closed &&
      !this.sending &&
      this.batcher.size === 0 &&
      (this.status.state === 'idle' || this.status.state === 'syncing')
    );
  }

  private setStatus(patch: Partial<SyncStatus>): void {
    this.status = { ...this.status, ...patch };
    this.statusEmitter.fire(this.status);
    if (this.isIdle()) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  private addFailure(message: string): void {
    this.opts.logger.warn(`sync: ${message}`);
    this.setStatus({ failures: [...this.status.failures, { at: Date.now(), message }].slice(-maxFailures) });
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff);
    const signal = this.abort.signal;
    let first = true;
    while (!signal.aborted) {
      try {
        this.setStatus({ state: first ? 'connecting' : 'reconnecting' });
        const target = await this.opts.resolveTarget(signal);
        await this.readMounts(target, signal);
        const ch = await ReceiverChannel.open(
          this.opts.api,
          target,
          this.opts.mapping.remotePath,
          this.opts.runDir ?? defaultRunDir,
          signal,
        );
        const closed = new Promise<Error>((r) => ch.onClose(r));
        this.channel = ch;
        this.setStatus({ state: 'initial-sync', message: undefined });
        await this.initialSync(ch, target, signal);
        backoff.reset();
        if (first) this.firstSync.resolve();
        first = false;
        this.setStatus({ state: 'idle' });
        this.pump();
        const why = await closed;
        if (signal.aborted) return;
        this.opts.logger.info(`sync: the connection to ${target.pod} closed (${why.message}); reconnecting`);
        this.setStatus({ state: 'reconnecting', message: why.message });
      } catch (e) {
        this.channel?.close();
        this.channel = undefined;
        if (signal.aborted) return;
        const err = e instanceof Error ? e : new Error(String(e));
        if (err instanceof NoShellError || err instanceof SyncTargetError) {
          this.addFailure(err.message);
          this.setStatus({ state: 'error', message: err.message });
          this.firstSync.reject(err);
          return;
        }
        this.setStatus({ state: 'reconnecting', message: err.message });
        this.opts.logger.warn(`sync: ${err.message}; retrying`);
      }
      // Stopping ends the wait at once; the loop condition then sees the abort.
      await sleep(backoff.next(), signal).catch(() => undefined);
    }
  }

  /** The volumes the target container mounts inside remotePath are left alone; one under remotePath itself stops the sync. */
  private async readMounts(target: SyncTarget, signal: AbortSignal): Promise<void> {
    const pod = await this.opts.api.get<Pod>(apiTypes.pod, target.namespace, target.pod, signal);
    const own = parseSyncAnnotation(pod.metadata.annotations?.[annotations.sync], target.pod)?.ownVolumes ?? [];
    const remote = this.opts.mapping.remotePath;
    const mounts = mountsOfTarget(pod.spec, target.container, remote, own);
    this.image = pod.spec?.containers?.find((c) => c.name === target.container)?.image;
    if (mounts.shared) {
      throw new SyncTargetError(
        `${remote} in ${target.pod} (${target.container}) is on the volume ${describeMount(mounts.shared)}, which other pods may share; nothing was synced, so as not to write into it. ` +
          "Set remotePath in .vscode/devlane.json to a folder on the container's own file system",
      );
    }
    this.kept = new KeptPaths(mounts.inside.map((m) => m.rel));
    const notes = mounts.inside.map(
      (m) =>
        `Left alone: ${describeMount(m)} is a mounted volume inside ${remote}; sync neither writes nor deletes below it`,
    );
    if (notes.join('\n') !== this.mountNotes.join('\n')) for (const n of notes) this.opts.logger.info(`sync: ${n}`);
    this.mountNotes = notes;
    this.setStatus({ notes: this.notes() });
  }

  private notes(): string[] {
    return [...this.mountNotes, ...(this.keptNote ? [this.keptNote] : [])];
  }

  /** Past the threshold, the deletions wait for the user's consent (asked once per Syncer); declined, none are made. */
  private async consentToDeletes(
    plan: SyncPlan,
    remote: Tree,
    target: SyncTarget,
    signal: AbortSignal,
  ): Promise<SyncPlan> {
    const preview = deletePreview(plan.deletes, remote, { pod: target.pod, remotePath: this.opts.mapping.remotePath });
    if (!preview) return plan;
    if (this.deleteConsent === undefined) {
      this.opts.logger.info(`sync: ${describeDeletes(preview)}`);
      this.deleteConsent = (await this.opts.confirmDeletes?.(preview, signal)) ?? false;
    }
    if (this.deleteConsent) return plan;
    this.keptNote = keptDeletesMessage(preview);
    this.opts.logger.warn(`sync: ${this.keptNote}`);
    this.setStatus({ notes: this.notes() });
    return { ...plan, deletes: [] };
  }

  private async initialSync(ch: ReceiverChannel, target: SyncTarget, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const r = await this.opts.api.exec(
      target.namespace,
      target.pod,
      target.container,
      listingCommand(this.opts.mapping.remotePath, this.opts.rules.prunedNames, this.kept.paths),
      signal,
    );
    const listing = parseListing(r.stdout);
    const remote = listing === 'no-root' ? { algo: 'sha256' as const, tree: new Map() } : listing;
    if (!remote.algo)
      this.opts.logger.warn(`sync: ${target.pod} has neither sha256sum nor md5sum; the initial sync sends every file`);
    const local = await walkLocal(this.opts.localRoot, this.opts.rules, remote.algo);
    const plan = await this.consentToDeletes(
      planInitialSync(local, remote, this.opts.rules, this.kept),
      remote.tree,
      target,
      signal,
    );
    const pending: Pending = new Map();
    for (const d of plan.deletes) pending.set(d, { op: 'delete' });
    for (const w of plan.writes) pending.set(w, { op: 'write' });
    this.opts.logger.info(
      `sync: initial sync of ${local.size} local paths with ${target.pod}: ${plan.writes.length} to write, ${plan.deletes.length} to delete`,
    );
    // A build mapping builds after every initial sync, changed or not: the pod may be new, with no program yet.
    if (pending.size || this.opts.mapping.action === 'build') await this.sendPending(ch, pending, true);
    this.setStatus({ lastSyncAt: Date.now(), lastDurationMs: Date.now() - started });
  }

  private pump(): void {
    const ch = this.channel;
    if (!ch || ch.closed || this.sending || (this.status.state !== 'idle' && this.status.state !== 'syncing')) return;
    const batch = this.batcher.take();
    if (!batch) {
      this.setStatus({ state: 'idle', pending: 0 });
      return;
    }
    this.sending = true;
    this.setStatus({ state: 'syncing', pending: this.batcher.size });
    const started = Date.now();
    this.sendPending(ch, batch, false).then(
      () => {
        this.batcher.done();
        this.sending = false;
        this.setStatus({ lastSyncAt: Date.now(), lastDurationMs: Date.now() - started, pending: this.batcher.size });
        this.pump();
      },
      (e: Error) => {
        // The connection broke: the batch goes back in front of the queue; the loop reconnects.
        this.batcher.failed();
        this.sending = false;
        this.opts.logger.info(
          `sync: a batch of ${batch.size} paths did not land (${e.message}); it is sent again after reconnecting`,
        );
        this.setStatus({ pending: this.batcher.size });
      },
    );
  }

  /** Reads the paths' current local state and sends them, split by size; throws when the connection breaks. */
  private async sendPending(ch: ReceiverChannel, pending: Pending, initial: boolean): Promise<void> {
    const { deletes, writes } = orderBatch(this.withoutKept(pending));
    const maxBytes = this.opts.maxBatchBytes ?? 16 << 20;
    let entries: TarEntry[] = [];
    let bytes = 0;
    let dels = [...deletes];
    // The initial sync's build restarts the program only when it changed (a reconnect must not restart it for nothing).
    let changed = initial && this.opts.mapping.action === 'build';
    const flush = async (last: boolean) => {
      if (!entries.length && !dels.length && !(last && changed)) return;
      const action = last && (changed || entries.length || dels.length) ? this.actionLine(initial) : undefined;
      const seq = ++this.seq;
      const frame = batchFrame(seq, dels, entries.length ? tarArchive(entries) : undefined, action);
      const n = entries.length + dels.length;
      changed ||= n > 0;
      const sentEntries = entries;
      entries = [];
      dels = [];
      bytes = 0;
      const { failure, build } = await ch.send(seq, frame);
      this.status.carried += n;
      for (const e of sentEntries) if (e.type === 'file') this.lastSent.set(e.path, fingerprint(e));
      if (failure) this.addFailure(`${initial ? 'initial sync' : 'sync'} into ${ch.target.pod}: ${failure}`);
      if (build) await this.built(build, ch.target.pod);
    };
    for (const { path, op } of writes) {
      const entry = await readEntry(this.opts.localRoot, path).catch((e: Error) => {
        this.addFailure(`"${path}" could not be read locally: ${e.message}`);
        return undefined;
      });
      if (!entry) {
        // Gone since the change was seen: the later unlink event says so too; delete to be sure.
        if (!op.created) dels.push(path);
        continue;
      }
      if (entry.type === 'file' && !op.replace && this.lastSent.get(path) === fingerprint(entry)) continue;
      entries.push(entry);
      bytes += (entry.data?.length ?? 0) + 1024;
      if (bytes >= maxBytes) await flush(false);
    }
    for (const d of deletes) this.lastSent.delete(d);
    await flush(true);
  }

  private actionLine(initial: boolean): string | undefined {
    const m = this.opts.mapping;
    return m.action === 'build' ? buildLine(m, initial ? 'changed' : 'always') : actionLine(m.action, m);
  }

  /** A build's outcome: its problems at the local files, and a failure said whole (the CLI prints it). */
  private async built(outcome: BuildOutcome, pod: string): Promise<void> {
    const ok = outcome.result === 'ok' || outcome.result === 'same';
    const mapping = { localRoot: this.opts.localRoot, remotePath: this.opts.mapping.remotePath };
    const problems = ok ? [] : buildProblems(outcome.output, mapping);
    let message: string | undefined;
    if (!ok) {
      const goMod = await readFile(join(this.opts.localRoot, 'go.mod'), 'utf8').catch(() => '');
      const missing = noToolchain(outcome, this.image, goVersionOf(goMod));
      message = `build in ${pod}: ${missing ?? describeBuildFailure(outcome, problems, (p) => p)}`;
      this.addFailure(message);
    } else
      this.opts.logger.info(
        `sync: built in ${pod}${outcome.result === 'same' ? ' (the program did not change)' : '; the program restarts'}`,
      );
    this.setStatus({ build: { at: Date.now(), ok, code: outcome.code, problems, ...(message ? { message } : {}) } });
  }

  /** The batch minus what touches a kept path; a folder holding one is not deleted as a whole (said as a failure). */
  private withoutKept(pending: Pending): Pending {
    if (!this.kept.paths.length) return pending;
    const out: Pending = new Map();
    for (const [path, op] of pending) {
      if (this.kept.covers(path)) continue;
      const inside = this.kept.inside(path);
      if (!inside.length) out.set(path, op);
      // Written over, never removed first: removing it would reach into the volume.
      else if (op.op === 'write') out.set(path, { ...op, replace: false });
      else
        this.addFailure(
          `"${path}" was not deleted in the container: the mounted volume at ${inside.map((k) => `${this.opts.mapping.remotePath.replace(/\/$/, '')}/${k}`).join(', ')} is inside it, and sync leaves that alone. Delete the rest of it by hand if it has to go`,
        );
    }
    return out;
  }
}

function fingerprint(e: TarEntry): string {
  return `${e.mode}:${createHash('sha1')
    .update(e.data ?? Buffer.alloc(0))
    .digest('hex')}`;
}
