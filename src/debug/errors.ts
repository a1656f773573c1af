// Why a debug session could not attach. A DevlaneError, like ClusterError and SessionError: what
// happened (message), and what to do (hint); nothing in the cluster is ever changed by attaching,
// and the messages say so.
import { DevlaneError, type ErrorOptions } from '../core/error-base';

export type DebugErrorCode =
  | 'no-session' // no session named, and none active here
  | 'no-copy' // no running developer copy of the service in the session
  | 'no-debug-port' // the copy was not started with a debugger (no devlane.dev/debug annotation)
  | 'not-listening' // the debugger does not listen in the pod (not installed, or it exited)
  | 'tunnel' // the port-forward itself failed (permission, pod gone, API server unreachable)
  | 'no-path-mapping'; // neither a sync mapping nor a working directory to map paths with

export class DebugError extends DevlaneError {
  override readonly name = 'DebugError';
  constructor(
    readonly code: DebugErrorCode,
    message: string,
    hint: string,
    options?: ErrorOptions,
  ) {
    super(message, hint, options);
  }
}
