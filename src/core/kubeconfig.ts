// Kubeconfig resolution and merging as kubectl (client-go's loader) does it, as pure functions:
//  - which files: the `devlane.kubeconfig` setting if set, else every file in KUBECONFIG, else
//    ~/.kube/config. Files that do not exist are skipped, as kubectl skips them.
//  - merging: the first file that defines a named cluster, user or context wins; the first file
//    that sets current-context wins. kubectl never lets a later file override an earlier one.
//  - relative paths inside a file are relative to that file's directory.
// Reading the files is the caller's job (src/cluster/), so that all of this is testable in Node.
import * as path from 'node:path';
import { parse } from 'yaml';

/** One named entry as it appears in the file: `{ name, cluster: {...} }` etc. */
export interface NamedEntry {
  name: string;
  // The body is kept as written, so fields we do not know (extensions, proxy-url...) survive the merge.
  [body: string]: unknown;
}

export interface RawKubeconfig {
  clusters: NamedEntry[];
  users: NamedEntry[];
  contexts: NamedEntry[];
  'current-context'?: string;
}

export interface KubeconfigFile {
  path: string;
  /** The file's text, or undefined when it does not exist. */
  text: string | undefined;
}

export interface ContextSummary {
  name: string;
  cluster: string;
  user: string;
  /** The namespace the context names, or "default" as kubectl assumes. */
  namespace: string;
  /** The API server address of the context's cluster. */
  server?: string;
  /** The file that defined the context (the first one, when several do). */
  source: string;
  /** Set when the context cannot be used as written: a missing cluster or user. */
  problem?: string;
}

export interface MergedKubeconfig {
  config: RawKubeconfig;
  contexts: ContextSummary[];
  currentContext: string | undefined;
  files: string[];
  /** Files that exist but could not be read as a kubeconfig; the others are still used. */
  problems: { path: string; message: string }[];
}

export interface PathInputs {
  setting: string | undefined;
  envKubeconfig: string | undefined;
  home: string | undefined;
  delimiter: string;
}

export function kubeconfigPaths(inputs: PathInputs): { paths: string[]; source: 'setting' | 'KUBECONFIG' | 'default' } {
  const split = (value: string) =>
    value
      .split(inputs.delimiter)
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
      .map((p) => expandHome(p, inputs.home));
  if (inputs.setting?.trim()) return { paths: dedupe(split(inputs.setting)), source: 'setting' };
  if (inputs.envKubeconfig?.trim()) return { paths: dedupe(split(inputs.envKubeconfig)), source: 'KUBECONFIG' };
  return { paths: inputs.home ? [path.join(inputs.home, '.kube', 'config')] : [], source: 'default' };
}

function expandHome(p: string, home: string | undefined): string {
  if (!home) return p;
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

function dedupe(paths: string[]): string[] {
  return [...new Set(paths)];
}

export function mergeKubeconfigs(files: KubeconfigFile[]): MergedKubeconfig {
  const config: RawKubeconfig = { clusters: [], users: [], contexts: [] };
  const seen = { clusters: new Set<string>(), users: new Set<string>(), contexts: new Set<string>() };
  const contextSource = new Map<string, string>();
  const problems: MergedKubeconfig['problems'] = [];
  const used: string[] = [];

  for (const file of files) {
    if (file.text === undefined) continue;
    let doc: unknown;
    try {
      doc = parse(file.text);
    } catch (err) {
      problems.push({ path: file.path, message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    if (doc === null || doc === undefined) continue; // an empty file is allowed and contributes nothing
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push({ path: file.path, message: 'not a kubeconfig: the top level is not a mapping' });
      continue;
    }
    used.push(file.path);
    const d = doc as Record<string, unknown>;
    const dir = path.dirname(file.path);
    for (const section of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of entries(d[section])) {
        if (seen[section].has(entry.name)) continue; // first file wins, as in kubectl
        seen[section].add(entry.name);
        (config[section] as NamedEntry[]).push(resolvePaths(section, entry, dir));
        if (section === 'contexts') contextSource.set(entry.name, file.path);
      }
    }
    const current = d['current-context'];
    if (config['current-context'] === undefined && typeof current === 'string' && current) {
      config['current-context'] = current;
    }
  }

  const contexts = config.contexts.map((c) => summarize(c, config, contextSource.get(c.name) ?? ''));
  const currentContext = contexts.some((c) => c.name === config['current-context'])
    ? config['current-context']
    : undefined;
  return { config, contexts, currentContext, files: used, problems };
}

/** Contexts in display order: the current one first, then by name. */
export function orderContexts(contexts: ContextSummary[], current: string | undefined): ContextSummary[] {
  return [...contexts].sort((a, b) => {
    if (a.name === current) return -1;
    if (b.name === current) return 1;
    return a.name.localeCompare(b.name);
  });
}

function entries(value: unknown): NamedEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (e): e is NamedEntry => typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string',
  );
}

function body(entry: NamedEntry, key: string): Record<string, unknown> {
  const b = entry[key];
  return typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {};
}

const pathFields: Record<'clusters' | 'users' | 'contexts', { key: string; fields: string[] }> = {
  clusters: { key: 'cluster', fields: ['certificate-authority'] },
  users: { key: 'user', fields: ['client-certificate', 'client-key', 'tokenFile'] },
  contexts: { key: 'context', fields: [] },
};

function resolvePaths(section: keyof typeof pathFields, entry: NamedEntry, dir: string): NamedEntry {
  const { key, fields } = pathFields[section];
  const b = { ...body(entry, key) };
  for (const field of fields) {
    const value = b[field];
    if (typeof value === 'string' && value && !path.isAbsolute(value)) b[field] = path.join(dir, value);
  }
  // An exec plugin given as a relative path ("./bin/login") is relative to the file; a bare name
  // ("aws", "gke-gcloud-auth-plugin") is looked up on PATH. kubectl makes the same distinction.
  const exec = b.exec;
  if (section === 'users' && typeof exec === 'object' && exec !== null) {
    const command = (exec as { command?: unknown }).command;
    if (typeof command === 'string' && /[\\/]/.test(command) && !path.isAbsolute(command)) {
      b.exec = { ...exec, command: path.join(dir, command) };
    }
  }
  return { ...entry, [key]: b };
}

function summarize(entry: NamedEntry, config: RawKubeconfig, source: string): ContextSummary {
  const b = body(entry, 'context');
  const cluster = typeof b.cluster === 'string' ? b.cluster : '';
  const user = typeof b.user === 'string' ? b.user : '';
  const namespace = typeof b.namespace === 'string' && b.namespace ? b.namespace : 'default';
  let problem: string | undefined;
  const clusterEntry = config.clusters.find((c) => c.name === cluster);
  const server = clusterEntry ? body(clusterEntry, 'cluster').server : undefined;
  if (!cluster) problem = 'the context names no cluster';
  else if (!clusterEntry) problem = `cluster "${cluster}" is not defined in any kubeconfig file`;
  else if (user && !config.users.some((u) => u.name === user))
    problem = `user "${user}" is not defined in any kubeconfig file`;
  if (!problem && clusterEntry && typeof server !== 'string') problem = `cluster "${cluster}" has no server address`;
  return {
    name: entry.name,
    cluster,
    user,
    namespace,
    ...(typeof server === 'string' ? { server } : {}),
    source,
    ...(problem ? { problem } : {}),
  };
}

/** The name of the credential plugin a user entry relies on, for error messages. */
export function credentialPluginName(config: RawKubeconfig, userName: string): string | undefined {
  const user = config.users.find((u) => u.name === userName);
  if (!user) return undefined;
  const b = body(user, 'user');
  const exec = b.exec as { command?: unknown } | undefined;
  if (exec && typeof exec.command === 'string') return `exec plugin "${exec.command}"`;
  const provider = b['auth-provider'] as { name?: unknown } | undefined;
  if (provider && typeof provider.name === 'string') return `auth provider "${provider.name}"`;
  return undefined;
}
