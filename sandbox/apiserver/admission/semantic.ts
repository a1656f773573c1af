// The semantic checks of the real server's validation that kubectl users meet most: names,
// labels, selectors that must match their templates, and fields that cannot change.

import type { KObject } from '../../core/types';
import type { FieldError } from './fielderrors';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const MSG = {
  subdomain: `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  label: `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
  dns1035: `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  labelValue: `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
  qualifiedName: `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  configKey: `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
  immutable: 'field is immutable',
};

/** Names that are path segments only (RBAC objects) vs DNS names. */
function nameErrors(key: string, name: string | undefined, field = 'metadata.name'): FieldError[] {
  if (!name) return [];
  if (
    key.startsWith('roles.') ||
    key.startsWith('clusterroles.') ||
    key.startsWith('rolebindings.') ||
    key.startsWith('clusterrolebindings.')
  ) {
    if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) {
      return [{ type: 'Invalid', field, value: name, detail: `may not contain '/' or '%' and may not be '.' or '..'` }];
    }
    return [];
  }
  if (key === 'namespaces') {
    if (!DNS1123_LABEL.test(name) || name.length > 63)
      return [
        {
          type: 'Invalid',
          field,
          value: name,
          detail: name.length > 63 ? 'must be no more than 63 characters' : MSG.label,
        },
      ];
    return [];
  }
  if (key === 'services') {
    if (!DNS1035_LABEL.test(name) || name.length > 63)
      return [
        {
          type: 'Invalid',
          field,
          value: name,
          detail: name.length > 63 ? 'must be no more than 63 characters' : MSG.dns1035,
        },
      ];
    return [];
  }
  if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253)
    return [
      {
        type: 'Invalid',
        field,
        value: name,
        detail: name.length > 253 ? 'must be no more than 253 characters' : MSG.subdomain,
      },
    ];
  return [];
}

function qualifiedNameErrors(key: string, field: string): FieldError[] {
  const parts = key.split('/');
  if (parts.length > 2)
    return [
      {
        type: 'Invalid',
        field,
        value: key,
        detail: `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      },
    ];
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  const errs: FieldError[] = [];
  if (prefix !== undefined && (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253))
    errs.push({ type: 'Invalid', field, value: key, detail: `prefix part ${MSG.subdomain}` });
  if (!name) errs.push({ type: 'Invalid', field, value: key, detail: 'name part must be non-empty' });
  else if (name.length > 63)
    errs.push({ type: 'Invalid', field, value: key, detail: 'name part must be no more than 63 characters' });
  else if (!QUALIFIED_NAME.test(name)) errs.push({ type: 'Invalid', field, value: key, detail: MSG.qualifiedName });
  return errs;
}

export function labelErrors(labels: Record<string, unknown> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...qualifiedNameErrors(k, field));
    const s = String(v);
    if (s.length > 63) errs.push({ type: 'Invalid', field, value: s, detail: 'must be no more than 63 characters' });
    else if (!LABEL_VALUE.test(s)) errs.push({ type: 'Invalid', field, value: s, detail: MSG.labelValue });
  }
  return errs;
}

function matchesSelector(sel: Obj | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = k(labels, e.key);
    const vals: string[] = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
const k = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function templateErrors(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const sel = o.spec?.selector;
  const labels = o.spec?.template?.metadata?.labels ?? {};
  if (!sel) {
    // No selector (the schema reports it missing) selects nothing, so the template does not match it.
    errs.push({
      type: 'Invalid',
      field: 'spec.template.metadata.labels',
      value: labels,
      detail: '`selector` does not match template `labels`',
    });
  } else if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
    errs.push({
      type: 'Invalid',
      field: 'spec.selector',
      value: sel,
      detail: `empty selector is invalid for ${o.kind === 'Deployment' ? 'deployment' : 'replicaset'}`,
    });
  } else if (!matchesSelector(sel, labels)) {
    errs.push({
      type: 'Invalid',
      field: 'spec.template.metadata.labels',
      value: labels,
      detail: '`selector` does not match template `labels`',
    });
  }
  errs.push(...labelErrors(labels, 'spec.template.metadata.labels'));
  errs.push(...podSpecErrors(o.spec?.template?.spec, 'spec.template.spec'));
  if (typeof o.spec?.replicas === 'number' && o.spec.replicas < 0)
    errs.push({
      type: 'Invalid',
      field: 'spec.replicas',
      value: o.spec.replicas,
      detail: 'must be greater than or equal to 0',
    });
  return errs;
}

function podSpecErrors(spec: Obj | undefined, at: string): FieldError[] {
  if (!spec) return [];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  const containers = [
    ...(spec.initContainers ?? []).map((c: Obj, i: number) => [c, `${at}.initContainers[${i}]`]),
    ...(spec.containers ?? []).map((c: Obj, i: number) => [c, `${at}.containers[${i}]`]),
  ] as [Obj, string][];
  if ((spec.containers ?? []).length === 0) errs.push({ type: 'Required', field: `${at}.containers` });
  for (const [c, f] of containers) {
    if (typeof c.name === 'string') {
      if (seen.has(c.name)) errs.push({ type: 'Duplicate', field: `${f}.name`, value: c.name });
      seen.add(c.name);
      if (!DNS1123_LABEL.test(c.name))
        errs.push({ type: 'Invalid', field: `${f}.name`, value: c.name, detail: MSG.label });
    }
    if (!c.image) errs.push({ type: 'Required', field: `${f}.image` });
  }
  const vols = new Set<string>();
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    if (vols.has(v.name)) errs.push({ type: 'Duplicate', field: `${at}.volumes[${i}].name`, value: v.name });
    vols.add(v.name);
  }
  for (const [c, f] of containers) {
    for (const [i, m] of (c.volumeMounts ?? []).entries()) {
      if (m.name && !vols.has(m.name))
        errs.push({ type: 'NotFound' as never, field: `${f}.volumeMounts[${i}].name`, value: m.name });
    }
  }
  return errs.map((e) => ((e.type as string) === 'NotFound' ? { ...e, type: 'Invalid', detail: 'not found' } : e));
}

/** Errors of an object on its own (create and update). */
/** IsConfigMapKey: the keys of a ConfigMap's or Secret's data (they become file names). */
function configKeyErrors(k: string, field: string): FieldError[] {
  if (k.length > 253) return [{ type: 'Invalid', field, value: k, detail: 'must be no more than 253 characters' }];
  if (!CONFIG_KEY.test(k)) return [{ type: 'Invalid', field, value: k, detail: MSG.configKey }];
  if (k === '.' || k === '..') return [{ type: 'Invalid', field, value: k, detail: `must not be '${k}'` }];
  if (k.startsWith('..')) return [{ type: 'Invalid', field, value: k, detail: `must not start with '..'` }];
  return [];
}

export function objectErrors(key: string, o: KObject): FieldError[] {
  const errs: FieldError[] = [
    ...nameErrors(key, o.metadata.name),
    ...labelErrors(o.metadata.labels, 'metadata.labels'),
  ];
  if (o.metadata.generateName && !o.metadata.name)
    errs.push(...nameErrors(key, o.metadata.generateName + 'x', 'metadata.generateName'));
  switch (key) {
    case 'deployments.apps':
    case 'replicasets.apps':
      errs.push(...templateErrors(o));
      break;
    case 'pods':
      errs.push(...podSpecErrors(o.spec, 'spec'));
      break;
    case 'configmaps':
    case 'secrets':
      for (const field of ['data', 'binaryData']) {
        for (const k of Object.keys(o[field] ?? {})) errs.push(...configKeyErrors(k, `${field}[${k}]`));
      }
      break;
    case 'persistentvolumeclaims': {
      const s = o.spec ?? {};
      if (!s.dataSource && !s.dataSourceRef && (s.accessModes ?? []).length === 0)
        errs.push({ type: 'Required', field: 'spec.accessModes', detail: 'at least 1 access mode is required' });
      for (const [i, m] of (s.accessModes ?? []).entries()) {
        if (!['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'].includes(m)) {
          errs.push({
            type: 'NotSupported',
            field: `spec.accessModes[${i}]`,
            value: m,
            detail: 'supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
          });
        }
      }
      if (s.resources?.requests?.storage === undefined)
        errs.push({ type: 'Required', field: 'spec.resources[storage]' });
      break;
    }
    case 'services': {
      const s = o.spec ?? {};
      if (s.type !== 'ExternalName' && s.clusterIP !== 'None' && (s.ports ?? []).length === 0)
        errs.push({ type: 'Required', field: 'spec.ports' });
      const names = new Set<string>();
      for (const [i, p] of (s.ports ?? []).entries()) {
        if ((s.ports ?? []).length > 1 && !p.name) errs.push({ type: 'Required', field: `spec.ports[${i}].name` });
        if (p.name) {
          if (names.has(p.name)) errs.push({ type: 'Duplicate', field: `spec.ports[${i}].name`, value: p.name });
          names.add(p.name);
        }
        if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535))
          errs.push({
            type: 'Invalid',
            field: `spec.ports[${i}].port`,
            value: p.port,
            detail: 'must be between 1 and 65535, inclusive',
          });
        if (typeof p.targetPort === 'number' && (p.targetPort < 1 || p.targetPort > 65535))
          errs.push({
            type: 'Invalid',
            field: `spec.ports[${i}].targetPort`,
            value: p.targetPort,
            detail: 'must be between 1 and 65535, inclusive',
          });
      }
      if (s.type && !['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(s.type)) {
        errs.push({
          type: 'NotSupported',
          field: 'spec.type',
          value: s.type,
          detail: 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
        });
      }
      errs.push(...labelErrors(s.selector, 'spec.selector'));
      break;
    }
  }
  return errs;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Errors of an update against the stored object: immutable fields. */
export function updateErrors(key: string, o: KObject, old: KObject, subresource: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (subresource === 'status') return errs;
  switch (key) {
    case 'deployments.apps':
    case 'replicasets.apps':
      if (!same(o.spec?.selector, old.spec?.selector))
        errs.push({ type: 'Invalid', field: 'spec.selector', value: o.spec?.selector, detail: MSG.immutable });
      break;
    case 'pods': {
      const strip = (spec: Obj | undefined) => {
        const s = structuredClone(spec ?? {});
        for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) delete c.image;
        delete s.activeDeadlineSeconds;
        delete s.tolerations;
        return s;
      };
      const oldTol: Obj[] = old.spec?.tolerations ?? [];
      const newTol: Obj[] = o.spec?.tolerations ?? [];
      const tolerationsOk = oldTol.every((t) => newTol.some((n) => same(n, t)));
      if (!same(strip(o.spec), strip(old.spec)) || !tolerationsOk) {
        errs.push({
          type: 'Forbidden',
          field: 'spec',
          detail:
            'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
        });
      }
      break;
    }
    case 'services': {
      const s = o.spec ?? {};
      const was = old.spec ?? {};
      // An update that leaves the allocated address out keeps it (as the real registry does).
      if (!s.clusterIP && was.clusterIP) s.clusterIP = was.clusterIP;
      if (!s.clusterIPs && was.clusterIPs) s.clusterIPs = was.clusterIPs;
      if (was.clusterIP && s.clusterIP !== was.clusterIP && was.type !== 'ExternalName' && s.type !== 'ExternalName') {
        // The real registry makes clusterIPs follow a changed clusterIP, and reports the list.
        const ips = s.clusterIPs && !same(s.clusterIPs, was.clusterIPs) ? s.clusterIPs : [s.clusterIP];
        errs.push({ type: 'Invalid', field: 'spec.clusterIPs[0]', value: ips, detail: 'may not change once set' });
      }
      break;
    }
    case 'configmaps':
    case 'secrets': {
      if (old.immutable === true) {
        if (!same(o.data, old.data) || !same(o.binaryData, old.binaryData))
          errs.push({ type: 'Forbidden', field: 'data', detail: 'field is immutable when `immutable` is set' });
        if (o.immutable !== true)
          errs.push({ type: 'Forbidden', field: 'immutable', detail: 'field is immutable when `immutable` is set' });
      }
      if (key === 'secrets' && (o.type ?? 'Opaque') !== (old.type ?? 'Opaque'))
        errs.push({ type: 'Invalid', field: 'type', value: o.type, detail: MSG.immutable });
      break;
    }
    case 'persistentvolumeclaims': {
      // Only resources.requests (expansion) and volumeAttributesClassName may change, and only on a
      // bound claim; the sandbox never binds one.
      const strip = (s: Obj | undefined) => {
        const c = structuredClone(s ?? {});
        delete c.volumeAttributesClassName;
        return c;
      };
      if (!same(strip(o.spec), strip(old.spec))) {
        errs.push({
          type: 'Forbidden',
          field: 'spec',
          detail:
            'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
        });
      }
      break;
    }
    case 'rolebindings.rbac.authorization.k8s.io':
    case 'clusterrolebindings.rbac.authorization.k8s.io':
      if (!same(o.roleRef, old.roleRef))
        errs.push({ type: 'Invalid', field: 'roleRef', value: o.roleRef, detail: 'cannot change roleRef' });
      break;
  }
  return errs;
}
