// Which session a view row, link or command means: context, namespace and name. Join links carry
// the same three values in a `vscode://<publisher>.<name>/join?...` URI, which a colleague copies
// and opens; parsing validates each value, since a link arrives from outside the editor.
import { sessionNameProblem } from '../core/session/names';

export interface SessionRef {
  context: string;
  namespace: string;
  session: string;
}

export const sessionKey = (r: SessionRef): string => `${r.context}/${r.namespace}/${r.session}`;

/**
 * How tabs and terminals name a session: with its namespace always, since the same name may be
 * used in two namespaces and a terminal cannot be renamed once open (adding it only on a clash
 * would leave the first one ambiguous). The context is in the panel's header.
 */
export const sessionTitle = (r: SessionRef): string => `${r.session} · ${r.namespace}`;

/** The title of the session panel's tab. */
export const panelTitle = (r: SessionRef): string => `Session ${sessionTitle(r)}`;

/** The title of the terminal streaming a copy's logs. */
export const copyLogsTitle = (service: string, r: SessionRef): string =>
  `${service} (copy, session ${sessionTitle(r)})`;

export const sameSession = (a: SessionRef | undefined, b: SessionRef | undefined): boolean =>
  !!a && !!b && sessionKey(a) === sessionKey(b);

/** The join link: `vscode://devlane.devlane/join?context=…&namespace=…&session=…` (scheme from vscode.env.uriScheme). */
export function joinLink(ref: SessionRef, extensionId: string, scheme = 'vscode'): string {
  const q = new URLSearchParams({ context: ref.context, namespace: ref.namespace, session: ref.session });
  return `${scheme}://${extensionId}/join?${q.toString()}`;
}

const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The session a join link names, or why the link cannot be used. `path` and `query` are the URI's. */
export function parseJoinLink(path: string, query: string): { ref: SessionRef } | { problem: string } {
  if (path.replace(/^\/+/, '') !== 'join') return { problem: `Devlane links start with /join; this one is "${path}"` };
  const q = new URLSearchParams(query);
  const context = q.get('context') ?? '';
  const namespace = q.get('namespace') ?? '';
  const session = q.get('session') ?? '';
  if (!context) return { problem: 'The link names no context' };
  if (!namespace || namespace.length > 63 || !dnsName.test(namespace))
    return { problem: `The link names no valid namespace ("${namespace}")` };
  const bad = sessionNameProblem(session);
  if (bad) return { problem: `The link names no valid session: ${bad}` };
  return { ref: { context, namespace, session } };
}

/** The confirmation a join link shows: a warning that names why, when the place looks like production. */
export function joinQuestion(
  ref: SessionRef,
  productionReason: string | undefined,
): { warning: boolean; message: string; detail: string } {
  const detail = 'You become a participant: you get its route key, and can take over services in it.';
  const message = `Join session ${ref.session} in ${ref.context} / ${ref.namespace}?`;
  if (!productionReason) return { warning: false, message, detail };
  return {
    warning: true,
    message: `${message} This looks like production.`,
    detail: `${productionReason}.\n\nThe link came from outside the editor: join only if you expected it. ${detail} What you take over there receives the production requests that carry the route key.`,
  };
}
