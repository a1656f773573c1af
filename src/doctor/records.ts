// Trace Route's raw material: the access records the Devlane router's nginx writes for every
// front-door request (src/routing/nginx-config.ts, `traceLogFields`), one line each, tab-separated,
// every field JSON-escaped. Pure: the lines come from `tail` in the router pods.
import { traceLogFields } from '../routing/nginx-config';

export interface AccessRecord {
  /** The Service whose router wrote the record. */
  service: string;
  /** The router pod that wrote it. */
  pod: string;
  /** When the request came in and when its answer ended, in ms since the epoch (the router pod's clock). */
  start: number;
  end: number;
  /** The address the request came from (the caller's pod, where nothing in between rewrites it). */
  from: string;
  /** The key as the request carried it: the `x-devlane-route` header, the `devlane` baggage member ("" when absent). */
  routeHeader: string;
  baggageKey: string;
  /** The `devlane-probe` baggage member ("" when absent). */
  probe: string;
  /** The session the router sent it to ("" for the original). */
  session: string;
  /** The address the router sent it to. */
  upstream: string;
  status: number;
}

/** A field as nginx's `escape=json` wrote it; "" for nginx's "-" (no value). */
function unescape(field: string): string {
  if (field === '-') return '';
  try {
    return JSON.parse(`"${field}"`) as string;
  } catch {
    return field;
  }
}

/** The records in `text`; lines that are not whole records (a line cut by `tail`, an older format) are skipped. */
export function parseAccessLog(text: string, where: { service: string; pod: string }): AccessRecord[] {
  const out: AccessRecord[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    if (fields.length !== traceLogFields.length) continue;
    const v = Object.fromEntries(traceLogFields.map((name, i) => [name, unescape(fields[i])])) as Record<
      (typeof traceLogFields)[number],
      string
    >;
    const end = Number(v.msec) * 1000;
    const took = Number(v.request_time) * 1000;
    const status = Number(v.status);
    if (!Number.isFinite(end) || !Number.isFinite(took) || !Number.isInteger(status) || end <= 0) continue;
    out.push({
      ...where,
      start: end - took,
      end,
      from: v.remote_addr,
      routeHeader: v.route_header,
      baggageKey: v.baggage_key,
      probe: v.probe,
      session: v.session,
      upstream: v.upstream,
      status,
    });
  }
  return out;
}

/** Whether the record's request carried this key (in the header or the baggage member). */
export const carriesKey = (r: AccessRecord, routeKey: string): boolean =>
  r.routeHeader === routeKey || r.baggageKey === routeKey;
