// A GET to a local port on a fresh connection (tunnels, forwards, proxies under test), its body as text.
import * as http from 'node:http';

export function getLocal(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return httpGet(`http://127.0.0.1:${port}${path}`, headers);
}

/** A GET on a fresh connection to any address (a pod or Service address of the cluster under test). */
export function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: u.hostname,
          port: Number(u.port || 80),
          path: u.pathname + u.search,
          headers,
          agent: false,
          timeout: 30_000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        },
      )
      .on('error', reject);
  });
}
