// Applies plan steps and replays their inverses against the cluster. Edits are read → transform →
// update with the resourceVersion read, retried on conflict, so that concurrent sessions and
// people editing the same object never overwrite each other.
import { routerSync } from './router-sync';
import { waitDeploymentReady } from './wait';
import { editObject, type ExecContext, isKind } from './exec-context';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { KubeObject } from '../core/resources';
import { createdBySession, undoProblem, type UndoScope } from '../core/session/undo-admission';
import { refText, type Step, type Undo } from '../core/session/plan';
import { type RouterConfigMap, withOriginAddress } from '../routing/router';
import { releaseRouter } from './release-router';
import { releaseBranch, seedBranch } from './data-branch';
import { waitEndpointsFollow } from './endpoints';
import { confirmServiceReachesRouter, verifyRouter } from './router-verify';
import type { Service } from '../core/resources';
import { SessionError } from '../core/session/errors';
import { originServiceName } from '../core/session/names';
import { labels } from '../core/session/route-contract';

/** Runs one step for real (or as a server-side dry-run). `created` collects objects this run created. */
export async function runStep(
  ctx: ExecContext,
  step: Step,
  opts: { dryRun?: boolean; virtual?: Map<string, KubeObject> } = {},
): Promise<void> {
  const key = refText(step.ref);
  switch (step.kind) {
    case 'create': {
      const object =
        step.object.metadata.labels?.[labels.role] === 'router-config' && !opts.dryRun
          ? await withOrigin(ctx, step.object)
          : step.object;
      try {
        await ctx.api.create(apiTypes[step.ref.type], object, { dryRun: opts.dryRun, signal: ctx.signal });
      } catch (err) {
        if (!(step.shared && isKind(err, 'already-exists'))) throw err;
        ctx.logger.info(`${key} is already there (shared with other sessions)`);
        // A shared object owned by session records lives as long as any of them.
        const owners = step.object.metadata.ownerReferences;
        if (owners?.length)
          await editObject(ctx, step.ref, { kind: 'meta.addOwners', owners }, { dryRun: opts.dryRun });
      }
      opts.virtual?.set(key, step.object);
      return;
    }
    case 'edit': {
      // In a dry-run, an object created by an earlier step exists only in `virtual`.
      const createIfAbsent = step.createIfAbsent ?? opts.virtual?.get(key);
      const edit =
        step.edit.kind === 'router.addRoute' && !opts.dryRun
          ? {
              ...step.edit,
              ...(await routeAddresses(ctx, step.ref.namespace, step.edit.service, step.edit.devService)),
            }
          : step.edit;
      const after = await editObject(ctx, step.ref, edit, { dryRun: opts.dryRun, createIfAbsent });
      if (!opts.dryRun && after && step.edit.kind.startsWith('router.'))
        await routerSync(ctx, step.ref.namespace, after);
      if (!opts.dryRun && after && step.edit.kind === 'service.switchSelector') {
        await waitEndpointsFollow(ctx, step.ref.namespace, step.ref.name, step.edit.selector, 'to the router');
        await confirmServiceReachesRouter(ctx, step.ref.namespace, step.ref.name);
      }
      return;
    }
    case 'wait-ready':
      if (!opts.dryRun) await waitDeploymentReady(ctx, step.ref.namespace, step.ref.name);
      return;
    case 'verify-router':
      if (!opts.dryRun) await verifyRouter(ctx, step.ref.namespace, step.service);
      return;
    case 'seed-branch':
      if (!opts.dryRun) await seedBranch(ctx, step.ref, step.source);
      return;
  }
}

/** A new router config names the origin Service (created just before it) by its ClusterIP. */
async function withOrigin(ctx: ExecContext, cm: KubeObject): Promise<KubeObject> {
  const service = cm.metadata.labels?.[labels.service] ?? '';
  const origin = await ctx.api.tryGet<Service>(
    apiTypes.service,
    cm.metadata.namespace!,
    originServiceName(service),
    ctx.signal,
  );
  const ip = (origin?.spec as { clusterIP?: string } | undefined)?.clusterIP;
  return ip && ip !== 'None' ? withOriginAddress(cm as RouterConfigMap, ip) : cm;
}

/** The ClusterIPs the router sends a session's requests (and un-keyed ones) to: no name to resolve. */
async function routeAddresses(
  ctx: ExecContext,
  namespace: string,
  service: string,
  devService: string,
): Promise<{ devAddress: string; originAddress: string }> {
  const [dev, origin] = await Promise.all(
    [devService, originServiceName(service)].map((n) =>
      ctx.api.tryGet<Service>(apiTypes.service, namespace, n, ctx.signal),
    ),
  );
  const ip = (svc: Service | undefined) => (svc?.spec as { clusterIP?: string } | undefined)?.clusterIP;
  const devAddress = ip(dev);
  const originAddress = ip(origin);
  if (!devAddress || devAddress === 'None' || !originAddress || originAddress === 'None') {
    throw new SessionError(
      'failed',
      `Service ${namespace}/${!devAddress || devAddress === 'None' ? devService : originServiceName(service)} has no ClusterIP for the router to send requests to`,
      'Nothing was routed. Check that the Service exists and is not headless.',
    );
  }
  return { devAddress, originAddress };
}

/**
 * Replays one inverse, if the admission rules let it (undo-admission.ts); returns why it was refused
 * otherwise. Idempotent: an object already gone or already restored is fine.
 */
export async function runUndo(ctx: ExecContext, undo: Undo, scope: UndoScope): Promise<string | undefined> {
  const problem = undoProblem(undo, scope);
  if (problem) return `${problem.field}: ${problem.problem}`;
  switch (undo.kind) {
    case 'delete': {
      const type = apiTypes[undo.ref.type];
      const obj = await ctx.api.tryGet(type, undo.ref.namespace, undo.ref.name, ctx.signal);
      if (!obj) return undefined;
      // Only what this session made: never delete an object of the same name someone else made.
      if (!createdBySession(obj, scope))
        return `${refText(undo.ref)} was not created by session ${scope.session} (neither owned by its record nor labelled with it); left as it is`;
      try {
        await ctx.api.delete(type, undo.ref.namespace, undo.ref.name, {
          signal: ctx.signal,
          preconditions: { uid: obj.metadata.uid },
        });
      } catch (err) {
        if (!isKind(err, 'not-found', 'conflict')) throw err;
      }
      return undefined;
    }
    case 'edit': {
      const after = await editObject(ctx, undo.ref, undo.edit);
      if (after && undo.edit.kind.startsWith('router.'))
        await routerSync(ctx, undo.ref.namespace, after).catch((err) =>
          ctx.logger.warn(`router reload after removing a route: ${(err as Error).message}`),
        );
      return undefined;
    }
    case 'release-router':
      return releaseRouter(ctx, undo.namespace, undo.service);
    case 'release-branch':
      return releaseBranch(ctx, scope);
  }
}

/**
 * Replays inverses newest first; keeps going past failures and reports them all at the end.
 * Returns the steps refused (never replayed), each with why.
 */
export async function replayUndo(ctx: ExecContext, undo: Undo[], scope: UndoScope): Promise<string[]> {
  const failures: string[] = [];
  const refused: string[] = [];
  for (const u of [...undo].reverse()) {
    try {
      ctx.report(`Undo: ${u.summary}`);
      const why = await runUndo(ctx, u, scope);
      if (why) {
        refused.push(`refused "${u.summary}": ${why}`);
        ctx.logger.warn(`session ${scope.session}: refused undo step "${u.summary}": ${why}`);
      }
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      failures.push(`${u.summary}: ${(err as Error).message}`);
    }
  }
  if (failures.length) {
    throw new ClusterError(
      'server',
      `Some changes could not be undone:\n  ${failures.join('\n  ')}`,
      'They stay in the session record; run `devlane stop` or `devlane gc` again to retry.',
    );
  }
  return refused;
}
