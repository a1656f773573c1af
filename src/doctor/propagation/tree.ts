// Small helpers over Lezer syntax trees, shared by the Python and the JavaScript/TypeScript
// readers. Lezer trees are concrete (every token is a node, named by the grammar), so these work
// by node name and source text.
import type { SyntaxNode } from '@lezer/common';
import { baggageHeader, routeHeader } from '../../core/session/route-contract';

export type { SyntaxNode };

export const textOf = (src: string, n: SyntaxNode): string => src.slice(n.from, n.to);

export function kids(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** Every node under `n` (itself included) named `name`, or all of them, in source order. */
export function descendants(n: SyntaxNode, name?: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (m: SyntaxNode) => {
    if (!name || m.name === name) out.push(m);
    for (let c = m.firstChild; c; c = c.nextSibling) visit(c);
  };
  visit(n);
  return out;
}

export function ancestors(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let p = n.parent; p; p = p.parent) out.push(p);
  return out;
}

/** The same node of the tree (Lezer hands out a new object for a node each time it is reached). */
export const same = (a: SyntaxNode, b: SyntaxNode): boolean => a.from === b.from && a.to === b.to && a.name === b.name;

export const within = (inner: SyntaxNode, outer: SyntaxNode): boolean =>
  inner.from >= outer.from && inner.to <= outer.to;

/** The headers that carry a session's route key, in the order a fix forwards them. */
export const routeHeaders: readonly string[] = [routeHeader, baggageHeader];

/** Source text without whitespace, to compare callees as written: `requests . get` is `requests.get`. */
export const compact = (s: string): string => s.replace(/\s+/g, '');

/** A string literal's value, for plain quoted literals (no escapes, no interpolation). */
export function literal(src: string, n: SyntaxNode): string | undefined {
  const t = textOf(src, n).replace(/^[rbuRBU]{0,2}/, '');
  const m = /^(['"`])([^'"`\\]*)\1$/.exec(t);
  return m?.[2];
}

export const isRouteHeaderName = (s: string | undefined): boolean => !!s && routeHeaders.includes(s.toLowerCase());
