// Subresources other than the streaming ones: status, scale (autoscaling/v1 Scale of
// deployments and replicasets), namespaces/finalize and pods/eviction.

import { ApiError, type KObject } from '../core/types';
import { invalid } from './admission/fielderrors';
import { schemaErrors } from './admission/schema';
import { badRequest, isObject, sendJson } from './http';
import { dryRun, fieldManager } from './options';
import { applyPatch } from './patch/apply';
import { asObject, checkName, decodeBody, del, dropNulls, get, patch, update, type RestRequest } from './rest';
import { readBody } from './http';

export async function status(r: RestRequest, verb: string): Promise<void> {
  if (verb === 'get') return get(r);
  if (verb === 'update') return update(r, 'status');
  if (verb === 'patch') return patch(r, 'status');
  throw methodNotAllowed(r, verb);
}

export function methodNotAllowed(r: RestRequest, verb: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${verb} ${r.req.method})`,
    {},
  );
}

function toScale(o: KObject): KObject {
  const sel = o.spec?.selector;
  const selector = sel
    ? [
        ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(sel.matchExpressions ?? []).map(
          (e: KObject) => `${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`,
        ),
      ].join(',')
    : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 1 },
    status: { replicas: o.status?.replicas ?? 0, selector },
  };
}

export async function scale(r: RestRequest, verb: string): Promise<void> {
  const current = r.store.get(r.info.key, r.namespace, r.name);
  if (verb === 'get') return sendJson(r.res, 200, toScale(current));
  let wanted: KObject;
  if (verb === 'update') {
    const body = await decodeBody(r.req);
    if (!isObject(body)) throw badRequest('the body of the request must be a Scale object');
    wanted = dropNulls(body) as KObject;
    if (wanted.kind !== undefined && wanted.kind !== 'Scale')
      throw badRequest(`the object provided is unrecognized (must be of type Scale): kind "${wanted.kind}"`);
    wanted.metadata = isObject(wanted.metadata) ? wanted.metadata : {};
  } else if (verb === 'patch') {
    const type = String(r.req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    wanted = applyPatch(
      { ...r.info, kind: 'Scale', group: 'autoscaling' },
      toScale(current),
      type,
      await readBody(r.req),
    );
  } else throw methodNotAllowed(r, verb);
  checkName(wanted, r.name);
  const errs = schemaErrors('scale', { ...wanted, apiVersion: 'autoscaling/v1', kind: 'Scale' });
  const replicas = wanted.spec?.replicas;
  if (!errs.length && (typeof replicas !== 'number' || replicas < 0)) {
    errs.push({
      type: 'Invalid',
      field: 'spec.replicas',
      value: replicas,
      detail: 'must be greater than or equal to 0',
    });
  }
  if (errs.length) throw invalid({ kind: 'Scale', group: 'autoscaling' }, r.name, errs);
  const next = structuredClone(current);
  next.spec = { ...(next.spec ?? {}), replicas };
  next.metadata.resourceVersion = wanted.metadata.resourceVersion ?? current.metadata.resourceVersion;
  const updated = r.store.update(r.info.key, r.namespace, next, {
    dryRun: dryRun(r.query),
    user: r.user,
    fieldManager: fieldManager(r.query),
  });
  sendJson(r.res, 200, toScale(updated));
}

/** PUT namespaces/NAME/finalize: only spec.finalizers changes (what the namespace controller does). */
export async function finalize(r: RestRequest, verb: string): Promise<void> {
  if (verb !== 'update') throw methodNotAllowed(r, verb);
  const body = asObject(r.info, await decodeBody(r.req));
  checkName(body, r.name);
  const current = r.store.get('namespaces', undefined, r.name);
  const next = structuredClone(current);
  next.spec = { ...(next.spec ?? {}), finalizers: body.spec?.finalizers ?? [] };
  if (body.metadata.resourceVersion) next.metadata.resourceVersion = body.metadata.resourceVersion;
  const out = r.store.update('namespaces', undefined, next, { dryRun: dryRun(r.query), user: r.user });
  sendJson(r.res, 200, out);
}

/** POST pods/NAME/eviction: no PodDisruptionBudgets here, so an eviction is a delete with its options. */
export async function eviction(r: RestRequest, verb: string): Promise<void> {
  if (verb !== 'create') throw methodNotAllowed(r, verb);
  const body = await decodeBody(r.req);
  if (!isObject(body)) throw badRequest('the body of the request must be an Eviction object');
  const ev = dropNulls(body) as KObject;
  if (ev.metadata?.name && ev.metadata.name !== r.name)
    throw badRequest(`name in URL does not match name in Eviction object`);
  const opts = ev.deleteOptions ?? {};
  r.store.delete('pods', r.namespace, r.name, {
    gracePeriodSeconds: opts.gracePeriodSeconds ?? undefined,
    preconditions: opts.preconditions,
    dryRun: Array.isArray(opts.dryRun) && opts.dryRun.includes('All'),
    user: r.user,
  });
  sendJson(r.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

export { del };
