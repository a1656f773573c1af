// The route on a request: `x-devlane-route: KEY`, and a W3C baggage member `devlane=KEY` merged
// into whatever baggage the client already sent (its other members kept, an old devlane member
// replaced), so that services that propagate either form carry the route deeper.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import {
  baggageHeader,
  baggageKey,
  baggageMember,
  copyHeader,
  labels,
  routeHeader,
} from '../core/session/route-contract';

/** The baggage members other than Devlane's: `a=1, devlane=OLD;p=1` → `['a=1']`. */
export function otherBaggageMembers(incoming: string | string[] | undefined): string[] {
  return (Array.isArray(incoming) ? incoming.join(',') : (incoming ?? ''))
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m && m.split('=')[0].trim() !== baggageKey);
}

/** `a=1, devlane=OLD;p=1` + KEY → `a=1,devlane=KEY`. */
export function mergeBaggage(incoming: string | string[] | undefined, key: string): string {
  return [...otherBaggageMembers(incoming), baggageMember(key)].join(',');
}

/** Headers that describe one connection, not the request: never forwarded as they came. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The headers to send upstream: the client's, without hop-by-hop ones (an upgrade keeps its
 * Connection/Upgrade pair), Host set to the Service as in-cluster callers name it, and the route.
 */
export function upstreamHeaders(
  h: IncomingHttpHeaders,
  key: string,
  host: string,
  upgrade = false,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(h)) {
    if (value === undefined || hopByHop.has(name) || name === 'host' || name === routeHeader || name === baggageHeader)
      continue;
    out[name] = value;
  }
  if (upgrade && h.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = h.upgrade;
  }
  if (h.host) out['x-forwarded-host'] = h.host;
  out.host = host;
  out[routeHeader] = key;
  out[baggageHeader] = mergeBaggage(h[baggageHeader], key);
  return out;
}

/** Response headers from upstream as a raw list, without hop-by-hop ones (Node frames the body itself). */
export function downstreamHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (!hopByHop.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  return out;
}

/** The session whose developer copy a pod is, from the labels Devlane puts on copies; else undefined. */
export function copyOf(podLabels: Record<string, string>): string | undefined {
  return podLabels[labels.role] === 'dev' ? podLabels[labels.session] : undefined;
}

/**
 * An answer from a pod the proxy reached directly carries no `x-devlane-copy` (no router or mesh
 * route set it): when that pod is a copy, say so as the routing strategies do.
 */
export function withCopyMarker(raw: string[], podLabels: Record<string, string>): string[] {
  const session = copyOf(podLabels);
  if (session === undefined) return raw;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === copyHeader) return raw;
  return [...raw, copyHeader, session];
}
