// Devlane's local listeners (the routed proxy, the debug tunnel) reach the cluster with the
// user's credentials behind them, so only this machine's own clients may use them. Listening on
// 127.0.0.1 is not enough: a web page can point its own host name at 127.0.0.1 (DNS rebinding)
// and read the answers as same-origin, or post to the listener from any site. So an HTTP request
// must name the listener itself as Host, and a browser request must come from the listener's own
// pages (Origin, Sec-Fetch-Site).
import type { IncomingHttpHeaders } from 'node:http';

/** Why a request to the proxy listening on 127.0.0.1:`port` is refused; undefined to serve it. */
export function localRequestProblem(headers: IncomingHttpHeaders, port: number, what = "Devlane's routed proxy"): string | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = headers.host?.toLowerCase();
  // A bare loopback name is fine too: js-debug sends `Host: localhost` to the Node inspector (as
  // Chrome's and Node's own host checks want), and a page that rebinds its name never sends it.
  if (!host || !(hosts.includes(host) || host === 'localhost' || host === '127.0.0.1')) {
    return `${what} refused a request for Host "${headers.host ?? ''}": it answers only ${hosts.join(' and ')}, so that a web page that points its own name at this machine cannot reach the cluster with your credentials. Open the URL Devlane gave you.`;
  }
  const origin = headers.origin?.toLowerCase();
  if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) {
    return `${what} refused a request made by a page of ${headers.origin}: only the proxy's own pages may call it, so that other sites cannot reach the cluster with your credentials.`;
  }
  if (headers['sec-fetch-site'] === 'cross-site') {
    return `${what} refused a request another site started: open the URL Devlane gave you, or follow links from its own pages.`;
  }
  return undefined;
}
