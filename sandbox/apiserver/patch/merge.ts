// JSON merge patch (RFC 7386): objects merge key by key, null deletes, anything else replaces.

import { isObject } from '../http';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}
