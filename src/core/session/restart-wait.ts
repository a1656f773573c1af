// How long a routed request that finds the developer copy restarting (after a save, the supervisor
// stops the program and starts it again: 0.1–0.2 s with nothing listening) waits for the new
// process instead of failing, in every path a routed request can take: Devlane's router, an Istio
// route, Open Routed URL and Try a request. Only a request that nothing received is sent again: a
// refused connection, never one whose bytes may have reached the program (a POST is not sent twice).

/** The bound: past it the request fails as it would have without waiting. */
export const restartWaitMs = 10_000;

/**
 * Envoy's retry back-off (its router filter docs): retry N waits a random time in
 * [0, (2^N - 1) × 25 ms), capped at 250 ms (10 × the base). The mean wait once capped is 125 ms.
 */
export const envoyBackoff = { baseMs: 25, maxMs: 250 } as const;

/** The back-off Envoy draws before retry `n` (1-based). */
export function envoyBackoffMs(n: number, rand: () => number = Math.random): number {
  const ceiling = Math.min((2 ** Math.min(n, 30) - 1) * envoyBackoff.baseMs, envoyBackoff.maxMs);
  return Math.floor(rand() * ceiling);
}

/** Retries that make Envoy's expected back-offs add up to the bound: the first few are short, then 125 ms each on average. */
export function envoyAttemptsFor(boundMs: number = restartWaitMs): number {
  let n = 0;
  let total = 0;
  while (total < boundMs) {
    n++;
    total += Math.min((2 ** Math.min(n, 30) - 1) * envoyBackoff.baseMs, envoyBackoff.maxMs) / 2;
  }
  return n;
}
