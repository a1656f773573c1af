// One kubeconfig context, connected: a KubeConfig whose current context is this one (client-node
// reads the "current" context everywhere), the HTTP helper, and the pool of informers.
import { KubeConfig } from '@kubernetes/client-node';
import type {
  ClusterConnection,
  InformerLease,
  LogRequest,
  PortForwardHandle,
  PortForwardRequest,
  UserIdentity,
} from './api';
import { KubeHttp } from './http';
import { whoAmI } from './identity';
import { Informer, type InformerOptions } from './informer';
import { InformerPool } from './informer-pool';
import { HttpObjectApi } from './objects';
import { HttpListWatch } from './list-watch';
import { followLog } from './logs';
import { startPortForward } from './port-forward';
import { ClusterError } from '../core/errors';
import { type ContextSummary, credentialPluginName, type RawKubeconfig } from '../core/kubeconfig';
import { Disposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import { isResourceKind, type KindTypes, type KubeObject, objectPath, type ResourceKind } from '../core/resources';

export interface ConnectionOptions {
  logger: Logger;
  /** How long an unused informer keeps running, in case it is needed again. */
  idleMs?: number;
  informer?: Partial<InformerOptions>;
}

const fixKubeconfigCli = { cliHint: 'Fix the kubeconfig, then run the command again.' };

export class KubeConnection extends Disposable implements ClusterConnection {
  private readonly http: KubeHttp;
  private readonly kc: KubeConfig;
  private readonly pool: InformerPool;
  private identity: Promise<UserIdentity> | undefined;
  readonly objects: HttpObjectApi;

  constructor(
    readonly context: ContextSummary,
    raw: RawKubeconfig,
    private readonly options: ConnectionOptions,
  ) {
    super();
    if (context.problem)
      throw new ClusterError(
        'config',
        `Context "${context.name}" cannot be used: ${context.problem}`,
        'Fix the kubeconfig, then Refresh.',
        undefined,
        fixKubeconfigCli,
      );
    this.kc = new KubeConfig();
    // JSON is YAML; 'filter' drops entries client-node cannot read instead of failing every context.
    this.kc.loadFromString(JSON.stringify({ ...raw, 'current-context': context.name }), { onInvalidEntry: 'filter' });
    const cluster = this.kc.getCurrentCluster();
    if (!cluster)
      throw new ClusterError(
        'config',
        `Context "${context.name}": cluster "${context.cluster}" has no usable server address`,
        'Fix the kubeconfig, then Refresh.',
        undefined,
        fixKubeconfigCli,
      );
    this.http = new KubeHttp(this.kc, {
      server: cluster.server,
      user: context.user,
      credentialPlugin: credentialPluginName(raw, context.user),
    });
    this.objects = new HttpObjectApi(this.http, (type, namespace, opts) => {
      const informer = new Informer(new HttpListWatch<KubeObject>(this.http, this.kc, type, namespace, opts), {
        logger: options.logger,
        ...options.informer,
      });
      informer.start();
      return informer;
    });
    this.pool = this._register(new InformerPool((key) => this.createInformer(key), options.idleMs ?? 30_000));
  }

  get server(): string {
    return this.http.target.server;
  }

  watch<K extends ResourceKind>(kind: K, namespace?: string): InformerLease<KindTypes[K]> {
    return this.pool.lease<KindTypes[K]>(`${kind}/${namespace ?? ''}`);
  }

  /** Keys of running informers, e.g. `Pod/shop`. */
  get activeInformers(): string[] {
    return this.pool.active;
  }

  private createInformer(key: string): Informer<KubeObject> {
    const [kind, namespace] = key.split('/');
    if (!isResourceKind(kind)) throw new Error(`unknown resource kind ${kind}`);
    const lw = new HttpListWatch<KubeObject>(this.http, this.kc, kind, namespace || undefined);
    return new Informer(lw, { logger: this.options.logger, ...this.options.informer });
  }

  /** Asked once: the user a connection authenticates as does not change (a new kubeconfig entry makes a new connection). */
  whoAmI(signal: AbortSignal): Promise<UserIdentity> {
    this.identity ??= whoAmI(this.http, this.options.logger, signal).catch((err: unknown) => {
      this.identity = undefined;
      throw err;
    });
    return this.identity;
  }

  getObject(kind: ResourceKind, namespace: string | undefined, name: string, signal: AbortSignal): Promise<KubeObject> {
    return this.http.getJson<KubeObject>(
      objectPath(kind, namespace, name),
      `get ${kind} ${namespace ? `${namespace}/` : ''}${name}`,
      signal,
    );
  }

  followLog(request: LogRequest, onChunk: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
    return followLog(this.http, request, onChunk, signal);
  }

  async portForward(request: PortForwardRequest): Promise<PortForwardHandle> {
    return this._register(await startPortForward(this.http, request, this.options.logger));
  }
}
