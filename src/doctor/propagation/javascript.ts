// Outbound HTTP calls in JavaScript and TypeScript source (node:http and node:https, fetch, axios
// and its instances), whether each passes the route headers on, and the edit that makes it
// forward them.
import { parser } from '@lezer/javascript';
import { type Forwarding, ForwardingCheck, type Incoming } from './forwarding';
import { argsOf, js } from './js-grammar';
import { functionChain, incomingAt, incomingSource } from './scopes';
import { compact, routeHeaders, same, type SyntaxNode, textOf } from './tree';
import { type Edit, type Library, type OutboundCall, reportCall } from './types';

const axiosVerbs = 'get|delete|head|options|post|put|patch|request';
const withData = new Set(['post', 'put', 'patch']);

/** Local names of the modules and functions that make requests, and axios instances. */
function bindings(src: string, root: SyntaxNode): Map<string, string> {
  const out = new Map<string, string>();
  const moduleOf = (spec: string) => {
    if (spec === '@opentelemetry/api') return 'otel';
    const m = /^(?:node:)?(https?)$/.exec(spec) ?? /^(axios)$/.exec(spec);
    return m?.[1];
  };
  const bind = (mod: string, clause: string) => {
    const named = /\{([^}]*)\}/.exec(clause);
    for (const item of named ? named[1].split(',') : []) {
      const [name, alias] = item.trim().split(/\s+as\s+|\s*:\s*/);
      if (name) out.set(alias ?? name, `${mod}.${name}`);
    }
    const whole = /^(?:\*\s*as\s+)?([A-Za-z_$][\w$]*)/.exec(clause.replace(/\{[^}]*\}/, '').trim());
    if (whole) out.set(whole[1], mod);
  };
  for (const n of [...root.getChildren('ImportDeclaration'), ...root.getChildren('VariableDeclaration')]) {
    const t = textOf(src, n);
    const imp = /^import\s+(.+?)\s+from\s+['"]([^'"]+)['"]/s.exec(t);
    const req = /^(?:const|let|var)\s+(.+?)\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)/s.exec(t);
    const [clause, spec] = imp ? [imp[1], imp[2]] : req ? [req[1], req[2]] : [];
    const mod = spec && moduleOf(spec);
    if (mod && clause) bind(mod, clause);
  }
  root.cursor().iterate((c) => {
    if (c.name !== 'VariableDeclaration') return;
    const m = /^(?:const|let|var)\s+([\w$]+)\s*=\s*([\w$]+)\.create\(/.exec(textOf(src, c.node));
    if (m && out.get(m[2]) === 'axios') out.set(m[1], 'axios');
  });
  return out;
}

function canonical(callee: string, names: Map<string, string>): string {
  const [head, ...rest] = callee.split('.');
  const full = names.get(head);
  return full ? [full, ...rest].join('.') : callee;
}

function libraryOf(c: string): Library | undefined {
  if (/^https?\.(request|get)$/.test(c)) return c.startsWith('https') ? 'https' : 'http';
  if (/^((globalThis|window|self)\.)?fetch$/.test(c)) return 'fetch';
  if (c === 'axios' || new RegExp(`^axios\\.(${axiosVerbs})$`).test(c)) return 'axios';
  return undefined;
}

const isFunction = (n: SyntaxNode | undefined) => !!n && js.functions.has(n.name);
const isUrl = (n: SyntaxNode | undefined) => !!n && /String|TemplateString|NewExpression/.test(n.name);

/** The argument holding the request options (where `headers` goes), and its position. */
function optionsArg(full: string, args: SyntaxNode[]): { node?: SyntaxNode; index: number } {
  const verb = full.split('.')[1];
  if (full.startsWith('http')) {
    // (options[, cb]) or (url[, options][, cb]): options first only when written as an object.
    const index = args[0]?.name === 'ObjectExpression' ? 0 : 1;
    return { node: isFunction(args[index]) ? undefined : args[index], index };
  }
  if (full === 'fetch' || full.endsWith('.fetch')) return { node: args[1], index: 1 };
  if (full === 'axios' || verb === 'request') {
    const index = isUrl(args[0]) ? 1 : 0;
    return { node: args[index], index };
  }
  const index = withData.has(verb) ? 2 : 1;
  return { node: args[index], index };
}

/** The value of the `headers` property of an options object (a shorthand's name node), if written there. */
function headersOf(src: string, options: SyntaxNode | undefined): SyntaxNode | undefined {
  if (options?.name !== 'ObjectExpression') return options;
  const prop = options
    .getChildren('Property')
    .find((p) => p.firstChild?.name === 'PropertyDefinition' && textOf(src, p.firstChild) === 'headers');
  return prop ? (prop.lastChild ?? undefined) : options;
}

export function javascriptCalls(src: string, typescript: boolean, instrumented: ReadonlySet<Library>): OutboundCall[] {
  const root = parser.configure({ dialect: typescript ? 'ts' : '' }).parse(src).topNode;
  const names = bindings(src, root);
  const out: OutboundCall[] = [];
  root.cursor().iterate((c) => {
    if (c.name !== 'CallExpression') return;
    const call = c.node;
    const calleeNode = call.firstChild!;
    const callee = compact(textOf(src, calleeNode));
    const full = canonical(callee, names);
    const library = libraryOf(full);
    const chain = functionChain(js, call);
    if (!library || !chain.length) return;
    const args = argsOf(call);
    const options = optionsArg(full, args);
    const headers = headersOf(src, options.node);
    const incoming = incomingAt(js, src, root, call);
    const forwarding: Forwarding = instrumented.has(library)
      ? { kind: 'forwards', how: 'otel' }
      : new ForwardingCheck(js, src, call, [...chain, root], incoming).decide(headers);
    out.push(
      reportCall({
        library,
        callee,
        call,
        calleeNode,
        forwarding,
        inRequest: incoming.size > 0,
        fixWith: (fwd) => jsFix(src, call, full, options, fwd),
        explicit: explicitHeaders(incoming),
        otel: otelHeaders(names),
      }),
    );
  });
  return out;
}

/** An object of the route headers, read from the incoming request in reach. */
function explicitHeaders(incoming: Incoming): string | undefined {
  const h = incomingSource(incoming, (n) => `${n}.headers`);
  const list = routeHeaders.map((n) => `'${n}'`).join(', ');
  return h && `Object.fromEntries([${list}].filter((h) => ${h}[h]).map((h) => [h, String(${h}[h])]))`;
}

/** An object OpenTelemetry's propagators fill (W3C trace context and baggage), where the file imports its API. */
function otelHeaders(names: Map<string, string>): string | undefined {
  const local = (full: string) => [...names].find(([, f]) => f === full)?.[0];
  const ns = local('otel');
  const propagation = local('otel.propagation') ?? (ns && `${ns}.propagation`);
  const context = local('otel.context') ?? (ns && `${ns}.context`);
  if (!propagation || !context) return undefined;
  return `(() => { const carrier = {}; ${propagation}.inject(${context}.active(), carrier); return carrier; })()`;
}

/** The edit that merges `fwd` (an object expression) into the call's headers. */
function jsFix(
  src: string,
  call: SyntaxNode,
  full: string,
  options: { node?: SyntaxNode; index: number },
  fwd: string | undefined,
): Edit | undefined {
  if (!fwd) return undefined;
  const merged = (v: string) => `{ ...${/^[\w$.]+$/.test(v) ? v : `(${v})`}, ...${fwd} }`;
  const o = options.node;
  if (o?.name === 'ObjectExpression') {
    const prop = headersOf(src, o);
    if (prop && !same(prop, o)) {
      const shorthand = prop.name === 'PropertyDefinition';
      return { from: prop.from, to: prop.to, insert: `${shorthand ? 'headers: ' : ''}${merged(textOf(src, prop))}` };
    }
    const close = o.lastChild!;
    const before = close.prevSibling;
    const sep = before?.name === '{' || before?.name === ',' ? ' ' : ', ';
    return { from: close.from, to: close.from, insert: `${sep}headers: ${fwd} ` };
  }
  if (o) {
    const v = textOf(src, o);
    return { from: o.from, to: o.to, insert: `{ ...${v}, headers: ${merged(`${v}.headers`)} }` };
  }
  const args = argsOf(call);
  const fill = Array.from({ length: Math.max(0, options.index - args.length) }, () => 'undefined, ').join('');
  const value = `{ headers: ${fwd} }`;
  const at = args[options.index];
  if (at) return { from: at.from, to: at.from, insert: `${value}, ` };
  const close = call.getChild('ArgList')!.lastChild!;
  const sep = args.length ? ', ' : '';
  return { from: close.from, to: close.from, insert: `${sep}${fill}${value}` };
}
