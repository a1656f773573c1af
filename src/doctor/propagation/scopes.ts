// Scopes and the incoming request data reachable at a call: the enclosing functions (closures see
// their outer functions' names), the names holding the incoming request or its headers there, and
// parameters fed with them by callers in the same file.
import type { Grammar, IncomingKind } from './grammar';
import type { Incoming } from './forwarding';
import type { Tree } from '@lezer/common';
import { ancestors, compact, descendants, type SyntaxNode, textOf } from './tree';

/** The functions around `n`, innermost first. */
export const functionChain = (g: Grammar, n: SyntaxNode): SyntaxNode[] =>
  ancestors(n).filter((a) => g.functions.has(a.name));

/**
 * One walk of a file's tree, kept for the questions asked many times per call: the nodes directly
 * in each scope (by node name), the calls by callee, and answers already worked out.
 */
interface FileIndex {
  scopes: Map<string, Map<string, SyntaxNode[]>>;
  calls: Map<string, SyntaxNode[]>;
  memo: Map<string, unknown>;
}

const indexes = new WeakMap<Tree, FileIndex>();
const rootScope = 'root';
export const keyOf = (n: SyntaxNode) => `${n.from}:${n.to}:${n.name}`;

function topOf(n: SyntaxNode): SyntaxNode {
  while (n.parent) n = n.parent;
  return n;
}

function fileIndex(g: Grammar, src: string, n: SyntaxNode): FileIndex {
  const top = topOf(n);
  const known = top.tree && indexes.get(top.tree);
  if (known) return known;
  const ix: FileIndex = { scopes: new Map(), calls: new Map(), memo: new Map() };
  const add = <K, V>(m: Map<K, V[]>, k: K, v: V) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  const visit = (m: SyntaxNode, scope: string) => {
    for (let c = m.firstChild; c; c = c.nextSibling) {
      const byName = ix.scopes.get(scope) ?? ix.scopes.set(scope, new Map()).get(scope)!;
      add(byName, c.name, c);
      if (c.name === 'CallExpression' && c.firstChild) add(ix.calls, compact(textOf(src, c.firstChild)), c);
      visit(c, g.functions.has(c.name) ? keyOf(c) : scope);
    }
  };
  visit(top, rootScope);
  if (top.tree) indexes.set(top.tree, ix);
  return ix;
}

/** `compute()`, once per file and `key`. */
export function memo<T>(g: Grammar, src: string, n: SyntaxNode, key: string, compute: () => T): T {
  const m = fileIndex(g, src, n).memo;
  if (!m.has(key)) m.set(key, compute());
  return m.get(key) as T;
}

/** Nodes named `name` whose nearest enclosing function is one of `scopes` (the file's top node: none). */
export function inScopes(g: Grammar, src: string, scopes: SyntaxNode[], name: string): SyntaxNode[] {
  if (!scopes.length) return [];
  const ix = fileIndex(g, src, scopes[0]);
  return scopes.flatMap((s) => ix.scopes.get(s.parent ? keyOf(s) : rootScope)?.get(name) ?? []);
}

/** `writes`, once per file, scopes and name. */
export function memoWrites(g: Grammar, writes: Grammar['writes']): Grammar['writes'] {
  return (src, scopes, name) =>
    scopes.length
      ? memo(g, src, scopes[0], `writes ${scopes.map(keyOf).join(' ')} ${name}`, () => writes(src, scopes, name))
      : [];
}

/** The calls in the file whose callee is written as one of `callees`. */
export function callsTo(g: Grammar, src: string, n: SyntaxNode, callees: string[]): SyntaxNode[] {
  const ix = fileIndex(g, src, n);
  return callees.flatMap((c) => ix.calls.get(c) ?? []);
}

/** Of what kind an expression is, as incoming request data: a headers map, the request, or none. */
export function kindOf(g: Grammar, src: string, e: SyntaxNode, known: Incoming): IncomingKind | undefined {
  const direct = g.incomingExpression(src, e);
  if (direct) return direct;
  const name = g.reference(src, e);
  if (name) return known.get(name);
  if (!/Dictionary|Object|Call|Comprehension/.test(e.name)) return undefined;
  // A copy of all of them (`dict(h)`, `{**h}`, `{k: v for k, v in h.items()}`), not a pick of some.
  const mentions = descendants(e).some((d) => {
    const n = g.reference(src, d);
    const headers = g.incomingExpression(src, d) === 'headers' || (n !== undefined && known.get(n) === 'headers');
    return headers && !picks(src, d);
  });
  return mentions ? 'headers' : undefined;
}

/** `h[k]` or `h.get(k)`: reads one header of `h`. */
function picks(src: string, d: SyntaxNode): boolean {
  const p = d.parent;
  if (p?.name !== 'MemberExpression' || p.firstChild?.from !== d.from) return false;
  const rest = src.slice(d.to, p.to).replace(/\s+/g, '');
  return rest.startsWith('[') || /^\.(get|getheader|get_all)$/.test(rest);
}

function incomingIn(g: Grammar, src: string, root: SyntaxNode, fn: SyntaxNode, depth: number): Incoming {
  return memo(g, src, fn, `incoming ${keyOf(fn)} ${depth}`, () => incomingInOnce(g, src, root, fn, depth));
}

function incomingInOnce(g: Grammar, src: string, root: SyntaxNode, fn: SyntaxNode, depth: number): Incoming {
  const m: Incoming = new Map(g.incomingParams(src, fn, root));
  const name = g.functionName(src, fn);
  if (name && depth > 0) {
    const params = g.params(src, fn);
    for (const call of callsTo(g, src, fn, [name, `self.${name}`, `this.${name}`])) {
      const known = incomingAt(g, src, root, call, depth - 1);
      const method = compact(textOf(src, call.firstChild!)).startsWith('self.');
      const offset = method && (params[0] === 'self' || params[0] === 'cls') ? 1 : 0;
      g.args(call).forEach((a, i) => {
        const p = params[i + offset];
        const kind = kindOf(g, src, a, known);
        if (p && kind && !m.has(p)) m.set(p, kind);
      });
    }
  }
  // Names assigned from incoming data, until nothing changes.
  const assigned = g.assignments(src, fn);
  for (let changed = true; changed;) {
    changed = false;
    for (const { name: n, value } of assigned) {
      const kind = m.has(n) ? undefined : kindOf(g, src, value, m);
      if (!kind) continue;
      m.set(n, kind);
      changed = true;
    }
  }
  return m;
}

/** The incoming request data in reach at `n`: of its functions, innermost names first. */
export function incomingAt(g: Grammar, src: string, root: SyntaxNode, n: SyntaxNode, depth = 3): Incoming {
  const out: Incoming = new Map();
  for (const fn of functionChain(g, n))
    for (const [k, v] of incomingIn(g, src, root, fn, depth)) if (!out.has(k)) out.set(k, v);
  return out;
}

/** The expression reading the incoming headers here: the request's headers, or a map of them. */
export function incomingSource(incoming: Incoming, requestHeaders: (name: string) => string): string | undefined {
  const entries = [...incoming];
  const req = entries.find(([, k]) => k === 'request');
  if (req) return requestHeaders(req[0]);
  return entries.find(([, k]) => k === 'headers')?.[0];
}
