// The forwarding decision's view of Python (Lezer's Python grammar).
import type { Conditional, Grammar, IncomingKind } from './grammar';
import { inScopes, memoWrites } from './scopes';
import { compact, kids, same, type SyntaxNode, textOf } from './tree';

/** The variable an assignment target or callee is rooted at: `headers` of `headers["a"]`, `req.add_header`. */
export function rootName(src: string, n: SyntaxNode | null): string | undefined {
  while (n?.name === 'MemberExpression' || n?.name === 'CallExpression') n = n.firstChild;
  return n?.name === 'VariableName' ? textOf(src, n) : undefined;
}

/** The nodes after each keyword `kw` among `n`'s children. */
const after = (n: SyntaxNode, kw: string) =>
  kids(n)
    .filter((k) => k.name === kw)
    .map((k) => k.nextSibling)
    .filter((k): k is SyntaxNode => !!k);

function conditional(_src: string, n: SyntaxNode): Conditional | undefined {
  const ks = kids(n);
  if (n.name === 'ConditionalExpression') return { tests: after(n, 'if'), branches: [ks[0], ks[ks.length - 1]] };
  if (n.name === 'IfStatement')
    return { tests: [...after(n, 'if'), ...after(n, 'elif')], branches: ks.filter((k) => k.name === 'Body') };
  if (/ComprehensionExpression$/.test(n.name)) {
    const tests = after(n, 'if');
    if (!tests.length) return undefined;
    return { tests, branches: ks.filter((k) => !tests.some((t) => same(t, k)) && k.name !== 'if') };
  }
  return undefined;
}

/** Statements that set `name`, change it (`name[...] = `, `name.update(...)`, `inject(name)`), or loop over values into it. */
function writes(src: string, scopes: SyntaxNode[], name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const kinds = ['AssignStatement', 'UpdateStatement', 'ExpressionStatement', 'ForStatement', 'WithStatement'];
  for (const s of kinds.flatMap((k) => inScopes(python, src, scopes, k))) {
    const ks = kids(s);
    if (s.name === 'AssignStatement' || s.name === 'UpdateStatement') {
      const op = ks.findIndex((k) => k.name === 'AssignOp' || k.name === 'UpdateOp');
      if (ks.slice(0, op).some((t) => rootName(src, t) === name)) out.push(s);
    } else if (s.name === 'ExpressionStatement' && s.firstChild?.name === 'CallExpression') {
      const call = s.firstChild;
      const args = kids(call.getChild('ArgList') ?? call).map((a) => rootName(src, a));
      const callee = call.firstChild;
      if (
        (callee?.name === 'MemberExpression' && rootName(src, callee) === name) ||
        (python.isInject(src, call) && args.includes(name))
      )
        out.push(s);
    } else if (s.name === 'ForStatement' || s.name === 'WithStatement') {
      const bound =
        s.name === 'ForStatement'
          ? ks.slice(
              1,
              ks.findIndex((k) => k.name === 'in'),
            )
          : after(s, 'as');
      const value = s.name === 'ForStatement' ? after(s, 'in')[0] : s.getChild('as')?.prevSibling;
      if (value && bound.some((b) => b.name === 'VariableName' && textOf(src, b) === name)) out.push(value);
    }
  }
  return out;
}

function reference(src: string, n: SyntaxNode): string | undefined {
  if (n.name !== 'VariableName') return undefined;
  const p = n.parent;
  // An assignment's own target, a keyword argument's name and a parameter are no reads.
  if (p?.name === 'ArgList' && n.nextSibling?.name === 'AssignOp') return undefined;
  if (p?.name === 'ParamList') return undefined;
  return textOf(src, n);
}

function incomingExpression(src: string, n: SyntaxNode): IncomingKind | undefined {
  if (n.name !== 'MemberExpression') return undefined;
  return /^(self|request|req)\.headers$/.test(compact(textOf(src, n))) ? 'headers' : undefined;
}

const handlerClass = /RequestHandler|HTTPRequestHandler/;

function incomingParams(src: string, fn: SyntaxNode, root: SyntaxNode): Map<string, IncomingKind> {
  const m = new Map<string, IncomingKind>();
  const params = python.params(src, fn);
  for (const p of params) if (p === 'request' || p === 'req') m.set(p, 'request');
  const cls = fn.parent?.parent?.name === 'ClassDefinition' ? fn.parent.parent : fn.parent?.parent?.parent;
  if (params[0] === 'self' && cls?.name === 'ClassDefinition') {
    const bases = cls.getChild('ArgList');
    const name = python.functionName(src, fn) ?? '';
    if ((bases && handlerClass.test(textOf(src, bases))) || /^do_[A-Z]+$/.test(name)) m.set('self', 'request');
  }
  // Flask's and similar frameworks' request proxy, imported at module level.
  for (const imp of root.getChildren('ImportStatement'))
    if (/^from\s+(flask|quart|werkzeug)\b.*\bimport\b.*\brequest\b/s.test(textOf(src, imp)))
      m.set('request', 'request');
  return m;
}

export const python: Grammar = {
  functions: new Set(['FunctionDefinition', 'LambdaExpression']),
  conditional,
  writes: (src, scopes, name) => cachedWrites(src, scopes, name),
  reference,
  incomingExpression,
  incomingParams,
  params: (src, fn) =>
    (fn.getChild('ParamList') ? kids(fn.getChild('ParamList')!) : [])
      .filter((k) => k.name === 'VariableName')
      .map((k) => textOf(src, k)),
  functionName: (src, fn) => {
    const n = fn.getChild('VariableName');
    return n ? textOf(src, n) : undefined;
  },
  assignments: (src, fn) =>
    inScopes(python, src, [fn], 'AssignStatement').flatMap((s) => {
      const ks = kids(s);
      const value = ks[ks.length - 1];
      return ks[0].name === 'VariableName' && ks[1]?.name === 'AssignOp' ? [{ name: textOf(src, ks[0]), value }] : [];
    }),
  args: (call) => positional(call),
  isInject: (src, n) => n.name === 'CallExpression' && /(^|\.)inject$/.test(compact(textOf(src, n.firstChild!))),
};

/** A call's positional arguments (before any keyword argument). */
export function positional(call: SyntaxNode): SyntaxNode[] {
  const args = kids(call.getChild('ArgList') ?? call).filter((k) => !['(', ')', ','].includes(k.name));
  const kw = args.findIndex((a) => a.nextSibling?.name === 'AssignOp' || a.name === '*' || a.name === '**');
  return kw < 0 ? args : args.slice(0, kw);
}

const cachedWrites = memoWrites(python, writes);
