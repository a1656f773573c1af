// SelfSubjectAccessReview and SelfSubjectRulesReview: answered from the authorizer for the
// requesting user; SelfSubjectReview: who the authenticator says the user is. Never stored (as
// the real server does).

import type { KObject, UserInfo } from '../core/types';
import { invalid, type FieldError } from './admission/fielderrors';
import { schemaErrors } from './admission/schema';
import type { RbacAuthorizer } from './rbac';

export function selfSubjectAccessReview(authz: RbacAuthorizer, user: UserInfo, body: KObject): KObject {
  const info = { kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io' };
  const errs: FieldError[] = schemaErrors('selfsubjectaccessreviews.authorization.k8s.io', {
    ...body,
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
  });
  const ra = body.spec?.resourceAttributes;
  const nra = body.spec?.nonResourceAttributes;
  if (!ra && !nra)
    errs.push({
      type: 'Required',
      field: 'spec.resourceAttributes',
      detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    });
  if (ra && nra)
    errs.push({
      type: 'Invalid',
      field: 'spec.nonResourceAttributes',
      value: nra,
      detail: 'cannot be specified in combination with resourceAttributes',
    });
  if (errs.length) throw invalid(info, '', errs);
  const decision = ra
    ? authz.decide({
        user,
        verb: ra.verb ?? '',
        resourceRequest: true,
        path: '',
        apiGroup: ra.group ?? '',
        apiVersion: ra.version ?? '',
        resource: ra.resource ?? '',
        subresource: ra.subresource ?? '',
        namespace: ra.namespace ?? '',
        name: ra.name ?? '',
      })
    : authz.decide({
        user,
        verb: nra.verb ?? '',
        resourceRequest: false,
        path: nra.path ?? '',
        apiGroup: '',
        resource: '',
        subresource: '',
        namespace: '',
        name: '',
      });
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { ...(body.metadata ?? {}), creationTimestamp: null as unknown as string },
    spec: body.spec,
    status: decision.allowed
      ? { allowed: true, ...(decision.reason ? { reason: decision.reason } : {}) }
      : { allowed: false },
  };
}

export function selfSubjectRulesReview(authz: RbacAuthorizer, user: UserInfo, body: KObject): KObject {
  const ns = body.spec?.namespace ?? '';
  const rules = authz.rulesFor(user, ns);
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { ...(body.metadata ?? {}), creationTimestamp: null as unknown as string },
    spec: body.spec ?? {},
    status: {
      resourceRules: rules.resourceRules.map((r) => ({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources ?? [],
        ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
      })),
      nonResourceRules: rules.nonResourceRules.map((r) => ({
        verbs: r.verbs,
        nonResourceURLs: r.nonResourceURLs ?? [],
      })),
      incomplete: false,
    },
  };
}

/** `kubectl auth whoami`: the authenticated user as the server sees it, whatever the kubeconfig calls it. */
export function selfSubjectReview(user: UserInfo, body: KObject): KObject {
  return {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { ...(body.metadata ?? {}), creationTimestamp: null as unknown as string },
    status: { userInfo: { username: user.name, groups: user.groups } },
  };
}
