// Names, annotations and keys of routed sessions; every name fits Kubernetes' limits. The labels
// that make everything Devlane creates findable are in route-contract.ts.
import { createHash, randomBytes } from 'node:crypto';

export const annotations = {
  /** On a Service whose selector Devlane switched to its router: the selector to put back (JSON). */
  originalSelector: 'devlane.dev/original-selector',
  /** On a dev workload: the labels rewritten so that no original Service selects it (JSON). */
  rewrittenLabels: 'devlane.dev/rewritten-labels',
  /** On objects Devlane created for a Service rather than for one session (router, VirtualService). */
  createdFor: 'devlane.dev/created-for',
  /** Which Deployment a dev workload copies. */
  copyOf: 'devlane.dev/copy-of',
  /** On a synced dev copy's pod template: the container and path synced into, the action, and the volumes Devlane added for itself (JSON). */
  sync: 'devlane.dev/sync',
  /** On a data branch's Deployment and Service: the database it was seeded from (host:port/database). */
  branchOf: 'devlane.dev/branch-of',
} as const;

export type Role =
  'record' | 'dev' | 'dev-service' | 'lease' | 'router' | 'router-config' | 'origin' | 'virtualservice' | 'data-branch';

/** Longest session name: leaves room for `<service>-dl-` in the 63-character dev Service name. */
export const maxSessionName = 30;

const dnsLabel = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why a session name cannot be used, or undefined when it can. */
export function sessionNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a session name cannot be empty';
  if (name.length > maxSessionName) return `"${name}" is longer than ${maxSessionName} characters`;
  if (!dnsLabel.test(name))
    return `"${name}" must be lower-case letters, digits and "-", start with a letter and end with a letter or digit`;
  return undefined;
}

/** Lower-case, DNS-safe, without leading/trailing/double dashes: `Alice.Smith@corp` → `alice-smith-corp`. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-0-9]+|-+$/g, '');
}

/** A DNS label from parts, at most `max` characters; a long one is cut and given a short hash, so it stays unique. */
export function fitName(parts: string[], max = 63): string {
  const joined = parts.filter(Boolean).join('-');
  if (joined.length <= max) return joined;
  const hash = createHash('sha256').update(joined).digest('hex').slice(0, 6);
  return `${joined.slice(0, max - 7).replace(/-+$/, '')}-${hash}`;
}

/**
 * A DNS label (and label value) that stands for an identity, at most `max` characters: a readable
 * prefix and a hash of the exact text. Deterministic, and two identities that read alike
 * (`Alice.Smith`, `alice-smith`, `system:serviceaccount:ci:alice-smith`) still get different names.
 */
export function identityName(identity: string, max = 24, hashLength = 8): string {
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, hashLength);
  const prefix = slug(identity)
    .slice(0, Math.max(1, max - hashLength - 1))
    .replace(/-+$/, '');
  return `${prefix || 'u'}-${hash}`;
}

/** The default session name, `<user>-<hash>-<service>`: the hash keeps users whose names read alike apart. */
export function defaultSessionName(user: string, service: string): string {
  const name = fitName([identityName(user, 17, 4), slug(service)], maxSessionName);
  return /^[a-z]/.test(name) ? name : `s-${name}`.slice(0, maxSessionName).replace(/-+$/, '');
}

export const recordName = (session: string) => `devlane-session-${session}`;
/** `devlane-<session>-<participant>`: 8 + 30 + 1 + 24 characters at most, so never cut. */
export const leaseName = (session: string, participant: string) =>
  fitName(['devlane', session, identityName(participant)], 63);
export const devServiceName = (service: string, session: string) => fitName([service, 'dl', session]);
export const devWorkloadName = devServiceName;
export const routerName = (service: string) => fitName([service, 'devlane-router']);
export const originServiceName = (service: string) => fitName([service, 'devlane-origin']);
export const virtualServiceName = (service: string) => fitName([service, 'devlane']);

/** A route key: 192 random bits, base64url (URL-, header- and baggage-safe, no escaping needed). */
export function newRouteKey(random: (n: number) => Uint8Array = randomBytes): string {
  return Buffer.from(random(24)).toString('base64url');
}

/** Route keys are only ever base64url; anything else is refused before it reaches a regex or a config file. */
export function isRouteKey(key: string): boolean {
  return /^[A-Za-z0-9_-]{22,128}$/.test(key);
}
