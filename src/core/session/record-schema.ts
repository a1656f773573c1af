// The session record's text, checked field by field before anything uses it. A record is a
// ConfigMap anyone allowed to write ConfigMaps in the namespace could have written or edited: a
// record that does not hold what Devlane writes, or whose undo log reaches beyond what its own
// session made (undo-admission.ts), is refused whole, with an error naming the field.
import { apiTypes } from '../api-types';
import { SessionError } from './errors';
import { isRouteKey, recordName, sessionNameProblem } from './names';
import type { Edit, ObjRef, StrategyName, Undo } from './plan';
import { shown, undoProblem } from './undo-admission';

export interface TakenOver {
  service: string;
  owner: string;
  /** e.g. `Deployment/ratings` */
  workload: string;
  devService: string;
  strategy: StrategyName;
  state: 'starting' | 'live';
  /** Inverses of this takeover's steps, in the order they were applied; replayed newest first. */
  undo: Undo[];
  /** Not a takeover: a router with no route of this session, put in front only while Trace Route observes (src/doctor/). */
  observe?: boolean;
}

export interface SessionState {
  name: string;
  namespace: string;
  routeKey: string;
  createdAt: string;
  createdBy: string;
  participants: { name: string; joinedAt: string }[];
  services: TakenOver[];
}

export class RecordError extends SessionError {
  constructor(
    readonly record: string,
    readonly namespace: string,
    readonly field: string,
    problem: string,
  ) {
    super(
      'bad-record',
      `Session record ${record} cannot be used: ${field ? `${field}: ` : ''}${problem}`,
      `Nothing in it was replayed or changed. If nobody you trust wrote it, delete it ("Delete Record" in the Sessions view, or kubectl delete configmap ${record} -n ${namespace})`,
    );
  }
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = shown;

const strategies: readonly StrategyName[] = ['istio', 'router', 'gateway-api'];
const states: readonly TakenOver['state'][] = ['starting', 'live'];
const editKinds: readonly Edit['kind'][] = [
  'istio.addRoute',
  'istio.removeRoute',
  'gateway.addRoute',
  'gateway.removeRoute',
  'router.addRoute',
  'router.removeRoute',
  'service.switchSelector',
  'service.restoreSelector',
];

/** Reads one record's parsed text; `fail(field, problem)` throws. */
class Reader {
  constructor(readonly fail: (field: string, problem: string) => never) {}

  object(v: unknown, field: string): Obj {
    return isObject(v) ? v : this.fail(field, `must be an object (got ${show(v)})`);
  }

  string(o: Obj, key: string, field: string): string {
    const v = o[key];
    return typeof v === 'string' && v !== ''
      ? v
      : this.fail(`${field}${key}`, `must be a non-empty string (got ${show(v)})`);
  }

  optionalString(o: Obj, key: string, field: string): string | undefined {
    return o[key] === undefined ? undefined : this.string(o, key, field);
  }

  oneOf<T extends string>(o: Obj, key: string, field: string, allowed: readonly T[]): T {
    const v = o[key];
    return allowed.includes(v as T)
      ? (v as T)
      : this.fail(`${field}${key}`, `must be one of ${allowed.join(', ')} (got ${show(v)})`);
  }

  time(o: Obj, key: string, field: string): string {
    const v = this.string(o, key, field);
    return Number.isFinite(Date.parse(v)) ? v : this.fail(`${field}${key}`, `must be a date and time (got ${show(v)})`);
  }

  /** A missing list reads as empty (older records leave empty lists out). */
  list<T>(o: Obj, key: string, field: string, item: (v: unknown, field: string) => T): T[] {
    const v = o[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(`${field}${key}`, `must be a list (got ${show(v)})`);
    return v.map((x, i) => item(x, `${field}${key}[${i}]`));
  }
}

function readRef(r: Reader, v: unknown, field: string): ObjRef {
  const o = r.object(v, field);
  return {
    type: r.oneOf(o, 'type', `${field}.`, Object.keys(apiTypes) as (keyof typeof apiTypes)[]),
    namespace: r.string(o, 'namespace', `${field}.`),
    name: r.string(o, 'name', `${field}.`),
  };
}

function readEdit(r: Reader, v: unknown, field: string): Edit {
  const o = r.object(v, field);
  const kind = r.oneOf(o, 'kind', `${field}.`, editKinds);
  // Every field an edit kind uses must be a string; the admission rules decide whether its values may be used.
  for (const key of Object.keys(o)) {
    if (key === 'selector') r.object(o[key], `${field}.selector`);
    else r.string(o, key, `${field}.`);
  }
  return { ...o, kind } as Edit;
}

function readUndo(r: Reader, v: unknown, field: string): Undo {
  const o = r.object(v, field);
  const kind = r.oneOf(o, 'kind', `${field}.`, ['delete', 'edit', 'release-router', 'release-branch'] as const);
  const summary = r.string(o, 'summary', `${field}.`);
  switch (kind) {
    case 'delete': {
      const uid = r.optionalString(o, 'uid', `${field}.`);
      return { kind, ref: readRef(r, o.ref, `${field}.ref`), summary, ...(uid ? { uid } : {}) };
    }
    case 'edit':
      return { kind, ref: readRef(r, o.ref, `${field}.ref`), edit: readEdit(r, o.edit, `${field}.edit`), summary };
    case 'release-router':
      return {
        kind,
        namespace: r.string(o, 'namespace', `${field}.`),
        service: r.string(o, 'service', `${field}.`),
        summary,
      };
    case 'release-branch':
      return {
        kind,
        namespace: r.string(o, 'namespace', `${field}.`),
        session: r.string(o, 'session', `${field}.`),
        summary,
      };
  }
}

function readTakenOver(
  r: Reader,
  v: unknown,
  field: string,
  session: { namespace: string; name: string; routeKey: string; uid?: string },
): TakenOver {
  const o = r.object(v, field);
  const f = `${field}.`;
  const t: TakenOver = {
    service: r.string(o, 'service', f),
    owner: r.string(o, 'owner', f),
    workload:
      typeof o.workload === 'string'
        ? o.workload
        : r.fail(`${f}workload`, `must be a string (got ${show(o.workload)})`),
    devService: r.string(o, 'devService', f),
    strategy: r.oneOf(o, 'strategy', f, strategies),
    state: r.oneOf(o, 'state', f, states),
    undo: r.list(o, 'undo', f, (u, uf) => readUndo(r, u, uf)),
  };
  if (o.observe !== undefined) {
    if (typeof o.observe !== 'boolean') r.fail(`${f}observe`, `must be true or false (got ${show(o.observe)})`);
    if (o.observe) t.observe = true;
  }
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(t.service))
    r.fail(`${f}service`, `${show(t.service)} is not a Service name`);
  const scope = {
    namespace: session.namespace,
    session: session.name,
    routeKey: session.routeKey,
    service: t.service,
    strategy: t.strategy,
    recordUid: session.uid,
  };
  t.undo.forEach((u, i) => {
    const refused = undoProblem(u, scope);
    if (refused) r.fail(`${f}undo[${i}].${refused.field}`, refused.problem);
  });
  return t;
}

/** The record's state, checked against where the ConfigMap actually is; throws RecordError. */
export function validateRecord(text: string, where: { name: string; namespace: string; uid?: string }): SessionState {
  const fail = (field: string, problem: string): never => {
    throw new RecordError(where.name, where.namespace, field, problem);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail('', `its text is not JSON (${(err as Error).message})`);
  }
  const r = new Reader(fail);
  const o = r.object(parsed, 'session.json');
  const name = r.string(o, 'name', '');
  const nameProblem = sessionNameProblem(name);
  if (nameProblem) fail('name', nameProblem);
  if (recordName(name) !== where.name) fail('name', `"${name}" does not match the ConfigMap's name ${where.name}`);
  const namespace = r.string(o, 'namespace', '');
  if (namespace !== where.namespace)
    fail('namespace', `"${namespace}" is not the namespace the record is in ("${where.namespace}")`);
  const routeKey = r.string(o, 'routeKey', '');
  if (!isRouteKey(routeKey)) fail('routeKey', 'is not a Devlane route key (22 to 128 base64url characters)');
  const session = { namespace, name, routeKey, uid: where.uid };
  return {
    name,
    namespace,
    routeKey,
    createdAt: r.time(o, 'createdAt', ''),
    createdBy: r.string(o, 'createdBy', ''),
    participants: r.list(o, 'participants', '', (p, f) => {
      const po = r.object(p, f);
      return { name: r.string(po, 'name', `${f}.`), joinedAt: r.time(po, 'joinedAt', `${f}.`) };
    }),
    services: r.list(o, 'services', '', (s, f) => readTakenOver(r, s, f, session)),
  };
}
