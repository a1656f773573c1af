// Whether Stop Session asks first. Stop ends the session for everyone in it, so it asks only when
// someone else is still in it (their copies and routes go too); stopping a session you are alone
// in acts at once, which is why the command's title has no ellipsis.
import { participantUser } from '../core/session/participant';
import type { SessionView } from './sessions';

export interface StopQuestion {
  message: string;
  detail: string;
  confirm: string;
}

/** The question to ask before stopping, or undefined when nobody else is affected. */
export function stopQuestion(
  view: Pick<SessionView, 'session' | 'participants' | 'createdBy' | 'mine'> | undefined,
): StopQuestion | undefined {
  const others = view?.participants.filter((p) => !p.me && p.alive).map((p) => p.name) ?? [];
  if (!view || others.length === 0) return undefined;
  const whose = view.mine ? '' : ` You are not in it; ${participantUser(view.createdBy)} started it.`;
  return {
    message: `Stop session ${view.session} for everyone?`,
    detail: `${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} still in it: their copies and routes are removed too.${whose} Leave gives back only what you took over.`,
    confirm: 'Stop for Everyone',
  };
}
