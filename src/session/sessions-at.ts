// The Sessions of one place (context and namespace), made the same way for every caller in the
// editor: the place's connection, this participant (the authenticated user and this instance),
// and what all of them share (settings, the plan question), read again for each one so that a
// changed setting applies to the next command.
import type { Clusters } from '../cluster/api';
import type { Where } from '../core/where';
import { participantOf } from './participant';
import { Sessions, type SessionsOptions } from './sessions';

/** What every Sessions of this Devlane shares. */
export type SessionsDefaults = Omit<SessionsOptions, 'api' | 'context' | 'namespace' | 'server' | 'participant'>;

/** The Sessions of a place; `extra` adds what one use needs (its progress report). */
export type SessionsAt = (where: Where, extra?: Partial<SessionsOptions>) => Sessions;

export function sessionsAt(clusters: Clusters, instance: string, defaults: () => SessionsDefaults): SessionsAt {
  return (where, extra) => {
    const conn = clusters.connection(where.context);
    return new Sessions({
      api: conn.objects,
      context: where.context,
      namespace: where.namespace,
      server: conn.context.server,
      participant: participantOf(conn, instance),
      ...defaults(),
      ...extra,
    });
  };
}
