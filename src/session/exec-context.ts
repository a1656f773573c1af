// What every step of a session run shares: the cluster, where to log and report, the signal that
// cancels it, and the one safe way to change an object (read → transform → update with the
// resourceVersion read, retried on conflict) so that concurrent editors never overwrite each other.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { Backoff, type BackoffOptions, sleep } from '../core/backoff';
import { ClusterError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { KubeObject } from '../core/resources';
import { type Edit, type ObjRef, refText } from '../core/session/plan';
import { applyEdit } from '../routing/edits';

export interface ExecContext {
  api: ObjectApi;
  logger: Logger;
  signal: AbortSignal;
  /** Progress lines for the user ("Waiting for ratings-dl-alice to be Ready: pulling image"). */
  report: (message: string) => void;
}

const conflictRetries = 8;

/** Whether a failure is a ClusterError of one of these kinds. */
export const isKind = (err: unknown, ...kinds: string[]) => err instanceof ClusterError && kinds.includes(err.kind);

/** Between conflicting writes: short, spread apart so that racing editors do not collide again. */
const conflictBackoff: BackoffOptions = { initialMs: 25, factor: 2, maxMs: 1000, jitter: 0.25 };

/** Read, transform, write with a resourceVersion precondition; retry on conflict. */
export async function editObject(
  ctx: ExecContext,
  ref: ObjRef,
  edit: Edit,
  opts: { dryRun?: boolean; createIfAbsent?: KubeObject } = {},
): Promise<KubeObject | undefined> {
  const type = apiTypes[ref.type];
  const backoff = new Backoff(conflictBackoff);
  for (let attempt = 0; ; attempt++) {
    const current = await ctx.api.tryGet(type, ref.namespace, ref.name, ctx.signal);
    const base = current ?? opts.createIfAbsent;
    if (!base) {
      ctx.logger.info(`${refText(ref)} is gone; nothing to ${edit.kind}`);
      return undefined;
    }
    const result = applyEdit(base, edit);
    try {
      if (result.kind === 'unchanged')
        return current ?? (opts.dryRun ? base : await ctx.api.create(type, base, { signal: ctx.signal }));
      if (result.kind === 'delete') {
        if (current)
          await ctx.api.delete(type, ref.namespace, ref.name, {
            dryRun: opts.dryRun,
            signal: ctx.signal,
            preconditions: { resourceVersion: current.metadata.resourceVersion },
          });
        return undefined;
      }
      if (!current) return await ctx.api.create(type, result.object, { dryRun: opts.dryRun, signal: ctx.signal });
      return await ctx.api.update(type, result.object, { dryRun: opts.dryRun, signal: ctx.signal });
    } catch (err) {
      if (isKind(err, 'conflict', 'already-exists', 'not-found') && attempt < conflictRetries) {
        ctx.logger.debug(`${refText(ref)} changed while editing (${(err as Error).message}); reading it again`);
        await sleep(backoff.next(), ctx.signal);
        continue;
      }
      throw err;
    }
  }
}
