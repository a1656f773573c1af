// A container's environment, built the way the kubelet builds it (makeEnvironmentVariables):
// Service link variables, then envFrom in order, then env in order with `$(VAR)` expansion over what
// is defined so far; the image's env sits underneath (the runtime merges it; pod values win).

import { ApiError, type Api, type KObject } from '../core/types';

/** Expands `$(VAR)` from `lookup`; `$$` is an escaped `$`; an undefined `$(VAR)` stays as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v === undefined ? `$(${name})` : v;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

/** `<SVC>_SERVICE_HOST`, `_SERVICE_PORT`, `_SERVICE_PORT_<NAME>` and the docker-link variables for one Service. */
export function serviceEnv(svc: KObject): [string, string][] {
  const ip: string | undefined = svc.spec?.clusterIP;
  if (!ip || ip === 'None') return [];
  const ports: { name?: string; port: number; protocol?: string }[] = svc.spec?.ports ?? [];
  if (ports.length === 0) return [];
  const n = String(svc.metadata.name).toUpperCase().replace(/-/g, '_');
  const out: [string, string][] = [
    [`${n}_SERVICE_HOST`, ip],
    [`${n}_SERVICE_PORT`, String(ports[0].port)],
  ];
  for (const p of ports)
    if (p.name) out.push([`${n}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, String(p.port)]);
  const first = ports[0];
  const proto0 = (first.protocol ?? 'TCP').toLowerCase();
  out.push([`${n}_PORT`, `${proto0}://${ip}:${first.port}`]);
  for (const p of ports) {
    const proto = (p.protocol ?? 'TCP').toUpperCase();
    const prefix = `${n}_PORT_${p.port}_${proto}`;
    out.push(
      [prefix, `${proto.toLowerCase()}://${ip}:${p.port}`],
      [`${prefix}_PROTO`, proto.toLowerCase()],
      [`${prefix}_PORT`, String(p.port)],
      [`${prefix}_ADDR`, ip],
    );
  }
  return out;
}

/** A value the kubelet could not resolve: the container waits with CreateContainerConfigError. */
export class ConfigError extends Error {}

export interface EnvContext {
  api: Api;
  pod: KObject;
  podIP: string;
  hostIP: string;
}

function fieldPathValue(ctx: EnvContext, path: string): string {
  const pod = ctx.pod;
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1]] as Record<string, string> | undefined)?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
  }
  throw new ConfigError(`unsupported fieldPath: ${path}`);
}

/** The downward API's `key="value"` lines for labels and annotations, sorted by key. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

export { fieldPathValue };

function objectData(
  ctx: EnvContext,
  kind: 'configmaps' | 'secrets',
  name: string,
  optional: boolean,
): Record<string, string> | undefined {
  const o = ctx.api.tryGet(kind, ctx.pod.metadata.namespace, name);
  if (!o) {
    if (optional) return undefined;
    throw new ConfigError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${name}" not found`);
  }
  if (kind === 'secrets') {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>))
      out[k] = Buffer.from(v, 'base64').toString('utf8');
    for (const [k, v] of Object.entries((o.stringData ?? {}) as Record<string, string>)) out[k] = v;
    return out;
  }
  const out: Record<string, string> = { ...((o.data ?? {}) as Record<string, string>) };
  for (const [k, v] of Object.entries((o.binaryData ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/**
 * The environment Kubernetes gives a container (without the image's env), in order.
 * Throws ConfigError for a missing ConfigMap/Secret/key, as the kubelet's CreateContainerConfigError.
 */
export function podEnv(ctx: EnvContext, container: KObject, services: KObject[]): [string, string][] {
  const vars = new Map<string, string>();
  const ns = ctx.pod.metadata.namespace;
  // Service variables: those of the pod's namespace (if enableServiceLinks), plus the master service.
  const svcVars = new Map<string, string>();
  const links = ctx.pod.spec?.enableServiceLinks !== false;
  for (const s of services) {
    const isMaster = s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes';
    if (s.metadata.namespace === ns && links && !isMaster) for (const [k, v] of serviceEnv(s)) svcVars.set(k, v);
  }
  for (const s of services) {
    if (s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes')
      for (const [k, v] of serviceEnv(s)) svcVars.set(k, v);
  }
  for (const ef of (container.envFrom ?? []) as KObject[]) {
    const prefix: string = ef.prefix ?? '';
    const ref = ef.configMapRef ?? ef.secretRef;
    if (!ref) continue;
    const data = objectData(ctx, ef.configMapRef ? 'configmaps' : 'secrets', ref.name, !!ref.optional);
    for (const [k, v] of Object.entries(data ?? {})) vars.set(prefix + k, v);
  }
  const lookup = (name: string) => vars.get(name) ?? svcVars.get(name);
  for (const e of (container.env ?? []) as KObject[]) {
    const name: string = e.name;
    if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) vars.set(name, fieldPathValue(ctx, vf.fieldRef.fieldPath));
      else if (vf.configMapKeyRef || vf.secretKeyRef) {
        const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
        const kind = vf.configMapKeyRef ? 'configmaps' : 'secrets';
        const data = objectData(ctx, kind, ref.name, !!ref.optional);
        if (data === undefined) continue;
        if (!(ref.key in data)) {
          if (ref.optional) continue;
          throw new ConfigError(
            `couldn't find key ${ref.key} in ${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}`,
          );
        }
        vars.set(name, data[ref.key]);
      } else if (vf.resourceFieldRef) {
        throw new ConfigError(
          `env ${name}: resourceFieldRef (${vf.resourceFieldRef.resource}) is not supported by the sandbox, which enforces no resource limits; set the value directly`,
        );
      } else {
        throw new ConfigError(`env ${name}: unsupported valueFrom`);
      }
    } else {
      vars.set(name, expand(e.value ?? '', lookup));
    }
  }
  for (const [k, v] of svcVars) if (!vars.has(k)) vars.set(k, v);
  return [...vars];
}

/**
 * Image env (`K=V` lines) under the pod's env; HOSTNAME as the runtime sets it, and HOME when
 * neither sets it, as runc does from the user's passwd entry (containers here run as root).
 */
export function mergeEnv(imageEnv: string[], pod: [string, string][], hostname: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of imageEnv) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  if (!out.PATH) out.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  out.HOSTNAME = hostname;
  for (const [k, v] of pod) out[k] = v;
  if (!out.HOME) out.HOME = '/root';
  return out;
}

export function isConfigError(e: unknown): e is ConfigError | ApiError {
  return e instanceof ConfigError;
}
