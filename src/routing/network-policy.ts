// Would NetworkPolicies (networking.k8s.io/v1) drop the router's traffic? Putting the router in
// front of a Service adds three hops that existing policies never had to allow: clients → router
// pods, router pods → original pods, router pods → the developer copy. A policy that selects a pod
// isolates it in that direction, and then only what some rule of the policies selecting it allows
// gets through. This evaluates those rules for the router's hops so that a start can be refused
// with the policy's name, instead of putting a router in the path whose packets are dropped.
import type { KubeObject, LabelSelector } from '../core/resources';
import { matchesLabelSelector } from '../core/selectors';

interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: PolicyPort[];
}
export interface NetworkPolicy extends KubeObject {
  spec?: { podSelector?: LabelSelector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] };
}

export interface PolicyPod {
  /** What the user calls it in a message: "the original pods", "the router pods". */
  what: string;
  labels: Record<string, string>;
  namespace: string;
  namespaceLabels: Record<string, string>;
}
export interface PodPort {
  number: number;
  name?: string;
}

type Direction = 'Ingress' | 'Egress';

/** A NetworkPolicy selector: empty selects everything (unlike a workload's). */
function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  )
    return true;
  return matchesLabelSelector(selector, labels);
}

function directions(p: NetworkPolicy): Direction[] {
  if (p.spec?.policyTypes?.length) return p.spec.policyTypes as Direction[];
  return p.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** The policies that isolate `pod` in `direction`. */
function isolating(policies: NetworkPolicy[], pod: PolicyPod, direction: Direction): NetworkPolicy[] {
  return policies.filter(
    (p) =>
      p.metadata.namespace === pod.namespace &&
      directions(p).includes(direction) &&
      selects(p.spec?.podSelector, pod.labels),
  );
}

/** ipBlock peers name addresses, and pod addresses are not known ahead: they allow nothing here. */
function peerMatches(peer: Peer, other: PolicyPod, policyNamespace: string): boolean {
  if (peer.ipBlock) return false;
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, other.namespaceLabels)
    : other.namespace === policyNamespace;
  return nsOk && (peer.podSelector ? selects(peer.podSelector, other.labels) : true);
}

function portMatches(ports: PolicyPort[] | undefined, port: PodPort): boolean {
  if (!ports?.length) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== 'TCP') return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') return p.port === port.name;
    return p.endPort ? port.number >= p.port && port.number <= p.endPort : port.number === p.port;
  });
}

function allows(policy: NetworkPolicy, direction: Direction, other: PolicyPod | 'anyone', port: PodPort): boolean {
  const rules = (direction === 'Ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
  return rules.some((r) => {
    const peers = direction === 'Ingress' ? r.from : r.to;
    const peerOk =
      !peers?.length ||
      (other !== 'anyone' && peers.some((peer) => peerMatches(peer, other, policy.metadata.namespace ?? '')));
    return peerOk && portMatches(r.ports, port);
  });
}

const names = (ps: NetworkPolicy[]) =>
  ps.map((p) => `NetworkPolicy ${p.metadata.namespace}/${p.metadata.name}`).join(', ');

/**
 * Why traffic from `from` to `to` on `ports` would be dropped, one line per blocked port, or none.
 * `from: 'anyone'` stands for the clients of a Service, which cannot be listed: only a rule open to
 * every source lets them through an isolating policy.
 */
export function blockedTraffic(
  policies: NetworkPolicy[],
  from: PolicyPod | 'anyone',
  to: PolicyPod,
  ports: PodPort[],
): string[] {
  const out: string[] = [];
  const ingress = isolating(policies, to, 'Ingress');
  const egress = from === 'anyone' ? [] : isolating(policies, from, 'Egress');
  const fromText = from === 'anyone' ? 'clients of the Service' : from.what;
  for (const port of ports) {
    const portText = port.name ? `${port.number} (${port.name})` : `${port.number}`;
    if (ingress.length && !ingress.some((p) => allows(p, 'Ingress', from, port))) {
      out.push(
        `${names(ingress)} select${ingress.length === 1 ? 's' : ''} ${to.what} and no rule admits ${fromText} on port ${portText}`,
      );
    }
    if (from !== 'anyone' && egress.length && !egress.some((p) => allows(p, 'Egress', to, port))) {
      out.push(
        `${names(egress)} select${egress.length === 1 ? 's' : ''} ${from.what} and no rule lets them reach ${to.what} on port ${portText}`,
      );
    }
  }
  return out;
}
