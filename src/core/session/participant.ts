// A participant is one Devlane instance of one user: the user as the API server authenticates
// them (never the kubeconfig's name for the entry, which colleagues often share), plus an
// instance id, so that the same person in two editor windows is two participants, each with its
// own Lease, and closing one window gives back only what that window took over.
import { createHash, randomBytes } from 'node:crypto';

const separator = '#';

/** `alice@example.com#editor-3fa2b1`: the user, then the instance. */
export function participantId(username: string, instance: string): string {
  return `${username}${separator}${instance}`;
}

/** Trace Route's participant beside `participant`: the same user and instance, marked, with a Lease and observe hops of its own. */
export function tracerOf(participant: string): string {
  return `${participant}.trace`;
}

/** The user part of a participant id (the whole text for ids written before instances existed). */
export function participantUser(id: string): string {
  const at = id.lastIndexOf(separator);
  return at > 0 ? id.slice(0, at) : id;
}

/** `alice (editor-3fa2b1)`: a participant as people read it. */
export function participantLabel(id: string): string {
  const user = participantUser(id);
  return user === id ? id : `${user} (${id.slice(user.length + separator.length)})`;
}

/** A new editor window's instance id: random, kept by the window so that a reload resumes it. */
export function newEditorInstance(random: (n: number) => Uint8Array = randomBytes): string {
  return `editor-${Buffer.from(random(4)).toString('hex')}`;
}

/** The CLI's instance id: the same on every run on this machine, so `start --detach` and a later `leave` agree. */
export function cliInstance(hostname: string): string {
  return `cli-${createHash('sha256').update(hostname).digest('hex').slice(0, 8)}`;
}

/** Instance ids given by hand (`--instance`, DEVLANE_INSTANCE): short, and without the separator. */
export function instanceProblem(instance: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(instance)
    ? undefined
    : `instance id "${instance}" must be 1 to 40 letters, digits, ".", "_" or "-"`;
}
