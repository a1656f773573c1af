// Errors of session work that are not a failed request: a workload kind Devlane cannot copy yet, a
// service someone else holds, a missing permission. Each says what happened, what was left
// unchanged, and what to do (`hint`): a DevlaneError, like ClusterError.
import { DevlaneError, type ErrorOptions } from '../error-base';

export type SessionErrorCode =
  | 'unsupported' // a workload kind or shape Devlane cannot copy yet
  | 'not-found' // the service, workload or session does not exist
  | 'held' // another participant owns this service in the session
  | 'forbidden' // preflight found missing permissions
  | 'declined' // the user did not confirm the plan
  | 'volume' // a ReadWriteOnce volume the original holds
  | 'invalid' // a name or option that cannot be used
  | 'unavailable' // something the session depends on cannot be reached (the database a data branch is made from)
  | 'bad-record' // a session record that does not hold what Devlane writes, or asks for undo steps it refuses
  | 'failed'; // a step failed (rolled back)

export class SessionError extends DevlaneError {
  override readonly name = 'SessionError';
  constructor(
    readonly code: SessionErrorCode,
    message: string,
    hint: string,
    readonly details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, hint, options);
  }
}
