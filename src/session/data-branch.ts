// A session's data branch in the cluster: the plan's steps for it (checked first, so that a
// database that cannot be read, or is too large, is refused before anything is created), the seed
// (pg_dump piped into psql inside the branch's pod), and its release once no takeover in the session
// uses it. See src/core/data/branch.ts for what a branch is.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import {
  branchObjects,
  checkScript,
  dataBranchName,
  defaultBranchImage,
  findDatabase,
  mb,
  parseCheck,
  seedScript,
  type DataBranchRequest,
  type DatabaseSource,
  type EnvValue,
} from '../core/data/branch';
import { ClusterError } from '../core/errors';
import type { Json, KubeObject, Pod, Service } from '../core/resources';
import { ownerReference, sessionLabels, type OwnerRecord } from '../core/session/dev-workload';
import { SessionError } from '../core/session/errors';
import { annotations } from '../core/session/names';
import type { ObjRef, Plan, Step } from '../core/session/plan';
import { labels } from '../core/session/route-contract';
import { selectorString } from '../core/selectors';
import { getRecord } from './record-store';
import { isKind, type ExecContext } from './exec-context';
import { createdBySession } from '../core/session/undo-admission';

export interface BranchPlan {
  steps: Step[];
  source: DatabaseSource;
  info: NonNullable<Plan['dataBranch']>;
}

const sourceText = (s: DatabaseSource) => `${s.host}:${s.port}/${s.database}`;
const ready = (p: Pod) =>
  !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Reads a referenced value: ConfigMaps always; Secrets only when `secrets` (the check's password). */
async function readValue(
  api: ObjectApi,
  namespace: string,
  v: EnvValue,
  signal: AbortSignal,
  where: string,
): Promise<string | undefined> {
  if ('value' in v) return v.value;
  const isSecret = 'secretKeyRef' in v;
  const ref = isSecret ? v.secretKeyRef : v.configMapKeyRef;
  let obj: (KubeObject & { data?: Record<string, string> }) | undefined;
  try {
    obj = await api.tryGet(isSecret ? apiTypes.secret : apiTypes.configMap, namespace, ref.name, signal);
  } catch (err) {
    if (isKind(err, 'forbidden'))
      throw new SessionError(
        'forbidden',
        `${where}: you may not read ${isSecret ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name}, which holds the database's ${ref.key}`,
        `Nothing was created. Devlane reads it to check, before making a branch, that the database can be read. Ask for "get" on ${isSecret ? 'secrets' : 'configmaps'} in ${namespace}.`,
      );
    throw err;
  }
  const raw = obj?.data?.[ref.key];
  if (raw === undefined)
    throw new SessionError(
      'not-found',
      `${where}: ${isSecret ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name} has no key ${ref.key}`,
      'Nothing was created. The copy would not start either: fix the reference.',
    );
  return isSecret ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

/**
 * The data branch's steps for one takeover: checks the original (reachable, readable, within the
 * limit) and plans the branch's creation and seed; or, when the session has its branch already
 * (another participant's takeover made it), only this takeover's claim on it.
 */
export async function planDataBranch(
  api: ObjectApi,
  input: {
    namespace: string;
    session: string;
    record: OwnerRecord;
    deployment: KubeObject & { spec?: Json };
    container: Json;
    request: DataBranchRequest;
    /** Not asked for: join the session's branch when this copy uses its database, else no branch. */
    shareOnly?: boolean;
  },
  signal: AbortSignal,
): Promise<BranchPlan | undefined> {
  const { namespace: ns, session, request } = input;
  const where = `Deployment ${ns}/${input.deployment.metadata.name}, container ${input.container.name}`;
  // Where the database is may come from a ConfigMap or a Secret (PGDATABASE often shares the
  // credentials' Secret); a DATABASE_URL only from a ConfigMap (findDatabase says why).
  const known = new Map<string, string | undefined>();
  const keyOf = (v: EnvValue) =>
    'value' in v
      ? ''
      : 'secretKeyRef' in v
        ? `secret/${v.secretKeyRef.name}/${v.secretKeyRef.key}`
        : `configmap/${v.configMapKeyRef.name}/${v.configMapKeyRef.key}`;
  for (const e of (input.container.env ?? []) as Json[]) {
    if (!['PGHOST', 'PGPORT', 'PGDATABASE', 'DATABASE_URL'].includes(e.name)) continue;
    const ref: EnvValue | undefined = e.valueFrom?.configMapKeyRef
      ? { configMapKeyRef: e.valueFrom.configMapKeyRef }
      : e.valueFrom?.secretKeyRef && e.name !== 'DATABASE_URL'
        ? { secretKeyRef: e.valueFrom.secretKeyRef }
        : undefined;
    if (ref) known.set(keyOf(ref), await readValue(api, ns, ref, signal, where));
  }
  const find = () =>
    findDatabase(input.container, request, (v) => ('value' in v ? v.value : known.get(keyOf(v))), where);
  let source: DatabaseSource;
  try {
    source = find();
  } catch (err) {
    if (input.shareOnly && err instanceof SessionError) return undefined;
    throw err;
  }
  const name = dataBranchName(session);
  const ref = (type: ObjRef['type']): ObjRef => ({ type, namespace: ns, name });
  const release = {
    kind: 'release-branch' as const,
    namespace: ns,
    session,
    summary: `Delete data branch ${name} (Deployment and Service), unless another service in the session still uses it`,
  };
  const existing = await api.tryGet(apiTypes.deployment, ns, name, signal);
  if (existing) {
    if (existing.metadata.labels?.[labels.session] !== session)
      throw new SessionError(
        'invalid',
        `Deployment ${ns}/${name} exists and is not session ${session}'s data branch`,
        'Nothing was created. Pick another session name.',
      );
    const of = existing.metadata.annotations?.[annotations.branchOf];
    if (input.shareOnly && of !== sourceText(source)) return undefined;
    if (of !== sourceText(source))
      throw new SessionError(
        'unsupported',
        `Session ${session}'s data branch is of ${of ?? 'another database'}, but ${where} uses ${sourceText(source)}`,
        'Nothing was created. A session has one data branch: start this service without one, or in another session.',
      );
    return {
      source,
      info: { name, source: sourceText(source), shared: true },
      steps: [
        {
          kind: 'wait-ready',
          ref: ref('deployment'),
          summary: `Use session ${session}'s data branch ${name} (of ${sourceText(source)})`,
          undo: [release],
        },
      ],
    };
  }
  if (input.shareOnly) return undefined;
  const bytes = await checkOriginal(api, ns, source, where, request, signal);
  const owned = { labels: sessionLabels(session, 'data-branch'), ownerReferences: [ownerReference(input.record)] };
  const objects = branchObjects(ns, session, owned, source, request.image ?? defaultBranchImage);
  return {
    source,
    info: { name, source: sourceText(source), bytes, shared: false },
    steps: [
      {
        kind: 'create',
        ref: ref('service'),
        object: objects.service,
        summary: `Create Service ${name} for the session's data branch`,
        undo: [release],
      },
      {
        kind: 'create',
        ref: ref('deployment'),
        object: objects.deployment,
        summary: `Create Deployment ${name}: PostgreSQL (${request.image ?? defaultBranchImage}) with the original's user, password and database name, no persistent storage`,
        undo: [],
      },
      { kind: 'wait-ready', ref: ref('deployment'), summary: `Wait for the data branch ${name} to be Ready`, undo: [] },
      {
        kind: 'seed-branch',
        ref: ref('deployment'),
        source,
        summary: `Seed ${name} from ${sourceText(source)} (${mb(bytes)}): pg_dump in one read-only snapshot, run in the branch's pod`,
        undo: [],
      },
    ],
  };
}

/** Whether the session has its data branch in the namespace. */
export async function hasDataBranch(
  api: ObjectApi,
  namespace: string,
  session: string,
  signal: AbortSignal,
): Promise<boolean> {
  const d = await api.tryGet(apiTypes.deployment, namespace, dataBranchName(session), signal);
  return d?.metadata.labels?.[labels.session] === session;
}

/** The Service name a host names in this namespace (`db`, `db.ns`, `db.ns.svc[.cluster.local]`). */
function serviceOfHost(host: string, namespace: string): string | undefined {
  const parts = host.split('.');
  if (parts.length === 1) return host;
  if (parts[1] === namespace && (parts.length === 2 || parts[2] === 'svc')) return parts[0];
  return undefined;
}

/**
 * Connects to the original as the copy would, from a pod behind its Service (the database's own,
 * which has psql), read-only; returns its size. Refuses when it cannot be reached, the user may
 * not read all of it, or it is larger than the limit.
 */
async function checkOriginal(
  api: ObjectApi,
  ns: string,
  source: DatabaseSource,
  where: string,
  request: DataBranchRequest,
  signal: AbortSignal,
): Promise<number> {
  const text = sourceText(source);
  const svcName = serviceOfHost(source.host, ns);
  const svc = svcName ? await api.tryGet<Service>(apiTypes.service, ns, svcName, signal) : undefined;
  if (!svc?.spec?.selector || Object.keys(svc.spec.selector).length === 0)
    throw new SessionError(
      'unsupported',
      `Cannot check the database ${text}: ${source.host} is not a Service with a selector in namespace ${ns}`,
      'Nothing was created. Devlane checks and seeds a branch from a PostgreSQL that runs in the same namespace, behind a Service.',
    );
  const pods = (
    await api.list<Pod>(apiTypes.pod, ns, { labelSelector: selectorString(svc.spec.selector) }, signal)
  ).filter(ready);
  if (pods.length === 0)
    throw new SessionError(
      'unavailable',
      `Cannot reach the database ${text}: Service ${ns}/${svc.metadata.name} has no Ready pod`,
      'Nothing was created. Start the database, then start the session again.',
    );
  const pod = pods[0];
  const container = pod.spec?.containers?.[0]?.name ?? '';
  const user = await readValue(api, ns, source.user, signal, where);
  const password = await readValue(api, ns, source.password, signal, where);
  const r = await execWithInput(
    api,
    { namespace: ns, pod: pod.metadata.name, container, command: ['sh', '-c', checkScript(source, user ?? '')] },
    `${password ?? ''}\n`,
    signal,
  );
  const found = r.exitCode === 0 ? parseCheck(r.stdout) : undefined;
  if (!found)
    throw new SessionError(
      'unavailable',
      `Cannot read the database ${text} as ${user}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ') || `psql in ${ns}/${pod.metadata.name} ended with ${r.exitCode}`}`,
      "Nothing was created. Check that the database is up and that the copy's credentials work, then start again.",
    );
  if (found.unreadable.length)
    throw new SessionError(
      'forbidden',
      `${user} may not read all of ${text}: no SELECT on ${found.unreadable.slice(0, 10).join(', ')}${found.unreadable.length > 10 ? ` and ${found.unreadable.length - 10} more` : ''}`,
      "Nothing was created. A branch is seeded with the copy's own credentials; grant them SELECT (and USAGE on the schemas), or start without a data branch.",
    );
  if (found.bytes > request.limitMb * 1e6)
    throw new SessionError(
      'unsupported',
      `The database ${text} is ${mb(found.bytes)}, larger than the data branch limit of ${request.limitMb} MB`,
      `Nothing was created. Raise the limit (devlane start --branch-data-limit ${Math.ceil(found.bytes / 1e6)}, or "limitMb" in the service's "data" section of .vscode/devlane.json), or start without a data branch.`,
    );
  return found.bytes;
}

/** Runs a command with `input` on its stdin (a password never goes into the command line). */
async function execWithInput(
  api: ObjectApi,
  req: { namespace: string; pod: string; container: string; command: string[] },
  input: string,
  signal: AbortSignal,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stream = await api.openExec(req, signal);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stream.onStdout((d) => out.push(d));
  stream.onStderr((d) => err.push(d));
  const end = new Promise<number>((resolve, reject) =>
    stream.onClose((e) => (e.error ? reject(e.error) : resolve(e.exitCode))),
  );
  await stream.write(input);
  stream.endInput();
  const exitCode = await end;
  return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Seeds the branch from inside its pod; returns its size after the seed. */
export async function seedBranch(ctx: ExecContext, ref: ObjRef, source: DatabaseSource): Promise<number> {
  const deployment = await ctx.api.get<KubeObject & { spec?: Json }>(
    apiTypes.deployment,
    ref.namespace,
    ref.name,
    ctx.signal,
  );
  const selector: Record<string, string> = deployment.spec?.selector?.matchLabels ?? {};
  const pod = (
    await ctx.api.list<Pod>(apiTypes.pod, ref.namespace, { labelSelector: selectorString(selector) }, ctx.signal)
  ).find(ready);
  if (!pod)
    throw new SessionError(
      'failed',
      `The data branch ${ref.name} has no Ready pod to seed`,
      'Start the session again.',
    );
  const started = performance.now();
  const r = await ctx.api.exec(
    ref.namespace,
    pod.metadata.name,
    'postgres',
    ['sh', '-c', seedScript(source)],
    ctx.signal,
  );
  if (r.exitCode !== 0)
    throw new SessionError(
      'failed',
      `Seeding the data branch ${ref.name} from ${sourceText(source)} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${r.exitCode}`}`,
      'The original was only read. Fix the cause and start again.',
    );
  const bytes = Number(r.stdout.trim().split('\n').pop());
  ctx.report(
    `Data branch ${ref.name} seeded from ${sourceText(source)} in ${((performance.now() - started) / 1000).toFixed(1)} s (${mb(bytes)})`,
  );
  return bytes;
}

/**
 * Deletes the session's branch unless another takeover in the record (not `service`'s) still
 * claims it. Only objects the session made are deleted.
 */
export async function releaseBranch(
  ctx: ExecContext,
  scope: { namespace: string; session: string; service: string; recordUid?: string },
): Promise<string | undefined> {
  const record = await getRecord(ctx.api, scope.namespace, scope.session, ctx.signal);
  const others = record?.state.services.filter(
    (s) => s.service !== scope.service && s.undo.some((u) => u.kind === 'release-branch'),
  );
  if (others?.length) {
    ctx.logger.info(`data branch of ${scope.session} kept: ${others.map((s) => s.service).join(', ')} still use it`);
    return undefined;
  }
  const name = dataBranchName(scope.session);
  for (const type of [apiTypes.deployment, apiTypes.service]) {
    const obj = await ctx.api.tryGet(type, scope.namespace, name, ctx.signal);
    if (!obj) continue;
    if (!createdBySession(obj, scope))
      return `${type.kind} ${scope.namespace}/${name} was not created by session ${scope.session}; left as it is`;
    try {
      await ctx.api.delete(type, scope.namespace, name, {
        signal: ctx.signal,
        preconditions: { uid: obj.metadata.uid },
      });
    } catch (err) {
      if (!(err instanceof ClusterError && (err.kind === 'not-found' || err.kind === 'conflict'))) throw err;
    }
  }
  return undefined;
}
