// A work queue as client-go's: keys (namespace/name) are coalesced while waiting, a key is never
// processed twice at once, failures are retried with exponential back-off, and a 409 Conflict is
// retried at once (the handler re-reads the object from the informer cache, which is current).

import { ApiError } from '../core/types';

/** What a sync may ask for: run again after this many milliseconds (e.g. minReadySeconds, progress deadline). */
export type SyncResult = void | { requeueAfterMs?: number };

const BASE_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 30_000;
const MAX_CONFLICT_RETRIES = 20;

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private scheduled = false;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly sync: (key: string) => SyncResult,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Adds the key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const existing = this.timers.get(key);
    if (existing) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private drain(): void {
    this.scheduled = false;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      if (this.stopped) return;
      this.process(key);
    }
  }

  private process(key: string): void {
    let conflicts = 0;
    for (;;) {
      try {
        const r = this.sync(key);
        this.failures.delete(key);
        if (r && r.requeueAfterMs !== undefined) this.addAfter(key, r.requeueAfterMs);
        return;
      } catch (e) {
        if (e instanceof ApiError && e.code === 409 && ++conflicts < MAX_CONFLICT_RETRIES) continue;
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        const delay = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (n - 1));
        this.log(
          `${this.name}: syncing ${key} failed (attempt ${n}, retrying in ${delay} ms): ${e instanceof Error ? e.message : String(e)}`,
        );
        this.addAfter(key, delay);
        return;
      }
    }
  }
}

export function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
