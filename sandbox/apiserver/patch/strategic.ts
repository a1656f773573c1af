// Strategic merge patch as apimachinery's strategicpatch applies it: like a JSON merge patch,
// except that lists declared mergeable are merged element by element (by their merge key, or
// as sets for lists of scalars), and the directives kubectl sends are honoured:
// `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>`.

import { isObject } from '../http';
import type { FieldMeta, TypeMeta } from './patchmeta';

export class StrategicPatchError extends Error {}

type Obj = Record<string, unknown>;

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export function strategicMergePatch(original: Obj, patch: unknown, meta: TypeMeta): Obj {
  if (!isObject(patch)) throw new StrategicPatchError('a strategic merge patch must be a JSON object');
  const out = mergeMap(structuredClone(original), patch, meta);
  return out ?? {};
}

/** Merges `patch` into `orig` (which it may modify). Returns undefined when the patch deletes the map. */
function mergeMap(orig: Obj, patch: Obj, meta: TypeMeta | undefined): Obj | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch, meta) as Obj;
  if (directive !== undefined && directive !== 'merge')
    throw new StrategicPatchError(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);

  if (patch.$retainKeys !== undefined) {
    const keep = patch.$retainKeys;
    if (!Array.isArray(keep)) throw new StrategicPatchError('$retainKeys must be a list of field names');
    for (const k of Object.keys(orig)) if (!keep.includes(k)) delete orig[k];
  }

  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(v)) throw new StrategicPatchError(`${k} must be a list`);
      const cur = orig[field];
      if (Array.isArray(cur)) orig[field] = cur.filter((x) => !v.some((d) => d === x));
      continue;
    }
    const fm = meta?.[k];
    if (v === null) {
      delete orig[k];
      continue;
    }
    const cur = orig[k];
    if (isObject(v)) {
      if (isObject(cur)) {
        const merged = mergeMap(cur, v, fm?.fields);
        if (merged === undefined) delete orig[k];
        else orig[k] = merged;
      } else if (v.$patch === 'delete') {
        delete orig[k];
      } else {
        orig[k] = mergeMap({}, v, fm?.fields) ?? {};
      }
      continue;
    }
    if (Array.isArray(v)) {
      orig[k] = fm?.strategies?.includes('merge')
        ? mergeList(Array.isArray(cur) ? cur : [], v, fm)
        : stripDirectives(v, fm?.fields);
      continue;
    }
    orig[k] = v;
  }

  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    if (!Array.isArray(order)) throw new StrategicPatchError(`${k} must be a list`);
    const list = orig[field];
    if (Array.isArray(list)) orig[field] = reorder(list, order, meta?.[field]?.mergeKey);
  }
  if (patch.$retainKeys !== undefined) {
    const keep = patch.$retainKeys as string[];
    for (const k of Object.keys(orig)) if (!keep.includes(k)) delete orig[k];
  }
  return orig;
}

function mergeList(orig: unknown[], patch: unknown[], fm: FieldMeta): unknown[] {
  // A `{$patch: replace}` element replaces the whole list with the other elements.
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map((p) => stripDirectives(p, fm.fields));
  }
  const key = fm.mergeKey;
  if (!key) {
    // A list of scalars merged as a set: keep the original order, append what is new.
    const out = [...orig];
    for (const p of patch) {
      if (isObject(p)) throw new StrategicPatchError(`a list of scalars cannot take the object ${JSON.stringify(p)}`);
      if (!out.some((o) => o === p)) out.push(p);
    }
    return out;
  }
  const out = orig.map((o) => structuredClone(o));
  for (const p of patch) {
    if (!isObject(p))
      throw new StrategicPatchError(
        `the list element ${JSON.stringify(p)} must be an object with the merge key "${key}"`,
      );
    if (!(key in p))
      throw new StrategicPatchError(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    const i = out.findIndex((o) => isObject(o) && o[key] === p[key]);
    if (p.$patch === 'delete') {
      if (i >= 0) {
        for (let j = out.length - 1; j >= 0; j--)
          if (isObject(out[j]) && (out[j] as Obj)[key] === p[key]) out.splice(j, 1);
      }
      continue;
    }
    if (i >= 0) {
      const merged = mergeMap(out[i] as Obj, p, fm.fields);
      if (merged === undefined) out.splice(i, 1);
      else out[i] = merged;
    } else {
      out.push(mergeMap({}, p, fm.fields) ?? {});
    }
  }
  return patchOrder(out, orig, patch, key);
}

/**
 * The order apimachinery gives a merged list (normalizeElementOrder): the elements the patch names,
 * in the patch's order, merged into the elements it does not name (in their original order); where
 * both are in the original list their original order decides, else the patch's element comes first.
 * So an element the patch adds goes before the original elements that follow it, not at the end.
 */
function patchOrder(merged: unknown[], orig: unknown[], patch: unknown[], key: string): unknown[] {
  const id = (x: unknown) => (isObject(x) ? x[key] : undefined);
  const patchIds = patch.filter((p) => isObject(p) && p.$patch !== 'delete').map(id);
  const origIds = orig.map(id);
  const named = merged
    .filter((x) => patchIds.includes(id(x)))
    .sort((a, b) => patchIds.indexOf(id(a)) - patchIds.indexOf(id(b)));
  const rest = merged.filter((x) => !patchIds.includes(id(x)));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < rest.length || j < named.length) {
    if (j >= named.length) out.push(rest[i++]);
    else if (i >= rest.length) out.push(named[j++]);
    else {
      const li = origIds.indexOf(id(rest[i]));
      const ri = origIds.indexOf(id(named[j]));
      if (li >= 0 && ri >= 0 && li < ri) out.push(rest[i++]);
      else out.push(named[j++]);
    }
  }
  return out;
}

/** Orders `list` as `order` says (by merge key or value); elements it does not name keep their place after those it names. */
function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const id = (x: unknown) => (key && isObject(x) ? x[key] : x);
  const orderIds = order.map((o) => (key && isObject(o) ? o[key] : o));
  const named = list.filter((x) => orderIds.some((o) => o === id(x)));
  const rest = list.filter((x) => !orderIds.some((o) => o === id(x)));
  named.sort((a, b) => orderIds.indexOf(id(a)) - orderIds.indexOf(id(b)));
  return [...named, ...rest];
}

/** A value from a patch, without the directives (which mean nothing where there is nothing to merge with). */
function stripDirectives(v: unknown, meta: TypeMeta | undefined): unknown {
  if (Array.isArray(v))
    return v.filter((x) => !(isObject(x) && x.$patch === 'delete')).map((x) => stripDirectives(x, meta));
  if (!isObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x, meta?.[k]?.fields);
  }
  return out;
}
