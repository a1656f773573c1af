// What the propagation check reports about one outbound call.
import type { Forwarding } from './forwarding';

export type Library = 'http' | 'https' | 'fetch' | 'axios' | 'requests' | 'httpx' | 'urllib';

export type SourceLanguage = 'python' | 'javascript' | 'typescript';

/** A replacement of the text in [from, to) (offsets into the source) with `insert`. */
export interface Edit {
  from: number;
  to: number;
  insert: string;
}

export interface OutboundCall {
  library: Library;
  /** The called function as written: `requests.get`, `http.request`, `client.post`. */
  callee: string;
  /** The span of the whole call, and of its callee (where a problem is underlined). */
  from: number;
  to: number;
  calleeFrom: number;
  calleeTo: number;
  forwarding: Forwarding;
  /** Incoming request data is in reach here: the call runs while a request is handled. */
  inRequest: boolean;
  /** The edit that forwards the route headers from the incoming request, when one is in reach. */
  fix?: Edit;
  /** Where the file already uses OpenTelemetry's propagation API: the edit that lets its propagators fill the headers. */
  otelFix?: Edit;
}

/** A span of source text (a syntax node's). */
interface Span {
  from: number;
  to: number;
}

/**
 * One call's report, the same for every language: its spans, whether it forwards, and, when it
 * does not, the edits the language's `fixWith` makes with its explicit and its OpenTelemetry
 * headers expression (each absent where the file has nothing to build it from).
 */
export function reportCall(c: {
  library: Library;
  callee: string;
  call: Span;
  calleeNode: Span;
  forwarding: Forwarding;
  inRequest: boolean;
  fixWith: (headers: string | undefined) => Edit | undefined;
  explicit: string | undefined;
  otel: string | undefined;
}): OutboundCall {
  const forwards = c.forwarding.kind === 'forwards';
  const fix = forwards ? undefined : c.fixWith(c.explicit);
  const otelFix = forwards ? undefined : c.fixWith(c.otel);
  return {
    library: c.library,
    callee: c.callee,
    from: c.call.from,
    to: c.call.to,
    calleeFrom: c.calleeNode.from,
    calleeTo: c.calleeNode.to,
    forwarding: c.forwarding,
    inRequest: c.inRequest,
    ...(fix && { fix }),
    ...(otelFix && { otelFix }),
  };
}
