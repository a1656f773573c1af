// `.vscode/devlane.json`: which local folder goes where in each service's developer copy, what is
// left out, and what happens after a batch lands. Versioned; validated here with errors that name
// the field (the same rules as schemas/devlane.schema.json, which gives completion in the editor).
import { debugRuntimes, type DebugRuntime } from '../debug/runtime';
import { binaryProblem, buildOutput, defaultBinary, defaultBuildCommand } from './build';
import { remotePathProblem } from './remote-root';
import { dataConfig, type DataConfig } from '../data/config';

export const configVersion = 1;
export const configFile = '.vscode/devlane.json';
export const syncActions = ['restart', 'signal', 'command', 'build', 'none'] as const;
export type SyncAction = (typeof syncActions)[number];

export interface ServiceSync {
  /** The local folder, relative to the workspace folder (or absolute). */
  localPath: string;
  /** The absolute POSIX path in the container. */
  remotePath: string;
  /** gitignore-style globs, on top of .gitignore and .dockerignore. */
  exclude: string[];
  /** Replaces the default excludes (`.git`, `node_modules`). */
  defaultExcludes?: string[];
  action: SyncAction;
  /** For `signal`: sent to the process the supervisor runs. */
  signal: string;
  /** For `command`: run with `sh -c` in remotePath after each batch. */
  command?: string;
  /** For `build`: run with `sh -c` in remotePath after each batch; the program restarts only when it succeeds (src/core/sync/build.ts). */
  build?: string;
  /** For `build`: the program the build makes and the supervisor runs (absolute; from the command's `-o` when absent). */
  binary?: string;
  /** The container to sync into; the Service's main container when absent. */
  container?: string;
  /** Runs the developer copy with this image (one with `sh` and `tar`) instead of the original. */
  devImage?: string;
  /** The command the supervisor runs when the pod spec has none (the image's entrypoint + cmd). */
  run?: string[];
  /** The debugger in the copy: the runtime (detected when `auto`) and its port on 127.0.0.1 in the pod. */
  debug?: DebugConfig;
  /** The session's data branch for this service (src/core/data/config.ts). */
  data?: DataConfig;
}

export interface DebugConfig {
  runtime: DebugRuntime | 'auto' | 'off';
  port?: number;
}

export interface DevlaneConfig {
  version: typeof configVersion;
  services: Record<string, ServiceSync>;
}

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${configFile}: ${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

const signals = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTERM'];
const serviceKeys = [
  'localPath',
  'remotePath',
  'exclude',
  'defaultExcludes',
  'action',
  'signal',
  'command',
  'build',
  'binary',
  'container',
  'devImage',
  'run',
  'debug',
  'data',
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v);

function str(o: Record<string, unknown>, key: string, field: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '')
    throw new ConfigError(
      `${field}.${key}`,
      v === undefined ? 'is required' : `must be a non-empty string (got ${show(v)})`,
    );
  return v;
}

function strings(o: Record<string, unknown>, key: string, field: string): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new ConfigError(`${field}.${key}`, `must be an array of strings (got ${show(v)})`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw new ConfigError(`${field}.${key}[${i}]`, `must be a string (got ${show(s)})`);
  });
  return v as string[];
}

function service(name: string, v: unknown): ServiceSync {
  const field = `services.${name}`;
  if (!isObject(v)) throw new ConfigError(field, `must be an object (got ${show(v)})`);
  for (const k of Object.keys(v))
    if (!serviceKeys.includes(k))
      throw new ConfigError(`${field}.${k}`, `is not a known setting (known: ${serviceKeys.join(', ')})`);
  const remote = str(v, 'remotePath', field, true)!;
  const unsafe = remotePathProblem(remote);
  if (unsafe) throw new ConfigError(`${field}.remotePath`, unsafe);
  const action = (v.action ?? 'restart') as SyncAction;
  if (!syncActions.includes(action))
    throw new ConfigError(`${field}.action`, `must be one of ${syncActions.join(', ')} (got ${show(v.action)})`);
  const signal = str(v, 'signal', field, false) ?? 'SIGHUP';
  if (!signals.includes(signal))
    throw new ConfigError(`${field}.signal`, `must be one of ${signals.join(', ')} (got ${show(signal)})`);
  const command = str(v, 'command', field, action === 'command');
  if (command?.includes('\n'))
    throw new ConfigError(`${field}.command`, 'must be one line (use `&&` or a script in the container)');
  for (const k of ['build', 'binary'])
    if (v[k] !== undefined && action !== 'build')
      throw new ConfigError(`${field}.${k}`, `is used only with "action": "build" (the action is ${show(action)})`);
  const build = action === 'build' ? buildSettings(v, field) : undefined;
  const run = strings(v, 'run', field);
  if (run && run.length === 0) throw new ConfigError(`${field}.run`, 'must name a program (got an empty list)');
  const debug = debugConfig(v.debug, `${field}.debug`);
  const data = dataConfig(v.data, `${field}.data`, (f, m) => {
    throw new ConfigError(f, m);
  });
  return {
    localPath: str(v, 'localPath', field, false) ?? '.',
    remotePath: remote,
    exclude: strings(v, 'exclude', field) ?? [],
    ...(v.defaultExcludes !== undefined ? { defaultExcludes: strings(v, 'defaultExcludes', field) } : {}),
    action,
    signal,
    ...(command ? { command } : {}),
    ...(build ?? {}),
    ...(v.container !== undefined ? { container: str(v, 'container', field, true) } : {}),
    ...(v.devImage !== undefined ? { devImage: str(v, 'devImage', field, true) } : {}),
    ...(run ? { run } : {}),
    ...(debug ? { debug } : {}),
    ...(data ? { data } : {}),
  };
}

/** `build` and `binary` of a build mapping, filled with their defaults (the file saved says what runs). */
function buildSettings(v: Record<string, unknown>, field: string): { build: string; binary: string } {
  const build = str(v, 'build', field, false) ?? defaultBuildCommand;
  if (build.includes('\n'))
    throw new ConfigError(`${field}.build`, 'must be one line (use `&&` or a script in the container)');
  const given = str(v, 'binary', field, false);
  const binary = given ?? buildOutput(build, str(v, 'remotePath', field, true)!) ?? defaultBinary;
  const problem = binaryProblem(binary);
  if (problem) throw new ConfigError(`${field}.${given ? 'binary' : 'build'}`, problem);
  return { build, binary };
}

function debugConfig(v: unknown, field: string): DebugConfig | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v))
    throw new ConfigError(field, `must be an object such as { "runtime": "node", "port": 9229 } (got ${show(v)})`);
  for (const k of Object.keys(v))
    if (k !== 'runtime' && k !== 'port')
      throw new ConfigError(`${field}.${k}`, 'is not a known setting (known: runtime, port)');
  const runtimes = ['auto', 'off', ...debugRuntimes];
  const runtime = (v.runtime ?? 'auto') as DebugConfig['runtime'];
  if (!runtimes.includes(runtime))
    throw new ConfigError(`${field}.runtime`, `must be one of ${runtimes.join(', ')} (got ${show(v.runtime)})`);
  if (v.port !== undefined && (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535))
    throw new ConfigError(`${field}.port`, `must be a port number from 1 to 65535 (got ${show(v.port)})`);
  return { runtime, ...(v.port !== undefined ? { port: v.port as number } : {}) };
}

/** Parses and validates the file's text. Throws a ConfigError naming the field. */
export function parseConfig(text: string): DevlaneConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('(file)', `is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new ConfigError('(file)', 'must be a JSON object');
  if (raw.version !== configVersion) {
    throw new ConfigError(
      'version',
      raw.version === undefined
        ? `is required (${configVersion})`
        : `must be ${configVersion} (got ${show(raw.version)}); this Devlane reads version ${configVersion}`,
    );
  }
  for (const k of Object.keys(raw))
    if (k !== 'version' && k !== 'services' && k !== '$schema')
      throw new ConfigError(k, 'is not a known setting (known: version, services)');
  const services = raw.services ?? {};
  if (!isObject(services))
    throw new ConfigError('services', `must be an object keyed by service name (got ${show(services)})`);
  return {
    version: configVersion,
    services: Object.fromEntries(Object.entries(services).map(([n, s]) => [n, service(n, s)])),
  };
}

/** The file's text with one service's mapping set (others kept), for saving what the user confirmed. */
export function withService(config: DevlaneConfig | undefined, name: string, sync: ServiceSync): string {
  const next: DevlaneConfig = { version: configVersion, services: { ...(config?.services ?? {}), [name]: sync } };
  return `${JSON.stringify(next, null, 2)}\n`;
}
