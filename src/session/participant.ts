// The participant this Devlane is in a cluster: the user the API server authenticates (asked
// once per connection, src/cluster/identity.ts) and this instance's id.
import type { IdentityApi } from '../cluster/api';
import { participantId } from '../core/session/participant';

/** A participant id, or how to find it out (an API call, made when first needed). */
export type ParticipantSource = string | ((signal: AbortSignal) => Promise<string>);

export function participantOf(who: IdentityApi, instance: string): (signal: AbortSignal) => Promise<string> {
  return async (signal) => participantId((await who.whoAmI(signal)).username, instance);
}
