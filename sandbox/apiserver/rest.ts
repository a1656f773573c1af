// The REST verbs on a resource collection or object: get, list, create, update, patch, delete,
// deletecollection (watch is in watch.ts, subresources in subresources.ts). Everything goes
// through the Store, so admission (defaults, validation) and conflicts are the same for every caller.

import type * as http from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, type KObject, type ResourceInfo, type UserInfo } from '../core/types';
import { badRequest, isObject, parseJson, readBody, sendJson } from './http';
import { deleteOptions, dryRun, fieldManager, fieldValidation, listParams } from './options';
import { applyPatch } from './patch/apply';
import { decodeProtobuf } from './protobuf/decode';
import { apiVersionOf, hasStatus } from './registry';
import type { Store } from './store';
import { tableFor, wantsTable } from './table';

export interface RestRequest {
  store: Store;
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
  user: UserInfo;
  query: URLSearchParams;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

export async function decodeBody(req: http.IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  const type = String(req.headers['content-type'] ?? 'application/json')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type === 'application/yaml' || type === 'application/x-yaml') {
    try {
      return parseYaml(body.toString('utf8'));
    } catch (e) {
      throw badRequest(`the request body is not valid YAML: ${(e as Error).message}`);
    }
  }
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(body);
  return parseJson(body);
}

/** Drops nulls from a decoded object, as decoding into the typed structs does on a real server. */
export function dropNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(dropNulls) as T;
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out as T;
  }
  return v;
}

/** The body as an object of this resource's kind; a kind or apiVersion that does not fit is a 400 as on a real server. */
export function asObject(info: ResourceInfo, body: unknown): KObject {
  if (!isObject(body)) throw badRequest(`the body of the request must be a ${info.kind} object`);
  const o = dropNulls(body) as KObject;
  const want = apiVersionOf(info);
  if (o.kind !== undefined && o.kind !== info.kind) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; json parse error: kind "${o.kind}" does not match the URL's resource "${info.resource}" (${want}, Kind=${info.kind})`,
    );
  }
  if (o.apiVersion !== undefined && o.apiVersion !== want) {
    throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${want})`);
  }
  o.metadata = isObject(o.metadata) ? o.metadata : {};
  return o;
}

function qualified(info: ResourceInfo): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

export function respondObject(r: RestRequest, code: number, obj: KObject): void {
  if (wantsTable(r.req.headers.accept)) {
    sendJson(r.res, code, tableFor(r.info, [obj], r.query, { resourceVersion: obj.metadata.resourceVersion ?? '' }));
    return;
  }
  sendJson(r.res, code, obj);
}

export function get(r: RestRequest): void {
  respondObject(r, 200, r.store.get(r.info.key, r.namespace, r.name));
}

export function list(r: RestRequest): void {
  const p = listParams(r.query);
  const result = r.store.list(r.info.key, r.namespace, p);
  const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continue) metadata.continue = result.continue;
  if (wantsTable(r.req.headers.accept)) {
    sendJson(r.res, 200, tableFor(r.info, result.items, r.query, metadata));
    return;
  }
  sendJson(r.res, 200, { kind: r.info.listKind, apiVersion: apiVersionOf(r.info), metadata, items: result.items });
}

export async function create(r: RestRequest): Promise<void> {
  const obj = asObject(r.info, await decodeBody(r.req));
  fieldValidation(r.query);
  const created = r.store.create(r.info.key, r.namespace, obj, {
    dryRun: dryRun(r.query),
    user: r.user,
    fieldManager: fieldManager(r.query),
  });
  respondObject(r, 201, created);
}

export async function update(r: RestRequest, subresource?: 'status'): Promise<void> {
  const obj = asObject(r.info, await decodeBody(r.req));
  fieldValidation(r.query);
  checkName(obj, r.name);
  const updated = r.store.update(r.info.key, r.namespace, obj, {
    dryRun: dryRun(r.query),
    user: r.user,
    fieldManager: fieldManager(r.query),
    ...(subresource ? { subresource } : {}),
  });
  respondObject(r, 200, updated);
}

export function checkName(obj: KObject, name: string): void {
  if (obj.metadata.name && obj.metadata.name !== name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
  }
  obj.metadata.name = name;
}

export async function patch(r: RestRequest, subresource?: 'status'): Promise<void> {
  const type = String(r.req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  const body = await readBody(r.req);
  fieldValidation(r.query);
  const current = r.store.get(r.info.key, r.namespace, r.name);
  const patched = applyPatch(r.info, current, type, body);
  checkName(patched, r.name);
  // The patch is applied to what was read: a concurrent write in between is a conflict the client
  // never sees (the real server retries); a resourceVersion in the patch is the client's precondition.
  if (patched.metadata.resourceVersion === undefined)
    patched.metadata.resourceVersion = current.metadata.resourceVersion;
  if (subresource !== 'status' && hasStatus(r.info)) patched.status = current.status;
  const updated = r.store.update(r.info.key, r.namespace, patched, {
    dryRun: dryRun(r.query),
    user: r.user,
    fieldManager: fieldManager(r.query),
    ...(subresource ? { subresource } : {}),
  });
  respondObject(r, 200, updated);
}

async function optionalBody(req: http.IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0 || !body.toString('utf8').trim()) return undefined;
  if (String(req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf'))
    return decodeProtobuf(body);
  return parseJson(body, 'DeleteOptions body');
}

/** Pods and namespaces answer a delete with the object (as their registries do); the others with a Success Status once gone. */
const RETURNS_DELETED = new Set(['pods', 'namespaces']);

export async function del(r: RestRequest): Promise<void> {
  const opts = { ...deleteOptions(r.query, await optionalBody(r.req)), user: r.user };
  const before = r.store.get(r.info.key, r.namespace, r.name);
  const out = r.store.delete(r.info.key, r.namespace, r.name, opts);
  const gone = !opts.dryRun && !r.store.tryGet(r.info.key, r.namespace, r.name);
  if (gone && !RETURNS_DELETED.has(r.info.key)) {
    sendJson(r.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: r.name,
        ...(r.info.group ? { group: r.info.group } : {}),
        kind: r.info.resource,
        uid: before.metadata.uid,
      },
    });
    return;
  }
  respondObject(r, 200, out);
}

export async function deleteCollection(r: RestRequest): Promise<void> {
  const opts = { ...deleteOptions(r.query, await optionalBody(r.req)), user: r.user };
  const p = listParams(r.query);
  const items = r.store.list(r.info.key, r.namespace, {
    labelSelector: p.labelSelector,
    fieldSelector: p.fieldSelector,
  }).items;
  const out: KObject[] = [];
  for (const o of items) {
    try {
      out.push(r.store.delete(r.info.key, o.metadata.namespace, o.metadata.name!, opts));
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
  sendJson(r.res, 200, {
    kind: r.info.listKind,
    apiVersion: apiVersionOf(r.info),
    metadata: { resourceVersion: r.store.currentResourceVersion() },
    items: out,
  });
}

/** A path that names no resource: the real server's Status, with empty details. */
export function notFoundResource(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export { qualified };
