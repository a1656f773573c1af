// Validation against the official schemas that kubernetes-models and @kubernetes-models/* carry
// (compiled ajv validators generated from Kubernetes' and Istio's/Gateway API's OpenAPI).
// Istio's networking.istio.io/v1 has the same schema as v1beta1.

import { validate as deployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as replicaSet } from 'kubernetes-models/_schemas/IoK8sApiAppsV1ReplicaSet';
import { validate as ssr } from 'kubernetes-models/_schemas/IoK8sApiAuthenticationV1SelfSubjectReview';
import { validate as ssar } from 'kubernetes-models/_schemas/IoK8sApiAuthorizationV1SelfSubjectAccessReview';
import { validate as ssrr } from 'kubernetes-models/_schemas/IoK8sApiAuthorizationV1SelfSubjectRulesReview';
import { validate as scale } from 'kubernetes-models/_schemas/IoK8sApiAutoscalingV1Scale';
import { validate as lease } from 'kubernetes-models/_schemas/IoK8sApiCoordinationV1Lease';
import { validate as configMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as endpoints } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Endpoints';
import { validate as event } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Event';
import { validate as namespace } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace';
import { validate as node } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Node';
import { validate as persistentVolumeClaim } from 'kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim';
import { validate as pod } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Pod';
import { validate as secret } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret';
import { validate as service } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as serviceAccount } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { validate as endpointSlice } from 'kubernetes-models/_schemas/IoK8sApiDiscoveryV1EndpointSlice';
import { validate as ingress } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1Ingress';
import { validate as networkPolicy } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy';
import { validate as eviction } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1Eviction';
import { validate as podDisruptionBudget } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { validate as clusterRole } from 'kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRole';
import { validate as clusterRoleBinding } from 'kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRoleBinding';
import { validate as role } from 'kubernetes-models/_schemas/IoK8sApiRbacV1Role';
import { validate as roleBinding } from 'kubernetes-models/_schemas/IoK8sApiRbacV1RoleBinding';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { validate as httpRoute } from '@kubernetes-models/gateway-api/_schemas/IoK8sSigsGatewayApiApisV1HTTPRoute';
import type { KObject } from '../../core/types';
import { fieldPath, type FieldError } from './fielderrors';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** The Istio package exports its validators only through its model classes. */
function fromModel(Model: new (data: never) => { validate(): void }): Validate {
  const fn: Validate = (data: unknown) => {
    try {
      new Model(data as never).validate();
      fn.errors = null;
      return true;
    } catch (e) {
      const errors = (e as { errors?: AjvError[] }).errors;
      if (!errors) throw e;
      fn.errors = errors;
      return false;
    }
  };
  return fn;
}
const virtualService = fromModel(VirtualService);
const destinationRule = fromModel(DestinationRule);

const BY_KEY: Record<string, Validate> = {
  namespaces: namespace as Validate,
  nodes: node as Validate,
  pods: pod as Validate,
  services: service as Validate,
  endpoints: endpoints as Validate,
  configmaps: configMap as Validate,
  persistentvolumeclaims: persistentVolumeClaim as Validate,
  secrets: secret as Validate,
  serviceaccounts: serviceAccount as Validate,
  events: event as Validate,
  'endpointslices.discovery.k8s.io': endpointSlice as Validate,
  'deployments.apps': deployment as Validate,
  'replicasets.apps': replicaSet as Validate,
  'leases.coordination.k8s.io': lease as Validate,
  'selfsubjectaccessreviews.authorization.k8s.io': ssar as Validate,
  'selfsubjectrulesreviews.authorization.k8s.io': ssrr as Validate,
  'selfsubjectreviews.authentication.k8s.io': ssr as Validate,
  'roles.rbac.authorization.k8s.io': role as Validate,
  'rolebindings.rbac.authorization.k8s.io': roleBinding as Validate,
  'clusterroles.rbac.authorization.k8s.io': clusterRole as Validate,
  'clusterrolebindings.rbac.authorization.k8s.io': clusterRoleBinding as Validate,
  'virtualservices.networking.istio.io': virtualService,
  'destinationrules.networking.istio.io': destinationRule,
  'httproutes.gateway.networking.k8s.io': httpRoute as Validate,
  'ingresses.networking.k8s.io': ingress as Validate,
  'networkpolicies.networking.k8s.io': networkPolicy as Validate,
  'poddisruptionbudgets.policy': podDisruptionBudget as Validate,
  scale: scale as Validate,
  eviction: eviction as Validate,
};

function valueAt(obj: unknown, pointer: string): unknown {
  let cur = obj;
  for (const seg of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function toFieldError(obj: unknown, e: AjvError): FieldError {
  const value = valueAt(obj, e.instancePath);
  const field = fieldPath(e.instancePath);
  switch (e.keyword) {
    case 'required': {
      const missing = String(e.params.missingProperty);
      return { type: 'Required', field: field ? `${field}.${missing}` : missing };
    }
    case 'type':
      return { type: 'Invalid', field, value, detail: `must be ${describeType(String(e.params.type))}` };
    case 'enum':
      return {
        type: 'NotSupported',
        field,
        value,
        detail: `supported values: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'format':
      return { type: 'Invalid', field, value, detail: `must be a valid ${String(e.params.format)}` };
    case 'pattern':
      return { type: 'Invalid', field, value, detail: `must match the pattern ${String(e.params.pattern)}` };
    case 'maxLength':
    case 'maxItems':
    case 'maximum':
      return {
        type: 'Invalid',
        field,
        value,
        detail: `must be no more than ${String(e.params.limit)}${e.keyword === 'maxLength' ? ' characters' : e.keyword === 'maxItems' ? ' items' : ''}`,
      };
    case 'minLength':
    case 'minItems':
    case 'minimum':
      return {
        type: 'Invalid',
        field,
        value,
        detail: `must be at least ${String(e.params.limit)}${e.keyword === 'minLength' ? ' characters' : e.keyword === 'minItems' ? ' items' : ''}`,
      };
    default:
      return { type: 'Invalid', field, value, detail: e.message ?? `fails the schema rule "${e.keyword}"` };
  }
}

function describeType(t: string): string {
  return t === 'integer' ? 'an integer' : t === 'object' ? 'an object' : t === 'array' ? 'an array' : `a ${t}`;
}

/** Schema errors of `obj` as a resource `key` (or 'scale'/'eviction'); empty when valid or when no schema is known. */
export function schemaErrors(key: string, obj: KObject): FieldError[] {
  const v = BY_KEY[key];
  if (!v) return [];
  // Clients send `creationTimestamp: null` (kubectl's printed objects); the server reads it as absent.
  const data = withoutNulls(obj);
  if (v(data)) return [];
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of v.errors ?? []) {
    if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    const fe = toFieldError(data, e);
    const id = `${fe.field}|${fe.type}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(fe);
  }
  if (out.length === 0 && (v.errors?.length ?? 0) > 0) {
    const e = v.errors![0];
    out.push({
      type: 'Invalid',
      field: fieldPath(e.instancePath) || '<root>',
      value: valueAt(data, e.instancePath),
      detail: e.message ?? `fails the schema rule "${e.keyword}"`,
    });
  }
  return out;
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    return out;
  }
  return v;
}
