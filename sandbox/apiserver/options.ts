// Query and body options of the REST verbs, checked as the real server checks them.

import { ApiError, type DeleteOptions, type KObject } from '../core/types';
import { badRequest, isObject } from './http';

export function dryRun(q: URLSearchParams): boolean {
  const v = q.getAll('dryRun');
  for (const x of v) if (x !== 'All') throw badRequest(`Invalid dryRun value: "${x}": supported values: "All"`);
  return v.length > 0;
}

export function fieldManager(q: URLSearchParams): string | undefined {
  const m = q.get('fieldManager') ?? undefined;
  if (m !== undefined && m.length > 128) {
    throw new ApiError(422, 'Invalid', `fieldManager: Too long: may not be more than 128 bytes`, {
      causes: [
        { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 128 bytes', field: 'fieldManager' },
      ],
    });
  }
  return m;
}

export function fieldValidation(q: URLSearchParams): string {
  const v = q.get('fieldValidation') ?? '';
  if (v && !['Ignore', 'Warn', 'Strict'].includes(v)) {
    throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Warn", "Strict"`);
  }
  return v;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid ${name}: "${v}" is not an integer`);
  return Number(v);
}

export function listParams(q: URLSearchParams): {
  limit?: number;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
} {
  const limit = intParam(q, 'limit');
  const rvm = q.get('resourceVersionMatch') ?? undefined;
  if (rvm && !['NotOlderThan', 'Exact'].includes(rvm))
    throw badRequest(`resourceVersionMatch: Unsupported value: "${rvm}"`);
  return {
    limit,
    continue: q.get('continue') || undefined,
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: rvm,
  };
}

export function timeoutSeconds(q: URLSearchParams): number | undefined {
  return intParam(q, 'timeoutSeconds');
}

/** DeleteOptions from the body (a meta/v1 DeleteOptions) merged over the query parameters. */
export function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const o: DeleteOptions = {};
  const grace = intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  const pp = q.get('propagationPolicy');
  if (pp) o.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  const orphan = q.get('orphanDependents');
  if (orphan !== null) o.propagationPolicy = orphan === 'true' ? 'Orphan' : 'Background';
  if (q.getAll('dryRun').length) o.dryRun = dryRun(q);
  if (isObject(body)) {
    const b = body as KObject;
    if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null)
      o.gracePeriodSeconds = Number(b.gracePeriodSeconds);
    if (b.orphanDependents !== undefined && b.orphanDependents !== null)
      o.propagationPolicy = b.orphanDependents ? 'Orphan' : 'Background';
    if (b.propagationPolicy) o.propagationPolicy = b.propagationPolicy;
    if (isObject(b.preconditions)) o.preconditions = b.preconditions as DeleteOptions['preconditions'];
    if (Array.isArray(b.dryRun) && b.dryRun.length) {
      for (const x of b.dryRun)
        if (x !== 'All') throw badRequest(`Invalid dryRun value: "${x}": supported values: "All"`);
      o.dryRun = true;
    }
  }
  if (o.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    throw new ApiError(
      422,
      'Invalid',
      `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
      {
        kind: 'DeleteOptions',
        group: 'meta.k8s.io',
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
            field: 'propagationPolicy',
          },
        ],
      },
    );
  }
  if (o.gracePeriodSeconds !== undefined && o.gracePeriodSeconds < 0) o.gracePeriodSeconds = 1;
  return o;
}
