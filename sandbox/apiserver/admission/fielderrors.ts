// field.Error and NewInvalid from apimachinery: the 422 a real server answers, with one cause per
// field, worded as Kubernetes words them.

import { ApiError, type ResourceInfo } from '../../core/types';

export type FieldErrorType = 'Invalid' | 'Required' | 'NotSupported' | 'Forbidden' | 'Duplicate' | 'TooLong';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

const REASON: Record<FieldErrorType, string> = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  Duplicate: 'FieldValueDuplicate',
  TooLong: 'FieldValueTooLong',
};

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** The error without its field: `Invalid value: "two": must be integer`. */
export function errorBody(e: FieldError): string {
  switch (e.type) {
    case 'Invalid':
      return `Invalid value: ${show(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'Required':
      return `Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'NotSupported':
      return `Unsupported value: ${show(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'Forbidden':
      return `Forbidden${e.detail ? `: ${e.detail}` : ''}`;
    case 'Duplicate':
      return `Duplicate value: ${show(e.value)}`;
    case 'TooLong':
      return `Too long: ${e.detail ?? ''}`;
  }
}

export function invalid(info: Pick<ResourceInfo, 'kind' | 'group'>, name: string, errs: FieldError[]): ApiError {
  const qualified = info.group ? `${info.kind}.${info.group}` : info.kind;
  const parts = errs.map((e) => `${e.field}: ${errorBody(e)}`);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${list}`, {
    name,
    ...(info.group ? { group: info.group } : {}),
    kind: info.kind,
    causes: errs.map((e) => ({ reason: REASON[e.type], message: errorBody(e), field: e.field })),
  });
}

/** `/spec/template/spec/containers/0/image` -> `spec.template.spec.containers[0].image` */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${seg}]`;
  }
  return out;
}
