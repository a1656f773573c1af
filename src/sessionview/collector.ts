// Restores what departed participants left behind. When an editor crashes or a laptop sleeps, its
// Lease expires; any Devlane instance that sees that (ARCHITECTURE, "Stop / crash") gives back
// what the departed participant held, and stops a session nobody is left in — the same code as
// `devlane gc`. A participant that is this window is never collected here: its own heartbeat
// renews its Lease, and it resumes on its own.
import { Disposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { SessionView } from './sessions';

export interface Collectable {
  gc(signal: AbortSignal): Promise<string[]>;
}

export interface CollectorSource {
  readonly onDidChange: (listener: () => void) => { dispose(): void };
  sessions(): readonly SessionView[];
}

export interface CollectorOptions {
  /** At most one collection per namespace in this long (a failed or partial one is retried after it). */
  minIntervalMs?: number;
  now?: () => number;
}

/** Someone other than this window has a Lease that expired. */
export function needsCollecting(v: SessionView): boolean {
  return v.orphaned || v.participants.some((p) => !p.alive && !p.me);
}

export class OrphanCollector extends Disposable {
  private readonly last = new Map<string, number>();
  private readonly running = new Set<string>();
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
    while (this.running.size) await new Promise((r) => setTimeout(r, 5));
  }

  private check(): void {
    const now = (this.opts.now ?? Date.now)();
    const interval = this.opts.minIntervalMs ?? 60_000;
    for (const v of this.source.sessions()) {
      if (!needsCollecting(v)) continue;
      const key = `${v.context}/${v.namespace}`;
      if (this.running.has(key) || now - (this.last.get(key) ?? -Infinity) < interval) continue;
      this.last.set(key, now);
      this.running.add(key);
      void this.collect(v.context, v.namespace).finally(() => this.running.delete(key));
    }
  }

  private async collect(context: string, namespace: string): Promise<void> {
    try {
      const done = await this.collectorFor(context, namespace).gc(this.abort.signal);
      for (const line of done) this.logger.info(`Collected in ${context} / ${namespace}: ${line}`);
    } catch (err) {
      if (!this.abort.signal.aborted) this.logger.warn(`Could not collect expired sessions in ${context} / ${namespace}: ${(err as Error).message}. Nothing was changed by this attempt; it is tried again in a minute, and \`devlane gc\` does the same by hand.`);
    }
  }
}
