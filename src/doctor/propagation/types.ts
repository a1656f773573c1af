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
