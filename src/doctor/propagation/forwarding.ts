// Whether an outbound call passes the route headers on unconditionally. The headers expression is
// followed through the variables it reads (their assignments, the loops that fill them) to string
// literals naming a route header, a copy of all incoming headers, or an OpenTelemetry inject. On the
// way, every condition that is not a test of the incoming request itself (an environment variable,
// a setting, a flag) is collected: forwarding found only behind such a condition is conditional.
import type { Grammar, IncomingKind } from './grammar';
import { ancestors, isRouteHeaderName, kids, literal, type SyntaxNode, textOf, within } from './tree';

export type How = 'explicit' | 'all' | 'otel';

export type Forwarding =
  { kind: 'forwards'; how: How } | { kind: 'conditional'; how: How; condition: string } | { kind: 'missing' };

/** The incoming request data reachable at a call: names, with what they hold. */
export type Incoming = Map<string, IncomingKind>;

interface Finding {
  how: How;
  conditions: string[];
}

/** How many variables deep a headers expression is followed. */
const maxDepth = 8;

export class ForwardingCheck {
  private readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly g: Grammar,
    private readonly src: string,
    private readonly call: SyntaxNode,
    private readonly scopes: SyntaxNode[],
    private readonly incoming: Incoming,
  ) {}

  decide(headers: SyntaxNode | undefined, extra: SyntaxNode[] = []): Forwarding {
    for (const n of [...(headers ? [headers] : []), ...extra]) this.examine(n, [], 0);
    const clean = this.findings.find((f) => f.conditions.length === 0);
    if (clean) return { kind: 'forwards', how: clean.how };
    const guarded = this.findings[0];
    if (guarded) return { kind: 'conditional', how: guarded.how, condition: guarded.conditions[0] };
    return { kind: 'missing' };
  }

  /** Whether a test reads the incoming request (a check that a header is present), not configuration. */
  private readsIncoming(test: SyntaxNode): boolean {
    const stack = [test];
    while (stack.length) {
      const n = stack.pop()!;
      if (this.g.incomingExpression(this.src, n)) return true;
      const name = this.g.reference(this.src, n);
      if (name && this.incoming.has(name)) return true;
      stack.push(...kids(n));
    }
    return false;
  }

  private examine(n: SyntaxNode, conditions: string[], depth: number): void {
    if (depth > maxDepth) return;
    const cond = this.g.conditional(this.src, n);
    if (cond) {
      const config = cond.tests.filter((t) => !this.readsIncoming(t)).map((t) => textOf(this.src, t));
      for (const b of cond.branches) this.examine(b, [...conditions, ...config], depth);
      return;
    }
    if (isRouteHeaderName(literal(this.src, n))) return void this.findings.push({ how: 'explicit', conditions });
    if (this.g.isInject(this.src, n)) return void this.findings.push({ how: 'otel', conditions });
    if (this.wholeIncoming(n)) return void this.findings.push({ how: 'all', conditions });
    const name = this.g.reference(this.src, n);
    if (name) return this.follow(name, conditions, depth);
    for (const k of kids(n)) this.examine(k, conditions, depth);
  }

  /** All incoming headers passed as they are: `req.headers`, `{**incoming}`, `dict(self.headers)`. */
  private wholeIncoming(n: SyntaxNode): boolean {
    const name = this.g.reference(this.src, n);
    const kind = this.g.incomingExpression(this.src, n) ?? (name ? this.incoming.get(name) : undefined);
    if (kind !== 'headers') return false;
    const p = n.parent;
    return !(p?.name === 'MemberExpression' && p.firstChild?.from === n.from && p.firstChild.to === n.to);
  }

  private follow(name: string, conditions: string[], depth: number): void {
    if (this.seen.has(name) || this.incoming.has(name)) return;
    this.seen.add(name);
    for (const w of this.g.writes(this.src, this.scopes, name)) {
      this.examine(w, [...conditions, ...this.guards(w)], depth + 1);
    }
  }

  /** The configuration tests that decide whether `w` runs at all, beyond those around the call too. */
  private guards(w: SyntaxNode): string[] {
    const out: string[] = [];
    for (const a of ancestors(w)) {
      if (within(this.call, a)) break;
      const cond = this.g.conditional(this.src, a);
      if (!cond || cond.tests.some((t) => within(w, t))) continue;
      for (const t of cond.tests) if (!this.readsIncoming(t)) out.push(textOf(this.src, t));
    }
    return out;
  }
}
