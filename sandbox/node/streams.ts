// Bookkeeping for long-lived streams (logs -f, exec, port-forward): each registers a guard, so the
// idle-stream-timeout fault can cut streams idle longer than N ms (as hardened clusters and load
// balancers do), and stop() can end them all.

export interface StreamGuard {
  /** Marks activity. */
  touch(): void;
  /** Called when the stream must be cut; returns an unsubscribe. */
  onCut(cb: () => void): () => void;
  close(): void;
}

export class StreamRegistry {
  private readonly guards = new Set<{ last: number; cuts: Set<() => void> }>();
  private idleMs = 0;
  private timer?: NodeJS.Timeout;

  guard(): StreamGuard {
    const g = { last: Date.now(), cuts: new Set<() => void>() };
    this.guards.add(g);
    return {
      touch: () => {
        g.last = Date.now();
      },
      onCut: (cb) => {
        g.cuts.add(cb);
        return () => g.cuts.delete(cb);
      },
      close: () => {
        this.guards.delete(g);
      },
    };
  }

  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
    clearInterval(this.timer);
    this.timer = undefined;
    if (ms > 0) {
      this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, ms / 4)));
      this.timer.unref();
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const g of [...this.guards]) {
      if (now - g.last > this.idleMs) this.cut(g);
    }
  }

  private cut(g: { cuts: Set<() => void> }): void {
    this.guards.forEach((x) => x === g && this.guards.delete(x));
    for (const cb of [...g.cuts]) cb();
  }

  cutAll(): void {
    for (const g of [...this.guards]) this.cut(g);
    clearInterval(this.timer);
  }
}
