// Applies a PATCH body of any supported media type to the current object.

import { ApiError, type KObject, type ResourceInfo } from '../../core/types';
import { badRequest, isObject } from '../http';
import { JsonPatchError, applyJsonPatch } from './jsonpatch';
import { mergePatch } from './merge';
import { patchMetaFor } from './patchmeta';
import { StrategicPatchError, strategicMergePatch } from './strategic';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

export function supportedPatchTypes(info: ResourceInfo): string[] {
  return patchMetaFor(info.group, info.kind) ? [JSON_PATCH, MERGE_PATCH, STRATEGIC] : [JSON_PATCH, MERGE_PATCH];
}

export function applyPatch(info: ResourceInfo, current: KObject, contentType: string, body: Buffer): KObject {
  if (contentType === APPLY || contentType === 'application/apply-patch+cbor') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the sandbox API server does not implement server-side apply (application/apply-patch+yaml); nothing was changed. Use client-side apply (kubectl apply without --server-side) or a merge/strategic-merge patch',
    );
  }
  const allowed = supportedPatchTypes(info);
  if (!allowed.includes(contentType))
    throw new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});
  let patch: unknown;
  try {
    patch = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('invalid JSON patch');
  }
  if (contentType === JSON_PATCH && patch !== null && !Array.isArray(patch)) {
    const go = typeof patch === 'boolean' ? 'bool' : typeof patch;
    throw badRequest(`error decoding patch: json: cannot unmarshal ${go} into Go value of type []handlers.jsonPatchOp`);
  }
  let out: unknown;
  try {
    if (contentType === JSON_PATCH) out = applyJsonPatch(current, patch ?? []);
    else if (contentType === MERGE_PATCH) {
      if (!isObject(patch)) throw badRequest('a merge patch must be a JSON object');
      out = mergePatch(current, patch);
    } else out = strategicMergePatch(current, patch, patchMetaFor(info.group, info.kind)!);
  } catch (e) {
    // As the real server: the reason stays on the server side (its log), the client gets the generic message.
    if (e instanceof JsonPatchError)
      throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
    if (e instanceof StrategicPatchError) throw badRequest(e.message);
    throw e;
  }
  if (!isObject(out)) throw badRequest('the patched object is not a JSON object');
  const obj = dropNullsDeep(out) as KObject;
  obj.metadata = isObject(obj.metadata) ? obj.metadata : {};
  return obj;
}

function dropNullsDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNullsDeep);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNullsDeep(x);
    return out;
  }
  return v;
}
