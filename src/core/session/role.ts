// The least-privilege Role for sessions, and the manifest that grants a list of missing permissions.
// `sessionRules` is what README.md ("Permissions") and sandbox/demo/manifests/rbac.yaml ship.
import { type AccessCheck, accessCheckText } from '../api-types';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Everything a session needs in its namespace (the preflight checks each verb a plan uses). */
export const sessionRules: PolicyRule[] = [
  // Read what is being taken over, and watch the copy start.
  {
    apiGroups: [''],
    resources: ['pods', 'services', 'endpoints', 'configmaps', 'events', 'persistentvolumeclaims'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['get', 'list', 'watch'] },
  // A Service's endpoints following a selector switch (to the router and back).
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  // The record (ConfigMap), dev Services, the origin Service, and switching a Service to the router.
  { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['create', 'update', 'delete'] },
  // Dev copies and routers.
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'update', 'delete'] },
  // Reload routers; logs, sync and debugging of the copy.
  { apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['get', 'create'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  // One Lease per participant (renewed with a merge patch: the only patch Devlane sends; every other
  // edit is read → update with the resourceVersion, so no other rule grants patch).
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  // Istio routes.
  {
    apiGroups: ['networking.istio.io'],
    resources: ['virtualservices'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
  },
  // Gateway API routes (when that strategy is chosen): rules are added to existing HTTPRoutes.
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'list', 'watch', 'update'] },
  // Open Routed URL in front of an Ingress: its rules say which Service a path goes to.
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list'] },
  // The router: refuse to start where NetworkPolicies would drop its traffic.
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list'] },
  // The router's disruption budget (one router stays up through a node drain).
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'create', 'update', 'delete'] },
  // Data branches: the database's name and credentials the copy's environment takes from a Secret,
  // read to check, before a branch is made, that the database can be read (never written anywhere).
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
];

function yamlList(items: string[]): string {
  return `[${items.map((i) => (i === '' ? '""' : i)).join(', ')}]`;
}

export function rulesYaml(rules: PolicyRule[], indent = ''): string {
  return rules
    .map(
      (r) =>
        `${indent}- apiGroups: ${yamlList(r.apiGroups)}\n${indent}  resources: ${yamlList(r.resources)}\n${indent}  verbs: ${yamlList(r.verbs)}`,
    )
    .join('\n');
}

/** Groups checks into rules: one rule per (group, resource). */
export function rulesFor(checks: AccessCheck[]): PolicyRule[] {
  const byKey = new Map<string, PolicyRule>();
  for (const c of checks) {
    const res = c.subresource ? `${c.resource}/${c.subresource}` : c.resource;
    const key = `${c.group}|${res}`;
    const rule = byKey.get(key) ?? { apiGroups: [c.group], resources: [res], verbs: [] };
    if (!rule.verbs.includes(c.verb)) rule.verbs.push(c.verb);
    byKey.set(key, rule);
  }
  return [...byKey.values()];
}

export function roleManifest(namespace: string, rules: PolicyRule[], name = 'devlane-developer'): string {
  return `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nrules:\n${rulesYaml(rules, '  ')}\n`;
}

export function missingText(missing: AccessCheck[]): string {
  return missing.map((m) => `  - ${accessCheckText(m)}`).join('\n');
}
