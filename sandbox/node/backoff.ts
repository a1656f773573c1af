// The kubelet's restart and image-pull back-off: the first retry is immediate, then 10 s doubling to
// 300 s; a container that ran for 10 minutes without trouble starts over.

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
export const BACKOFF_RESET_MS = 600_000;

export class Backoff {
  private next = 0;

  /** The delay before the next attempt; advances the sequence. `ranMs` is how long the last instance ran. */
  delay(ranMs = 0): number {
    if (ranMs >= BACKOFF_RESET_MS) this.next = 0;
    const d = this.next;
    this.next = d === 0 ? BACKOFF_INITIAL_MS : Math.min(d * 2, BACKOFF_MAX_MS);
    return d;
  }

  reset(): void {
    this.next = 0;
  }
}

/** "10s", "1m20s", "5m0s" as Go's time.Duration prints whole seconds. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${s % 60}s`;
}
