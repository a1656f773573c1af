// The generic object API sessions use: get/list/create/update/patch/delete of any kind, with
// server-side dry-run and resourceVersion / uid preconditions, plus access reviews and discovery.
// Raw JSON in and out, like the rest of src/cluster/, so objects keep every field the server sent.
import type {
  ExecResult,
  ExecStream,
  ExecStreamRequest,
  InformerLease,
  ObjectApi,
  ListOptions,
  WriteOptions,
  DeleteOptions,
} from './api';
import { execCommand } from './exec';
import { openExecStream } from './exec-stream';
import { type KubeHttp, sendJson } from './http';
import { type AccessCheck, type ApiType, apiPath, apiVersionOf } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { KubeObject } from '../core/resources';

const where = (type: ApiType, ns: string | undefined, name?: string) =>
  `${type.kind}${name ? ` ${ns ? `${ns}/` : ''}${name}` : ns ? ` in namespace "${ns}"` : ''}`;

function query(opts: { dryRun?: boolean; fieldManager?: boolean }): string {
  const q = new URLSearchParams();
  if (opts.dryRun) q.set('dryRun', 'All');
  if (opts.fieldManager) q.set('fieldManager', 'devlane');
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class HttpObjectApi implements ObjectApi {
  private readonly servedCache = new Map<string, Promise<boolean>>();

  constructor(
    private readonly http: KubeHttp,
    private readonly informer: (type: ApiType, namespace: string, opts: ListOptions) => InformerLease<KubeObject>,
  ) {}

  watchSelected<T extends KubeObject>(type: ApiType, namespace: string, opts: ListOptions): InformerLease<T> {
    return this.informer(type, namespace, opts) as unknown as InformerLease<T>;
  }

  get<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    name: string,
    signal: AbortSignal,
  ): Promise<T> {
    return this.http
      .getJson<T>(apiPath(type, namespace, name), `get ${where(type, namespace, name)}`, signal)
      .then((o) => withKind(o, type));
  }

  async tryGet<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    name: string,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(type, namespace, name, signal);
    } catch (err) {
      if (err instanceof ClusterError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    opts: ListOptions,
    signal: AbortSignal,
  ): Promise<T[]> {
    const q = new URLSearchParams();
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
    const qs = q.toString();
    const body = await this.http.getJson<{ items?: T[] }>(
      `${apiPath(type, namespace)}${qs ? `?${qs}` : ''}`,
      `list ${type.plural}${namespace ? ` in namespace "${namespace}"` : ''}`,
      signal,
    );
    return (body.items ?? []).map((o) => withKind(o, type));
  }

  create<T extends KubeObject>(type: ApiType, obj: T, opts: WriteOptions): Promise<T> {
    const ns = obj.metadata.namespace;
    return sendJson<T>(
      this.http,
      'POST',
      apiPath(type, ns) + query({ ...opts, fieldManager: true }),
      obj,
      'application/json',
      `${opts.dryRun ? 'dry-run ' : ''}create ${where(type, ns, obj.metadata.name)}`,
      opts.signal,
    );
  }

  update<T extends KubeObject>(type: ApiType, obj: T, opts: WriteOptions): Promise<T> {
    const ns = obj.metadata.namespace;
    if (!obj.metadata.resourceVersion)
      throw new Error(`update of ${where(type, ns, obj.metadata.name)} without a resourceVersion precondition`);
    return sendJson<T>(
      this.http,
      'PUT',
      apiPath(type, ns, obj.metadata.name) + query({ ...opts, fieldManager: true }),
      obj,
      'application/json',
      `${opts.dryRun ? 'dry-run ' : ''}update ${where(type, ns, obj.metadata.name)}`,
      opts.signal,
    );
  }

  patch<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    kind: 'merge' | 'json',
    opts: WriteOptions,
  ): Promise<T> {
    const ct = kind === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json';
    return sendJson<T>(
      this.http,
      'PATCH',
      apiPath(type, namespace, name) + query({ ...opts, fieldManager: true }),
      patch,
      ct,
      `${opts.dryRun ? 'dry-run ' : ''}patch ${where(type, namespace, name)}`,
      opts.signal,
    );
  }

  async delete(type: ApiType, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(opts.dryRun ? { dryRun: ['All'] } : {}),
      propagationPolicy: opts.propagationPolicy ?? 'Background',
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    };
    await sendJson(
      this.http,
      'DELETE',
      apiPath(type, namespace, name),
      body,
      'application/json',
      `${opts.dryRun ? 'dry-run ' : ''}delete ${where(type, namespace, name)}`,
      opts.signal,
    );
  }

  async accessReview(check: AccessCheck, signal: AbortSignal): Promise<{ allowed: boolean; reason?: string }> {
    const body = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          verb: check.verb,
          group: check.group,
          resource: check.resource,
          subresource: check.subresource ?? '',
          namespace: check.namespace,
        },
      },
    };
    const res = await sendJson<{ status?: { allowed?: boolean; reason?: string } }>(
      this.http,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body,
      'application/json',
      'review access',
      signal,
    );
    return { allowed: res.status?.allowed === true, reason: res.status?.reason };
  }

  /** Whether the server serves this resource (discovery of its group/version), cached per connection. */
  serves(type: ApiType, signal: AbortSignal): Promise<boolean> {
    const key = `${apiVersionOf(type)}/${type.plural}`;
    let p = this.servedCache.get(key);
    if (!p) {
      const path = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
      p = this.http
        .getJson<{ resources?: { name: string }[] }>(path, `discover ${apiVersionOf(type)}`, signal)
        .then((list) => (list.resources ?? []).some((r) => r.name === type.plural))
        .catch((err) => {
          this.servedCache.delete(key);
          if (err instanceof ClusterError && err.kind === 'not-found') return false;
          throw err;
        });
      this.servedCache.set(key, p);
    }
    return p;
  }

  exec(namespace: string, pod: string, container: string, command: string[], signal: AbortSignal): Promise<ExecResult> {
    return execCommand(this.http, { namespace, pod, container, command }, signal);
  }

  openExec(request: ExecStreamRequest, signal: AbortSignal): Promise<ExecStream> {
    return openExecStream(this.http, request, signal);
  }
}

function withKind<T extends KubeObject>(o: T, type: ApiType): T {
  return o.kind ? o : { apiVersion: apiVersionOf(type), kind: type.kind, ...o };
}
