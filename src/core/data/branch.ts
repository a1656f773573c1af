// Data branches: a session's own PostgreSQL database, seeded from the one the developer copy would
// use, so that the copy's writes never reach the original. Pure: what the copy's environment says
// about its database, the branch's Deployment and Service, the copy's environment pointed at the
// branch, and the shell scripts that check the original and seed the branch. The session layer
// (src/session/data-branch.ts) reads the cluster and runs them.
//
// The original is found in the main container's environment: DATABASE_URL (postgres://…), or the
// libpq variables PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, each a value or a reference to a
// Secret or ConfigMap key; the service's `data` section in .vscode/devlane.json fills in or
// overrides the host, port and database. The branch runs with the same user and password (the same
// Secret references), so the application needs no change: only the host (and port) it is given.
import type { Json, KubeObject } from '../resources';
import { SessionError } from '../session/errors';
import { annotations, fitName } from '../session/names';
import { labels as contract } from '../session/route-contract';

export const defaultBranchLimitMb = 100;
export const defaultBranchImage = 'postgres:15';
export const branchPort = 5432;

/** What the user asked for: the CLI's --branch-data, the editor's option, or the `data` section. */
export interface DataBranchRequest {
  /** Refuse when the original is larger than this, in MB (10^6 bytes). */
  limitMb: number;
  /** The branch's image (a postgres image with psql and pg_dump); `postgres:15` when absent. */
  image?: string;
  /** Overrides what the environment says. */
  host?: string;
  port?: number;
  database?: string;
}

/** An environment value as a pod spec gives it: literal, or a reference to a key. */
export type EnvValue =
  | { value: string }
  | { secretKeyRef: { name: string; key: string } }
  | { configMapKeyRef: { name: string; key: string } };

/** Where the copy's database is and how the copy names it. */
export interface DatabaseSource {
  host: string;
  port: number;
  database: string;
  user: EnvValue;
  password: EnvValue;
  /** The variables of the copy's container that name the host (and port): replaced in the copy. */
  via: 'libpq' | 'DATABASE_URL';
  /** For DATABASE_URL: the URL as given (a literal or a ConfigMap's value, never a Secret's). */
  url?: string;
}

export const dataBranchName = (session: string) => fitName(['devlane-data', session]);

const envVars = ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD'] as const;

function envValue(e: Json | undefined): EnvValue | undefined {
  if (!e) return undefined;
  if (typeof e.value === 'string') return { value: e.value };
  const s = e.valueFrom?.secretKeyRef;
  if (s?.name && s?.key) return { secretKeyRef: { name: s.name, key: s.key } };
  const c = e.valueFrom?.configMapKeyRef;
  if (c?.name && c?.key) return { configMapKeyRef: { name: c.name, key: c.key } };
  return undefined;
}

const describeValue = (v: EnvValue): string =>
  'value' in v
    ? 'a value'
    : 'secretKeyRef' in v
      ? `Secret ${v.secretKeyRef.name} key ${v.secretKeyRef.key}`
      : `ConfigMap ${v.configMapKeyRef.name} key ${v.configMapKeyRef.key}`;

/**
 * The copy's database from its main container's environment and the request's overrides.
 * `resolve` reads a ConfigMap-referenced value (host, port, database, URL may come from one);
 * Secret values are never read here. Throws a SessionError saying what is missing.
 */
export function findDatabase(
  container: Json,
  request: DataBranchRequest,
  resolve: (v: EnvValue) => string | undefined,
  where: string,
): DatabaseSource {
  const env = new Map<string, EnvValue>();
  for (const e of (container.env ?? []) as Json[]) {
    if (!envVars.includes(e.name)) continue;
    const v = envValue(e);
    if (!v)
      throw new SessionError(
        'unsupported',
        `${where}: ${e.name} is set in a way Devlane cannot follow (only value, secretKeyRef and configMapKeyRef)`,
        'Nothing was created. Give the database in the service\'s "data" section of .vscode/devlane.json.',
      );
    env.set(e.name, v);
  }
  const text = (name: string) => {
    const v = env.get(name);
    return v ? resolve(v) : undefined;
  };
  const none = () =>
    new SessionError(
      'unsupported',
      `${where} names no PostgreSQL database: no DATABASE_URL, and no PGHOST with PGUSER and PGPASSWORD in its environment`,
      'Nothing was created. Set them on the container, or give host, port and database in the service\'s "data" section of .vscode/devlane.json.',
    );
  const url = env.get('DATABASE_URL');
  if (url && !env.has('PGHOST')) {
    if ('secretKeyRef' in url)
      throw new SessionError(
        'unsupported',
        `${where}: DATABASE_URL comes from ${describeValue(url)}; pointing only the copy at a branch would mean writing the password into the copy's Deployment`,
        'Nothing was created. Give the copy PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD (PGPASSWORD from the Secret) instead, then start again.',
      );
    const raw = resolve(url);
    if (!raw) throw none();
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new SessionError('invalid', `${where}: DATABASE_URL is not a URL`, 'Nothing was created.');
    }
    if (!/^postgres(ql)?:$/.test(u.protocol))
      throw new SessionError(
        'unsupported',
        `${where}: DATABASE_URL is a ${u.protocol.replace(/:$/, '')} URL; data branches are PostgreSQL only`,
        'Nothing was created. Start without a data branch.',
      );
    return {
      host: request.host ?? decodeURIComponent(u.hostname),
      port: request.port ?? Number(u.port || branchPort),
      database: request.database ?? decodeURIComponent(u.pathname.replace(/^\//, '') || u.username),
      user: { value: decodeURIComponent(u.username) },
      password: { value: decodeURIComponent(u.password) },
      via: 'DATABASE_URL',
      url: raw,
    };
  }
  const host = request.host ?? text('PGHOST');
  const user = env.get('PGUSER');
  const password = env.get('PGPASSWORD');
  if (!host || !user || !password) throw none();
  const port = request.port ?? Number(text('PGPORT') || branchPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new SessionError('invalid', `${where}: PGPORT is not a port number`, 'Nothing was created.');
  const database = request.database ?? text('PGDATABASE') ?? ('value' in user ? user.value : undefined);
  if (!database) throw none();
  return { host, port, database, user, password, via: 'libpq' };
}

/** How a pod spec's env entry gives this value. */
function envEntry(name: string, v: EnvValue): Json {
  if ('value' in v) return { name, value: v.value };
  return { name, valueFrom: v };
}

/**
 * The branch: one PostgreSQL pod with the original's user, password and database name, no
 * persistence. `owned` is the session's labels (role data-branch) and the owner reference to its record.
 */
export function branchObjects(
  namespace: string,
  session: string,
  owned: { labels: Record<string, string>; ownerReferences: KubeObject['metadata']['ownerReferences'] },
  source: DatabaseSource,
  image: string,
): { deployment: KubeObject & { spec: Json }; service: KubeObject & { spec: Json } } {
  const name = dataBranchName(session);
  const labels = owned.labels;
  const selector = { [contract.session]: session, [contract.role]: 'data-branch' };
  const metadata = {
    name,
    namespace,
    labels,
    annotations: { [annotations.branchOf]: `${source.host}:${source.port}/${source.database}` },
    ownerReferences: owned.ownerReferences,
  };
  return {
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'postgres',
                image,
                ports: [{ name: 'postgres', containerPort: branchPort }],
                env: [
                  envEntry('POSTGRES_USER', source.user),
                  envEntry('POSTGRES_PASSWORD', source.password),
                  { name: 'POSTGRES_DB', value: source.database },
                ],
                readinessProbe: { tcpSocket: { port: 'postgres' }, periodSeconds: 1, failureThreshold: 3 },
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
              },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: { selector, ports: [{ name: 'postgres', port: branchPort, targetPort: 'postgres' }] },
    },
  };
}

/** The copy's containers with the database variables pointed at the branch (host and port only). */
export function pointAtBranch(containers: Json[], source: DatabaseSource, session: string): Json[] {
  const host = dataBranchName(session);
  return containers.map((c) => {
    if (!(c.env ?? []).some((e: Json) => envVars.includes(e.name))) return c;
    const env = (c.env as Json[]).map((e) => {
      if (e.name === 'PGHOST') return { name: 'PGHOST', value: host };
      if (e.name === 'PGPORT') return { name: 'PGPORT', value: String(branchPort) };
      if (e.name === 'DATABASE_URL' && source.via === 'DATABASE_URL' && source.url) {
        const u = new URL(source.url);
        u.hostname = host;
        u.port = String(branchPort);
        return { name: 'DATABASE_URL', value: u.toString() };
      }
      return e;
    });
    return { ...c, env };
  });
}

/** Single-quoted for sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Run in the original database's pod, the password on stdin: connects as the copy would (same
 * host, port, user, database), read-only, and prints `SIZE|UNREADABLE` (bytes, and the relations
 * the user cannot read, comma-separated).
 */
export function checkScript(source: DatabaseSource, user: string): string {
  const sql = `SELECT pg_database_size(current_database()) || '|' || coalesce((SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY 1) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'S', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND (NOT has_schema_privilege(n.oid, 'USAGE') OR NOT has_table_privilege(c.oid, 'SELECT'))), '')`;
  return [
    'IFS= read -r PGPASSWORD; export PGPASSWORD',
    `PGOPTIONS='-c default_transaction_read_only=on' PGCONNECT_TIMEOUT=5 exec psql -X -A -t -q -v ON_ERROR_STOP=1 -h ${q(source.host)} -p ${source.port} -U ${q(user)} -d ${q(source.database)} -c ${q(sql)}`,
  ].join('\n');
}

/** What a check printed: the size in bytes and the relations the user cannot read. */
export function parseCheck(stdout: string): { bytes: number; unreadable: string[] } | undefined {
  const m = /^(\d+)\|(.*)$/m.exec(stdout.trim());
  if (!m) return undefined;
  return { bytes: Number(m[1]), unreadable: m[2] ? m[2].split(', ') : [] };
}

/**
 * Run in the branch's pod: dumps the original (one REPEATABLE READ, read-only transaction: a
 * consistent snapshot; pg_dump writes nothing) straight into the branch. The password is the
 * branch's own POSTGRES_PASSWORD, which is the original's. Nothing passes through the editor.
 */
export function seedScript(source: DatabaseSource): string {
  return [
    'set -u',
    'export PGPASSWORD="$POSTGRES_PASSWORD"',
    `{ PGOPTIONS='-c default_transaction_read_only=on' pg_dump --no-owner --no-privileges -h ${q(source.host)} -p ${source.port} -U "$POSTGRES_USER" -d ${q(source.database)}; echo $? >/tmp/devlane-dump-status; } | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ${branchPort} -U "$POSTGRES_USER" -d "$POSTGRES_DB" >/dev/null`,
    'restored=$?',
    'dumped=$(cat /tmp/devlane-dump-status)',
    '[ "$dumped" = 0 ] || { echo "pg_dump ended with $dumped" >&2; exit 4; }',
    '[ "$restored" = 0 ] || { echo "psql ended with $restored while restoring" >&2; exit 5; }',
    `psql -X -A -t -q -h 127.0.0.1 -p ${branchPort} -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c 'SELECT pg_database_size(current_database())'`,
  ].join('\n');
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
