// The informer's transport over a real API server: paginated list as raw JSON, and watch through
// client-node's Watch (which handles the streaming JSON framing and credentials).
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { ListOptions } from './api';
import type { KubeHttp } from './http';
import type { ListResult, ListWatch, WatchEventType, WatchHandlers } from './informer';
import { type ApiType, apiPath } from '../core/api-types';
import { ClusterError, classifyError } from '../core/errors';
import { collectionPath, type KubeObject, type ResourceKind, resourceKinds } from '../core/resources';

interface ListBody<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** Page size for lists, as client-go's pager: keeps a 10,000-pod namespace from being one huge response. */
const pageSize = 500;

export class HttpListWatch<T extends KubeObject> implements ListWatch<T> {
  readonly description: string;
  private readonly path: string;
  private readonly type: { apiVersion: string; kind: string };

  /** `selectors` narrow both the list and the watch on the server (e.g. one pod's Events). */
  constructor(
    private readonly http: KubeHttp,
    private readonly kc: KubeConfig,
    kind: ResourceKind | ApiType,
    namespace: string | undefined,
    private readonly selectors: ListOptions = {},
  ) {
    const type = typeof kind === 'string' ? { ...resourceKinds[kind], kind } : kind;
    this.path = typeof kind === 'string' ? collectionPath(kind, namespace) : apiPath(kind, namespace);
    this.type = { apiVersion: type.group ? `${type.group}/${type.version}` : type.version, kind: type.kind };
    const narrowed = [selectors.fieldSelector, selectors.labelSelector].filter(Boolean).join(',');
    this.description = `${type.plural}${narrowed ? ` (${narrowed})` : ''}${namespace ? ` in namespace "${namespace}"` : ''}`;
  }

  async list(signal: AbortSignal): Promise<ListResult<T>> {
    try {
      return await this.listPages(true, signal);
    } catch (err) {
      // A continue token can expire between pages (410); a full list in one response cannot.
      if (err instanceof ClusterError && err.kind === 'gone') return this.listPages(false, signal);
      throw err;
    }
  }

  private async listPages(paged: boolean, signal: AbortSignal): Promise<ListResult<T>> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const query = this.selectorQuery();
      if (paged) query.set('limit', String(pageSize));
      if (token) query.set('continue', token);
      const qs = query.toString();
      const body = await this.http.getJson<ListBody<T>>(
        `${this.path}${qs ? `?${qs}` : ''}`,
        `list ${this.description}`,
        signal,
      );
      // List items carry no kind; add it back so describe and later layers see whole objects.
      for (const item of body.items ?? []) items.push(withKind(item, this.type));
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
      token = paged ? body.metadata?.continue || undefined : undefined;
    } while (token);
    return { items, resourceVersion };
  }

  private selectorQuery(): URLSearchParams {
    const q = new URLSearchParams();
    if (this.selectors.labelSelector) q.set('labelSelector', this.selectors.labelSelector);
    if (this.selectors.fieldSelector) q.set('fieldSelector', this.selectors.fieldSelector);
    return q;
  }

  async watch(
    resourceVersion: string,
    timeoutSeconds: number,
    handlers: WatchHandlers<T>,
    signal: AbortSignal,
  ): Promise<void> {
    const action = `watch ${this.description}`;
    // Runs the credential plugin (cached) first, so that its failure is reported with its name.
    await this.http.requestOptions(action);
    signal.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      let done = false;
      const onAbort = () => controller?.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = (err: unknown) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(signal.reason);
        else if (err) reject(classifyError(err, this.http.errorContext(action)));
        else resolve();
      };
      new Watch(this.kc)
        .watch(
          this.path,
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds, ...Object.fromEntries(this.selectorQuery()) },
          (type: string, object: T) => {
            if (!done)
              handlers.onEvent(
                type as WatchEventType,
                type === 'ERROR' || type === 'BOOKMARK' ? object : withKind(object, this.type),
              );
          },
          finish,
        )
        .then((c) => {
          controller = c;
          if (signal.aborted) c.abort();
          else if (!done) handlers.onOpen();
        }, finish);
    });
  }
}

function withKind<T extends KubeObject>(item: T, type: { apiVersion: string; kind: string }): T {
  return item.kind ? item : { ...type, ...item };
}
