// Exponential back-off with jitter, as client-go's reflector does it: start at 800 ms, double on
// each consecutive failure, cap at 30 s, and spread retries by up to +/-20% so that many watches
// that failed together (an API server restart) do not all come back in the same millisecond.

export interface BackoffOptions {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Fraction of the delay added or removed at random: 0.2 means +/-20%. */
  jitter: number;
  /** Injected for tests; returns [0, 1). */
  random?: () => number;
}

export const watchBackoff: BackoffOptions = { initialMs: 800, factor: 2, maxMs: 30_000, jitter: 0.2 };

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions = watchBackoff) {
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next retry; each call counts one more consecutive failure. */
  next(): number {
    const { initialMs, factor, maxMs, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    const spread = base * jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(Math.min(maxMs, base + spread)));
  }

  /** Call after a success, so that the next failure starts from the initial delay again. */
  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}

/** Resolves after `ms`, or rejects at once with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
