// How a request is recognised as a session's: header `x-devlane-route: KEY`, or a W3C baggage
// member `devlane=KEY` among others (the names are in route-contract.ts). The same rules for every
// strategy, written once.
//
// Baggage (W3C): `member *(OWS "," OWS member)`, member = `key OWS "=" OWS value *(OWS ";" OWS property)`;
// several baggage headers are joined with ",". The pattern below matches the whole header value
// (Istio's regex is an RE2 full match; nginx gets it anchored) when some member's key is
// `devlane` and its value is exactly KEY. Route keys are base64url, so they need no escaping.
import { isRouteKey } from '../core/session/names';
import { baggageKey } from '../core/session/route-contract';

/** An RE2/PCRE pattern that must match the whole baggage value. */
export function baggagePattern(routeKey: string): string {
  if (!isRouteKey(routeKey)) throw new Error('not a route key');
  return `(?:.*,)?[ \\t]*${baggageKey}[ \\t]*=[ \\t]*${routeKey}[ \\t]*(?:;[^,]*)?(?:,.*)?`;
}
