// Scopes and the incoming request data reachable at a call: the enclosing functions (closures see
// their outer functions' names), the names holding the incoming request or its headers there, and
// parameters fed with them by callers in the same file.
import type { Grammar, IncomingKind } from './grammar';
import type { Incoming } from './forwarding';
import { ancestors, descendants, type SyntaxNode } from './tree';

/** The functions around `n`, innermost first. */
export const functionChain = (g: Grammar, n: SyntaxNode): SyntaxNode[] =>
  ancestors(n).filter((a) => g.functions.has(a.name));

/** Nodes under `root` whose nearest enclosing function is one of `scopes` (or none, when `root` is one). */
export function inScopes(g: Grammar, scopes: SyntaxNode[], root: SyntaxNode, name?: string): SyntaxNode[] {
  return scopes.flatMap((s) =>
    descendants(s, name).filter((n) => {
      const fn = ancestors(n).find((a) => g.functions.has(a.name));
      return fn ? fn.from === s.from && fn.to === s.to : s === root;
    }),
  );
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
  const m: Incoming = new Map(g.incomingParams(src, fn, root));
  const name = g.functionName(src, fn);
  if (name && depth > 0) {
    const params = g.params(src, fn);
    for (const { call, args, method } of g.callsOf(src, root, name)) {
      const known = incomingAt(g, src, root, call, depth - 1);
      const offset = method && (params[0] === 'self' || params[0] === 'cls') ? 1 : 0;
      args.forEach((a, i) => {
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
