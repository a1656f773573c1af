// Outbound HTTP calls in Python source (requests, httpx and its clients, urllib.request), whether
// each passes the route headers on, and the edit that makes it forward them.
import { parser } from '@lezer/python';
import { type Forwarding, ForwardingCheck, type Incoming } from './forwarding';
import { positional, python, rootName } from './python-grammar';
import { functionChain, incomingAt, incomingSource } from './scopes';
import { compact, kids, routeHeaders, type SyntaxNode, textOf } from './tree';
import { type Edit, type Library, type OutboundCall, reportCall } from './types';

const verbs = 'get|post|put|patch|delete|head|options|request';

/** Local names for the modules and functions that make requests: `import requests as r`, `from urllib.request import urlopen`. */
function imports(src: string, root: SyntaxNode): Map<string, string> {
  const names = new Map<string, string>();
  for (const imp of root.getChildren('ImportStatement')) {
    const t = textOf(src, imp).replace(/[()\\\n]/g, ' ');
    const from = /^from\s+([\w.]+)\s+import\s+(.+)$/.exec(t.trim());
    const items = (from ? from[2] : t.trim().replace(/^import\s+/, '')).split(',').map((x) => x.trim());
    for (const item of items) {
      const [name, alias] = item.split(/\s+as\s+/);
      const full = from ? `${from[1]}.${name}` : name;
      names.set(alias ?? name, full);
    }
  }
  return names;
}

/** The callee with its first name replaced by what it was imported as: `ur.urlopen` → `urllib.request.urlopen`. */
function canonical(callee: string, names: Map<string, string>): string {
  const [head, ...rest] = callee.split('.');
  for (let i = rest.length; i >= 0; i--) {
    const prefix = [head, ...rest.slice(0, i)].join('.');
    const full = names.get(prefix);
    if (full) return [full, ...rest.slice(i)].join('.');
  }
  return callee;
}

/** Names bound to a requests Session or an httpx client: `s = requests.Session()`, `with httpx.Client() as c`. */
function clients(src: string, root: SyntaxNode, names: Map<string, string>): Map<string, Library> {
  const out = new Map<string, Library>();
  const libOf = (call: SyntaxNode | null | undefined): Library | undefined => {
    if (call?.name !== 'CallExpression') return undefined;
    const c = canonical(compact(textOf(src, call.firstChild!)), names);
    if (/^requests\.(Session|session)$/.test(c)) return 'requests';
    if (/^httpx\.(Client|AsyncClient)$/.test(c)) return 'httpx';
    return undefined;
  };
  root.cursor().iterate((c) => {
    const n = c.node;
    if (n.name === 'AssignStatement') {
      const lib = libOf(n.lastChild);
      if (lib) out.set(compact(textOf(src, n.firstChild!)), lib);
    } else if (n.name === 'WithStatement') {
      for (const as of kids(n).filter((k) => k.name === 'as')) {
        const lib = libOf(as.prevSibling);
        if (lib && as.nextSibling) out.set(textOf(src, as.nextSibling), lib);
      }
    }
  });
  return out;
}

function libraryOf(callee: string, names: Map<string, string>, bound: Map<string, Library>): Library | undefined {
  const c = canonical(callee, names);
  if (new RegExp(`^requests\\.(${verbs})$`).test(c)) return 'requests';
  if (new RegExp(`^httpx\\.(${verbs}|stream)$`).test(c)) return 'httpx';
  if (/^urllib\.request\.(Request|urlopen)$/.test(c)) return 'urllib';
  const m = new RegExp(`^(.+)\\.(${verbs}|stream)$`).exec(callee);
  return m ? bound.get(m[1]) : undefined;
}

const keyword = (call: SyntaxNode, src: string, key: string): SyntaxNode | undefined => {
  const name = kids(call.getChild('ArgList')!).find(
    (k) => k.name === 'VariableName' && textOf(src, k) === key && k.nextSibling?.name === 'AssignOp',
  );
  return name?.nextSibling?.nextSibling ?? undefined;
};

export function pythonCalls(src: string, instrumented: ReadonlySet<Library>): OutboundCall[] {
  const root = parser.parse(src).topNode;
  const names = imports(src, root);
  const bound = clients(src, root, names);
  const out: OutboundCall[] = [];
  root.cursor().iterate((c) => {
    if (c.name !== 'CallExpression') return;
    const call = c.node;
    const calleeNode = call.firstChild!;
    const callee = compact(textOf(src, calleeNode));
    const library = libraryOf(callee, names, bound);
    const chain = functionChain(python, call);
    if (!library || !chain.length) return;
    const full = canonical(callee, names);
    if (full === 'urllib.request.urlopen' && buildsRequest(src, call, chain, root, names)) return;
    const headers =
      keyword(call, src, 'headers') ?? (full === 'urllib.request.Request' ? positional(call)[2] : undefined);
    const scopes = [...chain, root];
    const incoming = incomingAt(python, src, root, call);
    const target = assignedTo(src, call);
    const extra = target
      ? python.writes(src, scopes, target).filter((w) => !(w.from <= call.from && w.to >= call.to))
      : [];
    const forwarding: Forwarding = instrumented.has(library)
      ? { kind: 'forwards', how: 'otel' }
      : new ForwardingCheck(python, src, call, scopes, incoming).decide(headers, extra);
    out.push(
      reportCall({
        library,
        callee,
        call,
        calleeNode,
        forwarding,
        inRequest: incoming.size > 0 || chain.some((fn) => routeDecorated(src, fn)),
        fixWith: (fwd) => pythonFix(src, call, full, headers, fwd),
        explicit: explicitHeaders(incoming),
        otel: otelHeaders(names),
      }),
    );
  });
  return out;
}

const routeDecorator = /^@\s*[\w.]+\.(route|get|post|put|patch|delete|api_route|websocket)\s*\(/;

/** A view function: decorated as a route by Flask, FastAPI and the like. */
function routeDecorated(src: string, fn: SyntaxNode): boolean {
  const decorated = fn.parent?.name === 'DecoratedStatement' ? fn.parent : undefined;
  return !!decorated?.getChildren('Decorator').some((d) => routeDecorator.test(textOf(src, d)));
}

/** `req` of `req = Request(...)`: later statements on it (`req.add_header(...)`) count too. */
function assignedTo(src: string, call: SyntaxNode): string | undefined {
  const p = call.parent;
  return p?.name === 'AssignStatement' && p.firstChild?.name === 'VariableName' ? textOf(src, p.firstChild) : undefined;
}

/** `urlopen(req)` where req is a Request built here: the Request is the call that carries headers. */
function buildsRequest(
  src: string,
  call: SyntaxNode,
  chain: SyntaxNode[],
  root: SyntaxNode,
  names: Map<string, string>,
): boolean {
  const arg = positional(call)[0];
  if (!arg) return false;
  const isRequest = (n: SyntaxNode | null | undefined) =>
    n?.name === 'CallExpression' && canonical(compact(textOf(src, n.firstChild!)), names) === 'urllib.request.Request';
  if (isRequest(arg)) return true;
  const name = rootName(src, arg);
  return !!name && python.writes(src, [...chain, root], name).some((w) => isRequest(w.lastChild));
}

/** A dict of the route headers, read from the incoming request in reach. */
function explicitHeaders(incoming: Incoming): string | undefined {
  const h = incomingSource(incoming, (n) => `${n}.headers`);
  const names = routeHeaders.map((n) => `"${n}"`).join(', ');
  return h && `{h: ${h}.get(h) for h in (${names}) if ${h}.get(h)}`;
}

/** A dict OpenTelemetry's propagators fill (W3C trace context and baggage), where the file imports inject. */
function otelHeaders(names: Map<string, string>): string | undefined {
  const local = [...names].find(([, full]) => full === 'opentelemetry.propagate.inject')?.[0];
  const module = [...names].find(([, full]) => full === 'opentelemetry.propagate')?.[0];
  const inject = local ?? (module && `${module}.inject`);
  return inject && `(lambda carrier: ${inject}(carrier) or carrier)({})`;
}

/** The edit that merges `fwd` (a dict expression) into the call's headers. */
function pythonFix(
  src: string,
  call: SyntaxNode,
  full: string,
  headers: SyntaxNode | undefined,
  fwd: string | undefined,
): Edit | undefined {
  if (!fwd) return undefined;
  if (headers) {
    const v = textOf(src, headers);
    const plain = /^(VariableName|MemberExpression|CallExpression|DictionaryExpression)$/.test(headers.name);
    return { from: headers.from, to: headers.to, insert: `{**${plain ? v : `(${v})`}, **${fwd}}` };
  }
  const args = call.getChild('ArgList')!;
  if (full === 'urllib.request.urlopen') {
    const url = positional(call)[0];
    const prefix = textOf(src, call.firstChild!).replace(/urlopen$/, '');
    if (!url || !prefix.endsWith('.')) return undefined;
    return { from: url.from, to: url.to, insert: `${prefix}Request(${textOf(src, url)}, headers=${fwd})` };
  }
  const close = args.lastChild!;
  const before = close.prevSibling;
  const sep = !before || before.name === '(' || before.name === ',' ? '' : ', ';
  return { from: close.from, to: close.from, insert: `${sep}headers=${fwd}` };
}
