// Devlane's local listeners (the routed proxy, the debug tunnel) reach the cluster with the
// user's credentials behind them, so only this machine's own clients may use them. Listening on
// 127.0.0.1 is not enough: a web page can point its own host name at 127.0.0.1 (DNS rebinding)
// and read the answers as same-origin, or post to the listener from any site. So an HTTP request
// must name a loopback host (localhost, 127.x.y.z, [::1]; any port, because an editor that forwards
// the port — Remote-SSH, code-server's /proxy/PORT/ — serves it on a port of its own), and a
// browser request must come from a loopback page (Origin, Sec-Fetch-Site). A page that rebinds
// its name carries that name as Host and Origin, never a loopback one.
import type { IncomingHttpHeaders } from 'node:http';

/** Whether `host` (a Host header or an origin's host, with or without a port) names this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const name = (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/** Why a request to the listener on 127.0.0.1:`port` is refused; undefined to serve it. */
export function localRequestProblem(
  headers: IncomingHttpHeaders,
  port: number,
  what = "Devlane's routed proxy",
): string | undefined {
  const host = headers.host ?? '';
  if (!isLoopbackHost(host)) {
    return `${what} refused a request for Host "${host}": it answers only requests for this machine's loopback (127.0.0.1:${port} or localhost:${port}), so that a web page that points its own name at this machine cannot reach the cluster with your credentials. Open the URL Devlane gave you.`;
  }
  const origin = headers.origin;
  if (origin !== undefined && !/^https?:\/\//i.test(origin)) {
    return `${what} refused a request made by a page of ${origin}: only pages on this machine's loopback may call it, so that other sites cannot reach the cluster with your credentials.`;
  }
  if (origin !== undefined && !isLoopbackHost(origin.replace(/^https?:\/\//i, '').replace(/\/.*$/, ''))) {
    return `${what} refused a request made by a page of ${origin}: only pages on this machine's loopback may call it, so that other sites cannot reach the cluster with your credentials.`;
  }
  if (headers['sec-fetch-site'] === 'cross-site') {
    return `${what} refused a request another site started: open the URL Devlane gave you, or follow links from its own pages.`;
  }
  return undefined;
}
