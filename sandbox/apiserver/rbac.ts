// The RBAC authorizer (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac): a request is allowed
// when a rule of a Role or ClusterRole bound to the user (or one of their groups or service
// account identities) covers its verb, API group, resource[/subresource] and name, or its
// non-resource path. system:masters is unrestricted. Nothing is denied explicitly.

import { ApiError, type KObject, type UserInfo } from '../core/types';
import type { Store } from './store';

export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  path: string;
  apiGroup: string;
  apiVersion?: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

const RBAC_KEYS = [
  'roles.rbac.authorization.k8s.io',
  'rolebindings.rbac.authorization.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io',
];

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.includes('*') || rule.verbs.includes(verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  const g = rule.apiGroups ?? [];
  return g.includes('*') || g.includes(group);
}

export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (a.resourceRequest) {
    return (
      verbMatches(rule, a.verb) &&
      apiGroupMatches(rule, a.apiGroup) &&
      resourceMatches(rule, a.resource, a.subresource) &&
      resourceNameMatches(rule, a.name)
    );
  }
  return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path);
}

export function subjectMatches(user: UserInfo, s: Subject, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return !!ns && user.name === `system:serviceaccount:${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

interface Binding {
  namespace?: string; // undefined for ClusterRoleBindings
  subjects: Subject[];
  rules: () => PolicyRule[];
  /** As the real authorizer names what allowed a request: `RoleBinding "b/ns" of ClusterRole "r" to User "u"`. */
  describe: (s: Subject) => string;
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

export class RbacAuthorizer {
  private bindings: Binding[] | undefined;
  private readonly stops: (() => void)[] = [];

  constructor(private readonly store: Store) {
    for (const key of RBAC_KEYS) {
      this.stops.push(
        store.watch(key, undefined, { resourceVersion: store.currentResourceVersion() }, () => {
          this.bindings = undefined;
        }),
      );
    }
  }

  stop(): void {
    for (const s of this.stops) s();
  }

  private load(): Binding[] {
    if (this.bindings) return this.bindings;
    const clusterRoles = new Map<string, PolicyRule[]>();
    for (const r of this.store.list('clusterroles.rbac.authorization.k8s.io', undefined).items)
      clusterRoles.set(r.metadata.name!, r.rules ?? []);
    const roles = new Map<string, PolicyRule[]>();
    for (const r of this.store.list('roles.rbac.authorization.k8s.io', undefined).items)
      roles.set(`${r.metadata.namespace}/${r.metadata.name}`, r.rules ?? []);
    const out: Binding[] = [];
    const ref = (b: KObject): (() => PolicyRule[]) => {
      const kind = b.roleRef?.kind;
      const name = b.roleRef?.name;
      if (kind === 'ClusterRole') return () => clusterRoles.get(name) ?? [];
      if (kind === 'Role' && b.metadata.namespace) return () => roles.get(`${b.metadata.namespace}/${name}`) ?? [];
      return () => [];
    };
    for (const b of this.store.list('clusterrolebindings.rbac.authorization.k8s.io', undefined).items) {
      if (b.roleRef?.kind !== 'ClusterRole') continue;
      const role = `${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)}`;
      out.push({
        subjects: b.subjects ?? [],
        rules: ref(b),
        describe: (s) =>
          `ClusterRoleBinding ${JSON.stringify(b.metadata.name)} of ${role} to ${describeSubject(s, '')}`,
      });
    }
    for (const b of this.store.list('rolebindings.rbac.authorization.k8s.io', undefined).items) {
      const role = `${b.roleRef?.kind} ${JSON.stringify(b.roleRef?.name)}`;
      const ns = b.metadata.namespace ?? '';
      out.push({
        namespace: ns,
        subjects: b.subjects ?? [],
        rules: ref(b),
        describe: (s) =>
          `RoleBinding ${JSON.stringify(`${b.metadata.name}/${ns}`)} of ${role} to ${describeSubject(s, ns)}`,
      });
    }
    this.bindings = out;
    return out;
  }

  authorize(a: Attributes): boolean {
    return this.decide(a).allowed;
  }

  /** Whether a request is allowed, and the reason a real server gives (what a SelfSubjectAccessReview reports). */
  decide(a: Attributes): { allowed: boolean; reason: string } {
    if (a.user.groups.includes('system:masters')) return { allowed: true, reason: '' };
    for (const b of this.load()) {
      if (b.namespace !== undefined && (!a.resourceRequest || b.namespace !== a.namespace)) continue;
      const subject = b.subjects.find((s) => subjectMatches(a.user, s, b.namespace));
      if (!subject) continue;
      if (b.rules().some((r) => ruleAllows(a, r)))
        return { allowed: true, reason: `RBAC: allowed by ${b.describe(subject)}` };
    }
    return { allowed: false, reason: '' };
  }

  /** The rules that apply to a user in a namespace (SelfSubjectRulesReview). */
  rulesFor(user: UserInfo, namespace: string): { resourceRules: PolicyRule[]; nonResourceRules: PolicyRule[] } {
    const resourceRules: PolicyRule[] = [];
    const nonResourceRules: PolicyRule[] = [];
    if (user.groups.includes('system:masters')) {
      return {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      };
    }
    for (const b of this.load()) {
      if (b.namespace !== undefined && b.namespace !== namespace) continue;
      if (!b.subjects.some((s) => subjectMatches(user, s, b.namespace))) continue;
      for (const r of b.rules()) {
        if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
        if (r.resources?.length) {
          resourceRules.push({
            verbs: r.verbs,
            apiGroups: r.apiGroups ?? [],
            resources: r.resources,
            ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
          });
        }
      }
    }
    return { resourceRules, nonResourceRules };
  }
}

/** The 403 a real server answers, word for word (apiserver's forbiddenMessage + NewForbidden). */
export function forbidden(a: Attributes): ApiError {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  let msg: string;
  if (!a.resourceRequest) msg = `User "${a.user.name}" cannot ${a.verb} path "${a.path}"`;
  else if (a.namespace)
    msg = `User "${a.user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" in the namespace "${a.namespace}"`;
  else
    msg = `User "${a.user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" at the cluster scope`;
  if (!a.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${msg}`, {});
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const head = a.name ? `${qualified} "${a.name}" is forbidden` : `${qualified} is forbidden`;
  return new ApiError(403, 'Forbidden', `${head}: ${msg}`, {
    ...(a.name ? { name: a.name } : {}),
    ...(a.apiGroup ? { group: a.apiGroup } : {}),
    kind: a.resource,
  });
}
