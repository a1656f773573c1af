// The informer's transport over a real API server: paginated list as raw JSON, and watch through
// client-node's Watch (which handles the streaming JSON framing and credentials).
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeHttp } from './http';
import type { ListResult, ListWatch, WatchEventType, WatchHandlers } from './informer';
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

  constructor(
    private readonly http: KubeHttp,
    private readonly kc: KubeConfig,
    private readonly kind: ResourceKind,
    namespace: string | undefined,
  ) {
    this.path = collectionPath(kind, namespace);
    const plural = resourceKinds[kind].plural;
    this.description = namespace ? `${plural} in namespace "${namespace}"` : plural;
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
      const query = new URLSearchParams();
      if (paged) query.set('limit', String(pageSize));
      if (token) query.set('continue', token);
      const qs = query.toString();
      const body = await this.http.getJson<ListBody<T>>(`${this.path}${qs ? `?${qs}` : ''}`, `list ${this.description}`, signal);
      // List items carry no kind; add it back so describe and later layers see whole objects.
      for (const item of body.items ?? []) items.push(withKind(item, this.kind));
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
      token = paged ? body.metadata?.continue || undefined : undefined;
    } while (token);
    return { items, resourceVersion };
  }

  async watch(resourceVersion: string, timeoutSeconds: number, handlers: WatchHandlers<T>, signal: AbortSignal): Promise<void> {
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
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
          (type: string, object: T) => {
            if (!done) handlers.onEvent(type as WatchEventType, type === 'ERROR' || type === 'BOOKMARK' ? object : withKind(object, this.kind));
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

function withKind<T extends KubeObject>(item: T, kind: ResourceKind): T {
  if (item.kind) return item;
  const k = resourceKinds[kind];
  return { apiVersion: k.group ? `${k.group}/${k.version}` : k.version, kind, ...item };
}
