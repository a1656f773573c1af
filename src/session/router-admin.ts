// Reads a router pod's admin port over HTTP from inside the pod (exec), with whichever client the
// image has: curl (the public nginx image) or busybox wget (Alpine variants). The answer is parsed
// strictly: a cut exec stream yields no status line, which is an unknown outcome, never success.
import type { ExecContext } from './exec-context';
import { apiTypes } from '../core/api-types';
import type { Pod } from '../core/resources';
import { selectors } from '../core/session/route-contract';

export interface AdminAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Undefined when no complete answer came back (no client in the image, a cut stream, nginx down). */
export function adminGet(
  ctx: ExecContext,
  namespace: string,
  pod: string,
  adminPort: number,
  path: string,
): Promise<AdminAnswer | undefined> {
  return routerPodGet(ctx, namespace, pod, `http://127.0.0.1:${adminPort}${path}`);
}

/** A GET from inside a router pod to `url` (made by Devlane, never from user input: it is quoted, not escaped). */
export async function routerPodGet(
  ctx: ExecContext,
  namespace: string,
  pod: string,
  url: string,
): Promise<AdminAnswer | undefined> {
  const script = `if command -v curl >/dev/null 2>&1; then curl -sS -i --max-time 10 '${url}'; else wget -S -q -O - -T 10 '${url}' 2>&1; fi`;
  const r = await ctx.api.exec(namespace, pod, 'router', ['sh', '-c', script], ctx.signal);
  return parseAnswer(r.stdout);
}

/** An HTTP/1.x answer as curl -i prints it (or wget -S, whose header lines are indented). */
export function parseAnswer(text: string): AdminAnswer | undefined {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^\s*HTTP\/\d(\.\d)? \d{3}/.test(l));
  if (start < 0) return undefined;
  const status = Number(/^\s*HTTP\/\S+ (\d{3})/.exec(lines[start])![1]);
  const headers: Record<string, string> = {};
  let i = start + 1;
  for (; i < lines.length; i++) {
    if (lines[i].trim() === '') {
      i++;
      break;
    }
    const m = /^\s*([A-Za-z0-9-]+):\s*(.*)$/.exec(lines[i]);
    if (!m) break;
    headers[m[1].toLowerCase()] = m[2].trim();
  }
  return { status, headers, body: lines.slice(i).join('\n') };
}

/** The router pods of a Service that can be exec'd into and serve: Ready and not terminating. */
export async function readyRouterPods(ctx: ExecContext, namespace: string, service: string): Promise<Pod[]> {
  const pods = await ctx.api.list<Pod>(
    apiTypes.pod,
    namespace,
    { labelSelector: selectors.routerPods(service) },
    ctx.signal,
  );
  return pods.filter(
    (p) =>
      !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}
