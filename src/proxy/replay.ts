// When Open Routed URL or Try a request may send a request again. A refused connection to the
// copy's pod (a restart after a save: nothing listens) is retried by the port-forward itself,
// since the pod received nothing (PortForwardRequest.retryRefusedMs). A connection that closes
// before any answer is different: the program may have read the request and died with it (the
// supervisor stops it mid-request). Only an idempotent request may be sent again then (RFC 9110
// §9.2.2: clients may retry them automatically), as nginx does; a POST, PATCH or LOCK never is.
import { restartWaitMs } from '../core/session/restart-wait';

const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Whether a request with this method may be sent again after its connection closed before any answer. */
export function mayReplay(method: string | undefined): boolean {
  return idempotent.has((method ?? 'GET').toUpperCase());
}

/** A connection that closed (or was reset) before any answer came. */
export function closedBeforeAnswer(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || err.message === 'socket hang up';
}

/** Back-off before retry `n` (1-based): 25 ms doubling to 200 ms. */
export const replayBackoffMs = (n: number): number => Math.min(25 * 2 ** (n - 1), 200);

/** The deadline for a request that started now: it waits for a restarting copy no longer than this. */
export const replayDeadline = (): number => Date.now() + restartWaitMs;
