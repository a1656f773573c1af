// The forwarding decision's view of JavaScript and TypeScript (Lezer's JavaScript grammar).
import type { Conditional, Grammar, IncomingKind } from './grammar';
import { inScopes, memoWrites } from './scopes';
import { compact, kids, same, type SyntaxNode, textOf } from './tree';

/** The variable an expression is rooted at: `headers` of `headers[h]`, `headers.set`. */
export function rootName(src: string, n: SyntaxNode | null): string | undefined {
  while (n?.name === 'MemberExpression' || n?.name === 'CallExpression') n = n.firstChild;
  return n?.name === 'VariableName' ? textOf(src, n) : undefined;
}

/** Positional arguments of a call. */
export const argsOf = (call: SyntaxNode): SyntaxNode[] =>
  kids(call.getChild('ArgList') ?? call).filter((k) => !['(', ')', ','].includes(k.name));

function conditional(_src: string, n: SyntaxNode): Conditional | undefined {
  const ks = kids(n);
  if (n.name === 'ConditionalExpression') return { tests: [ks[0]], branches: [ks[2], ks[4]].filter(Boolean) };
  if (n.name === 'IfStatement') {
    const parens = n.getChild('ParenthesizedExpression');
    if (!parens) return undefined;
    // The condition inside the parentheses, as the user wrote it.
    const test = parens.firstChild?.nextSibling ?? parens;
    return { tests: [test], branches: ks.filter((k) => !same(k, parens) && !['if', 'else'].includes(k.name)) };
  }
  return undefined;
}

function writes(src: string, scopes: SyntaxNode[], name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const kinds = ['VariableDeclaration', 'ExpressionStatement', 'ForOfSpec', 'ForInSpec'];
  for (const s of kinds.flatMap((k) => inScopes(js, src, scopes, k))) {
    if (s.name === 'VariableDeclaration') {
      if (s.getChildren('VariableDefinition').some((d) => textOf(src, d) === name)) out.push(s);
    } else if (s.name === 'ExpressionStatement') {
      const e = s.firstChild;
      const callee = e?.name === 'CallExpression' ? e.firstChild : null;
      const changes =
        (e?.name === 'AssignmentExpression' && rootName(src, e.firstChild) === name) ||
        (callee?.name === 'MemberExpression' && rootName(src, callee) === name) ||
        (e?.name === 'CallExpression' &&
          /^(Object\.assign|(\w+\.)*inject)$/.test(compact(textOf(src, callee!))) &&
          argsOf(e).some((a) => rootName(src, a) === name));
      if (changes) out.push(s);
    } else if (s.name === 'ForOfSpec' || s.name === 'ForInSpec') {
      const bound = s.getChildren('VariableDefinition').some((d) => textOf(src, d) === name);
      const value = s.getChild(s.name === 'ForOfSpec' ? 'of' : 'in')?.nextSibling;
      if (bound && value) out.push(value);
    }
  }
  return out;
}

function reference(src: string, n: SyntaxNode): string | undefined {
  if (n.name === 'VariableName') return textOf(src, n);
  // `{ headers }`: a shorthand property reads the variable of its name.
  if (n.name === 'PropertyDefinition' && n.parent?.name === 'Property' && !n.nextSibling) return textOf(src, n);
  return undefined;
}

function incomingExpression(src: string, n: SyntaxNode): IncomingKind | undefined {
  if (n.name !== 'MemberExpression') return undefined;
  return /^(req|request|ctx|ctx\.request)\.headers$/.test(compact(textOf(src, n))) ? 'headers' : undefined;
}

/** Parameter names by position (an empty name where a position holds a pattern). */
function params(src: string, fn: SyntaxNode): string[] {
  const list = fn.getChild('ParamList');
  if (!list) return [];
  const slots: string[] = [''];
  for (const k of kids(list)) {
    if (k.name === ',') slots.push('');
    else if (k.name === 'VariableDefinition' && !slots[slots.length - 1]) slots[slots.length - 1] = textOf(src, k);
  }
  return slots;
}

const serverCall = /(^|\.)(createServer|get|post|put|patch|delete|all|use|on|handle)$/;

function incomingParams(src: string, fn: SyntaxNode): Map<string, IncomingKind> {
  const m = new Map<string, IncomingKind>();
  const ps = params(src, fn);
  for (const p of ps) if (p === 'req' || p === 'request' || p === 'ctx') m.set(p, 'request');
  // A function handed to a server (http.createServer, app.get, router.post): its first parameter is the request.
  const call = fn.parent?.name === 'ArgList' ? fn.parent.parent : null;
  if (call?.name === 'CallExpression' && ps[0] && serverCall.test(compact(textOf(src, call.firstChild!))))
    m.set(ps[0], 'request');
  return m;
}

function functionName(src: string, fn: SyntaxNode): string | undefined {
  const own =
    fn.getChild('VariableDefinition') ?? (fn.name === 'MethodDeclaration' ? fn.getChild('PropertyDefinition') : null);
  if (own) return textOf(src, own);
  // `const f = (...) => ...`
  const def = fn.prevSibling?.name === 'Equals' ? fn.prevSibling.prevSibling : null;
  return def?.name === 'VariableDefinition' ? textOf(src, def) : undefined;
}

export const js: Grammar = {
  functions: new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunction', 'MethodDeclaration']),
  conditional,
  writes: (src, scopes, name) => cachedWrites(src, scopes, name),
  reference,
  incomingExpression,
  incomingParams: (src, fn) => incomingParams(src, fn),
  params,
  functionName,
  assignments: (src, fn) =>
    inScopes(js, src, [fn], 'VariableDeclaration').flatMap((d) =>
      d.getChildren('VariableDefinition').flatMap((v) => {
        const value = v.nextSibling?.name === 'Equals' ? v.nextSibling.nextSibling : null;
        return value ? [{ name: textOf(src, v), value }] : [];
      }),
    ),
  args: argsOf,
  isInject: (src, n) => n.name === 'CallExpression' && /(^|\.)inject$/.test(compact(textOf(src, n.firstChild!))),
};

const cachedWrites = memoWrites(js, writes);
