// JSON patch (RFC 6902): add, remove, replace, move, copy, test on JSON pointers (RFC 6901).
// Any failing operation fails the whole patch, leaving the object unchanged.

import { isObject } from '../http';

export class JsonPatchError extends Error {}

export interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

export function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer "${p}": it must start with "/"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** The parent container and the last token of a pointer into `doc`. */
function locate(doc: unknown, path: string): { parent: Container; key: string } {
  const tokens = parsePointer(path);
  if (tokens.length === 0)
    throw new JsonPatchError(`the path "${path}" points at the whole document, which cannot be changed this way`);
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = child(cur, t, path);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new JsonPatchError(`doc is missing path: "${path}"`);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function child(cur: unknown, t: string, path: string): unknown {
  if (Array.isArray(cur)) {
    const i = index(t, cur.length, false, path);
    return cur[i];
  }
  if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) return cur[t];
  throw new JsonPatchError(`doc is missing path: "${path}"`);
}

function index(t: string, len: number, forAdd: boolean, path: string): number {
  if (forAdd && t === '-') return len;
  if (!/^(0|[1-9][0-9]*)$/.test(t)) throw new JsonPatchError(`invalid array index "${t}" in path "${path}"`);
  const i = Number(t);
  if (i > len || (!forAdd && i >= len)) throw new JsonPatchError(`array index ${i} out of bounds in path "${path}"`);
  return i;
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of parsePointer(path)) cur = child(cur, t, path);
  return cur;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const { parent, key } = locate(doc, path);
  if (Array.isArray(parent)) parent.splice(index(key, parent.length, true, path), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const { parent, key } = locate(doc, path);
  if (Array.isArray(parent)) parent.splice(index(key, parent.length, false, path), 1);
  else {
    if (!Object.prototype.hasOwnProperty.call(parent, key))
      throw new JsonPatchError(`unable to remove nonexistent key: ${key}: missing value`);
    delete parent[key];
  }
  return doc;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
  }
  return false;
}

export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new JsonPatchError('a JSON patch must be an array of operations');
  let out = structuredClone(doc);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new JsonPatchError(`invalid operation ${JSON.stringify(raw)}: "op" and "path" are required`);
    }
    const op = raw as unknown as Operation;
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needsValue && !('value' in raw))
      throw new JsonPatchError(`operation "${op.op}" on "${op.path}" has no "value"`);
    switch (op.op) {
      case 'add':
        out = add(out, op.path, structuredClone(op.value));
        break;
      case 'remove':
        out = remove(out, op.path);
        break;
      case 'replace':
        get(out, op.path); // must exist
        if (op.path === '') out = structuredClone(op.value);
        else {
          const { parent, key } = locate(out, op.path);
          if (Array.isArray(parent)) parent[index(key, parent.length, false, op.path)] = structuredClone(op.value);
          else parent[key] = structuredClone(op.value);
        }
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw new JsonPatchError(`operation "move" on "${op.path}" has no "from"`);
        const v = get(out, op.from);
        out = remove(out, op.from);
        out = add(out, op.path, v);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw new JsonPatchError(`operation "copy" on "${op.path}" has no "from"`);
        out = add(out, op.path, structuredClone(get(out, op.from)));
        break;
      }
      case 'test': {
        let v: unknown;
        try {
          v = get(out, op.path);
        } catch {
          throw new JsonPatchError(`testing value ${op.path} failed: the path does not exist`);
        }
        if (!equal(v, op.value)) throw new JsonPatchError(`testing value ${op.path} failed: test failed`);
        break;
      }
      default:
        throw new JsonPatchError(`unexpected kind of operation: "${op.op}"`);
    }
  }
  return out;
}
