// Label and field selectors with the Kubernetes grammar (k8s.io/apimachinery/pkg/labels and
// pkg/fields): `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`; fields only `=`, `==`, `!=`.

import { ApiError, type KObject } from '../core/types';

type Requirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

export type Matcher = (obj: KObject) => boolean;

function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** Split on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

const KEY = /^([a-z0-9A-Z.\-_/]+)$/;

export function parseLabelSelector(s: string | undefined): Requirement[] {
  if (!s || !s.trim()) return [];
  return splitTerms(s).map((term) => {
    let m = /^(\S+?)\s+(in|notin)\s+\((.*)\)$/.exec(term);
    if (m) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      return { key: checkKey(m[1], s), op: m[2] as 'in' | 'notin', values };
    }
    m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
    if (m) {
      // The lexer reads an operator where a value should be (`a===b`): upstream's parse error.
      const op = /^(==|!=|=|!)/.exec(m[3]);
      if (op) throw badRequest(`unable to parse requirement: found '${op[1]}', expected: identifier`);
      return m[2] === '!='
        ? { key: checkKey(m[1], s), op: 'notin', values: [m[3]] }
        : { key: checkKey(m[1], s), op: 'in', values: [m[3]] };
    }
    if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim(), s), op: '!exists' };
    return { key: checkKey(term, s), op: 'exists' };
  });
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  return key;
}

export function labelMatcher(s: string | undefined): Matcher {
  const reqs = parseLabelSelector(s);
  if (reqs.length === 0) return () => true;
  return (obj) => matchLabels(obj.metadata.labels ?? {}, reqs);
}

export function matchLabels(labels: Record<string, string>, reqs: Requirement[]): boolean {
  for (const q of reqs) {
    const has = Object.prototype.hasOwnProperty.call(labels, q.key);
    switch (q.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !q.values.includes(labels[q.key])) return false;
        break;
      case 'notin':
        if (has && q.values.includes(labels[q.key])) return false;
        break;
    }
  }
  return true;
}

/** True when every key=value of a map-style selector (Service.spec.selector, matchLabels) is on the labels. */
export function selectorMapMatches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}

/** metav1.LabelSelector (matchLabels + matchExpressions) as a matcher on a label map. */
export function labelSelectorObjectMatches(
  sel:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Field paths every resource supports, plus the per-kind ones the real server accepts. */
const FIELDS: Record<string, string[]> = {
  '*': ['metadata.name', 'metadata.namespace'],
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
    'spec.hostNetwork',
  ],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  'replicasets.apps': ['status.replicas'],
  nodes: ['spec.unschedulable'],
};

function fieldValue(obj: KObject, path: string): string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let v: any = obj;
  for (const part of path.split('.')) v = v == null ? undefined : v[part];
  if (path === 'source' && v && typeof v === 'object') v = v.component;
  if (v === undefined || v === null) return '';
  return String(v);
}

export function fieldMatcher(resourceKey: string, s: string | undefined): Matcher {
  if (!s || !s.trim()) return () => true;
  const allowed = new Set([...FIELDS['*'], ...(FIELDS[resourceKey] ?? [])]);
  const reqs = splitTerms(s).map((term) => {
    const m = /^([^!=]+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const path = m[1].trim();
    if (!allowed.has(path)) {
      // Kinds with their own field labels answer as their conversion function does; the others as
      // the default one (DefaultMetaV1FieldSelectorConversion).
      if (FIELDS[resourceKey]) throw badRequest(`field label not supported: ${path}`);
      throw badRequest(
        `${JSON.stringify(path)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    return { path, neg: m[2] === '!=', value: m[3].trim() };
  });
  return (obj) => reqs.every((q) => (fieldValue(obj, q.path) === q.value) !== q.neg);
}
