// Label selector matching with the API server's semantics.
import type { LabelSelector } from './resources';

type Labels = Record<string, string> | undefined;

/** A Service's selector: every key must match. An empty or missing selector selects nothing
 *  (such Services have manually managed endpoints). */
export function matchesServiceSelector(selector: Labels, labels: Labels): boolean {
  if (!selector) return false;
  const keys = Object.keys(selector);
  if (keys.length === 0) return false;
  for (const key of keys) if (labels?.[key] !== selector[key]) return false;
  return true;
}

/** A workload's LabelSelector: matchLabels AND every matchExpression. An empty selector matches
 *  nothing here, since apps/v1 workloads always have a non-empty one. */
export function matchesLabelSelector(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const matchLabels = selector.matchLabels ?? {};
  const expressions = selector.matchExpressions ?? [];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  for (const [key, value] of Object.entries(matchLabels)) if (labels?.[key] !== value) return false;
  for (const expr of expressions) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, expr.key);
    const value = labels?.[expr.key];
    switch (expr.operator) {
      case 'In':
        if (!has || !(expr.values ?? []).includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && (expr.values ?? []).includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an operator we do not know matches nothing, rather than everything
    }
  }
  return true;
}

/** Whether a workload's pods (by its template labels) are selected by a Service. */
export function serviceSelectsTemplate(selector: Labels, templateLabels: Labels): boolean {
  return matchesServiceSelector(selector, templateLabels);
}

/** Equality labels as a label selector query (`app=web,tier=front`), as the API's labelSelector takes it. */
export function selectorString(labels: Labels): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
