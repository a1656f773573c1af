// What the forwarding decision needs to know about a language, so one decision serves both the
// Python and the JavaScript/TypeScript readers.
import type { SyntaxNode } from './tree';

/** A conditional's tests and the branches they choose between. A filter or an `if` without `else` has one branch. */
export interface Conditional {
  tests: SyntaxNode[];
  branches: SyntaxNode[];
}

/** How a name holding incoming request data can be read: a headers map, or a request object. */
export type IncomingKind = 'headers' | 'request';

export interface Grammar {
  /** Node names of function-like nodes (a scope of their own). */
  functions: ReadonlySet<string>;
  conditional(src: string, n: SyntaxNode): Conditional | undefined;
  /** The statements (or loop iterables) in `scopes` that set or change `name`. */
  writes(src: string, scopes: SyntaxNode[], name: string): SyntaxNode[];
  /** The name a reference node refers to (a variable, or a shorthand property), else undefined. */
  reference(src: string, n: SyntaxNode): string | undefined;
  /** A request's headers read without a variable in between: `self.headers`, `req.headers`, `request.headers`. */
  incomingExpression(src: string, n: SyntaxNode): IncomingKind | undefined;
  /** Names that hold the incoming request in `fn` by convention or framework (a handler's `req`, Flask's `request`). */
  incomingParams(src: string, fn: SyntaxNode, root: SyntaxNode): Map<string, IncomingKind>;
  params(src: string, fn: SyntaxNode): string[];
  functionName(src: string, fn: SyntaxNode): string | undefined;
  /** `NAME = value` assignments directly in `scope`. */
  assignments(src: string, scope: SyntaxNode): { name: string; value: SyntaxNode }[];
  /** A call's positional arguments. */
  args(call: SyntaxNode): SyntaxNode[];
  /** A call that hands a carrier to OpenTelemetry's propagator. */
  isInject(src: string, n: SyntaxNode): boolean;
}
