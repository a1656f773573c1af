// Restores what departed participants left behind. When an editor crashes or a laptop sleeps, its
// Lease expires; any Devlane instance that sees that (docs/ARCHITECTURE.md, "Stop / crash") gives back
// what the departed participant held, and stops a session nobody is left in — the same code as
// `devlane gc`. A participant that is this window is never collected here: its own heartbeat
// renews its Lease, and it resumes on its own. In a production-looking place nothing is collected
// on its own: the user is asked, once for each set of sessions waiting there.
import { sleep } from '../core/backoff';
import { Disposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { SessionView } from './sessions';

export interface Collectable {
  gc(signal: AbortSignal, opts?: { confirmed?: boolean }): Promise<string[]>;
}

export interface CollectorSource {
  readonly onDidChange: (listener: () => void) => { dispose(): void };
  sessions(): readonly SessionView[];
}

export interface CollectorOptions {
  /** At most one collection per namespace in this long (a failed or partial one is retried after it). */
  minIntervalMs?: number;
  now?: () => number;
  /** Why a place looks like production (undefined: it does not). */
  production?: (context: string, namespace: string) => string | undefined;
  /** Asks whether to collect these sessions in a production-looking place; resolves true to go ahead. */
  ask?: (where: { context: string; namespace: string; reason: string; sessions: string[] }) => Promise<boolean>;
}

/** Someone other than this window has a Lease that expired. */
export function needsCollecting(v: SessionView): boolean {
  return v.orphaned || v.participants.some((p) => !p.alive && !p.me);
}

export class OrphanCollector extends Disposable {
  private readonly last = new Map<string, number>();
  private readonly running = new Set<string>();
  /** Production-looking places, with the sessions already asked about there. */
  private readonly asked = new Set<string>();
  private readonly abort = new AbortController();

  constructor(
    private readonly source: CollectorSource,
    private readonly collectorFor: (context: string, namespace: string) => Collectable,
    private readonly logger: Logger,
    private readonly opts: CollectorOptions = {},
  ) {
    super();
    this._register(source.onDidChange(() => this.check()));
    this._register({ dispose: () => this.abort.abort() });
    this.check();
  }

  /** Resolves when every collection started so far has ended (for tests). */
  async idle(): Promise<void> {
    while (this.running.size) await sleep(5);
  }

  private check(): void {
    const now = (this.opts.now ?? Date.now)();
    const interval = this.opts.minIntervalMs ?? 60_000;
    const due = this.source.sessions().filter(needsCollecting);
    for (const v of due) {
      const key = `${v.context}/${v.namespace}`;
      if (this.running.has(key) || now - (this.last.get(key) ?? -Infinity) < interval) continue;
      const reason = this.opts.production?.(v.context, v.namespace);
      const sessions = due
        .filter((d) => d.context === v.context && d.namespace === v.namespace)
        .map((d) => d.session)
        .sort();
      if (reason && this.asked.has(`${key}:${sessions.join(',')}`)) continue;
      this.last.set(key, now);
      this.running.add(key);
      const run = reason
        ? this.askFirst({ context: v.context, namespace: v.namespace, reason, sessions })
        : this.collect(v.context, v.namespace, false);
      void run.finally(() => this.running.delete(key));
    }
  }

  private async askFirst(where: {
    context: string;
    namespace: string;
    reason: string;
    sessions: string[];
  }): Promise<void> {
    this.asked.add(`${where.context}/${where.namespace}:${where.sessions.join(',')}`);
    const go = (await this.opts.ask?.(where).catch(() => false)) ?? false;
    if (!go) {
      this.logger.info(
        `Not collecting ${where.sessions.join(', ')} in ${where.context} / ${where.namespace} on its own: ${where.reason}. Clean Up in the Sessions view, or \`devlane gc\`, collects them when you decide to.`,
      );
      return;
    }
    await this.collect(where.context, where.namespace, true);
  }

  private async collect(context: string, namespace: string, confirmed: boolean): Promise<void> {
    try {
      const done = await this.collectorFor(context, namespace).gc(this.abort.signal, { confirmed });
      for (const line of done) this.logger.info(`Collected in ${context} / ${namespace}: ${line}`);
    } catch (err) {
      if (!this.abort.signal.aborted)
        this.logger.warn(
          `Could not collect expired sessions in ${context} / ${namespace}: ${(err as Error).message}. Nothing was changed by this attempt; it is tried again in a minute, and \`devlane gc\` does the same by hand.`,
        );
    }
  }
}
