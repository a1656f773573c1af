// The `data` section of a service in .vscode/devlane.json: whether developing the service starts a
// data branch, the size limit, the branch's image, and where the database is when the container's
// environment does not say (or says something else). Validated like the rest of the file
// (src/core/sync/config.ts, schemas/devlane.schema.json); `fail` throws its ConfigError.
import { defaultBranchLimitMb, type DataBranchRequest } from './branch';

export interface DataConfig {
  /** Start (or share) the session's data branch whenever this service is developed. */
  branch: boolean;
  limitMb?: number;
  image?: string;
  host?: string;
  port?: number;
  database?: string;
}

const keys = ['branch', 'limitMb', 'image', 'host', 'port', 'database'];

export function dataConfig(
  v: unknown,
  field: string,
  fail: (field: string, message: string) => never,
): DataConfig | undefined {
  if (v === undefined) return undefined;
  const show = (x: unknown) => JSON.stringify(x);
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(field, `must be an object such as { "branch": true, "limitMb": 100 } (got ${show(v)})`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!keys.includes(k)) fail(`${field}.${k}`, `is not a known setting (known: ${keys.join(', ')})`);
  if (o.branch !== undefined && typeof o.branch !== 'boolean')
    fail(`${field}.branch`, `must be true or false (got ${show(o.branch)})`);
  if (o.limitMb !== undefined && (typeof o.limitMb !== 'number' || !(o.limitMb >= 0) || !Number.isFinite(o.limitMb)))
    fail(`${field}.limitMb`, `must be a number of megabytes, 0 or more (got ${show(o.limitMb)})`);
  for (const k of ['image', 'host', 'database'])
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === ''))
      fail(`${field}.${k}`, `must be a non-empty string (got ${show(o[k])})`);
  if (o.port !== undefined && (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535))
    fail(`${field}.port`, `must be a port number from 1 to 65535 (got ${show(o.port)})`);
  return {
    branch: o.branch === true,
    ...(o.limitMb !== undefined ? { limitMb: o.limitMb as number } : {}),
    ...(o.image !== undefined ? { image: o.image as string } : {}),
    ...(o.host !== undefined ? { host: o.host as string } : {}),
    ...(o.port !== undefined ? { port: o.port as number } : {}),
    ...(o.database !== undefined ? { database: o.database as string } : {}),
  };
}

/**
 * The branch to start: asked for (`asked`: the CLI's --branch-data, the editor's option) or set in
 * the mapping (`branch: true`); the mapping's other settings fill in what was not asked.
 */
export function branchRequest(
  asked: Partial<DataBranchRequest> | undefined,
  config: DataConfig | undefined,
): DataBranchRequest | undefined {
  if (!asked && !config?.branch) return undefined;
  const pick = <K extends keyof DataConfig>(k: K) => (config?.[k] !== undefined ? { [k]: config[k] } : {});
  return {
    ...pick('image'),
    ...pick('host'),
    ...pick('port'),
    ...pick('database'),
    ...asked,
    limitMb: asked?.limitMb ?? config?.limitMb ?? defaultBranchLimitMb,
  };
}
