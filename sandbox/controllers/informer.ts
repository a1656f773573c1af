// An informer over the in-process Api, as client-go's reflector does it: list, then watch from the
// list's resourceVersion; relist when the watch reports 410 Gone. The store delivers events
// synchronously inside the write that caused them, so the cache is current as soon as a write
// returns (no "expectations" bookkeeping is needed by the controllers).
//
// The store's fault injection (`dropWatches`) ends watches silently, without an event. A real
// reflector notices the closed connection; here a short re-watch timer re-opens the watch from the
// last seen resourceVersion (the store replays what was missed, or answers 410 and we relist).

import { ApiError, type Api, type KObject, type ResourceKey, type WatchEvent } from '../core/types';

export type InformerHandler = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject, old: KObject | undefined) => void;

const REWATCH_MS = 5_000;

export class Informer {
  private readonly cache = new Map<string, KObject>();
  private readonly handlers: InformerHandler[] = [];
  private stopWatch: () => void = () => {};
  private lastRv = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private generation = 0;

  constructor(
    private readonly api: Api,
    readonly key: ResourceKey,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  on(handler: InformerHandler): this {
    this.handlers.push(handler);
    return this;
  }

  start(): this {
    this.relist();
    this.timer = setInterval(() => this.rewatch(), REWATCH_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch();
    if (this.timer) clearInterval(this.timer);
  }

  get(namespace: string | undefined, name: string): KObject | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string): KObject[] {
    const out: KObject[] = [];
    for (const o of this.cache.values()) if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    return out;
  }

  private relist(): void {
    if (this.stopped) return;
    this.stopWatch();
    let listed: { items: KObject[]; resourceVersion: string };
    try {
      listed = this.api.list(this.key, undefined);
    } catch (e) {
      this.onError(e);
      return; // the re-watch timer tries again
    }
    const seen = new Set<string>();
    for (const o of listed.items) {
      const id = idOf(o);
      seen.add(id);
      const old = this.cache.get(id);
      this.cache.set(id, o);
      if (!old) this.emit('ADDED', o, undefined);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit('MODIFIED', o, old);
    }
    for (const [id, o] of [...this.cache]) {
      if (!seen.has(id)) {
        this.cache.delete(id);
        this.emit('DELETED', o, o);
      }
    }
    this.lastRv = listed.resourceVersion;
    this.watchFrom(this.lastRv);
  }

  private rewatch(): void {
    if (this.stopped) return;
    if (!this.lastRv) return this.relist();
    this.watchFrom(this.lastRv);
  }

  private watchFrom(rv: string): void {
    this.stopWatch();
    const gen = ++this.generation;
    let gone = false;
    let opening = true;
    try {
      this.stopWatch = this.api.watch(this.key, undefined, { resourceVersion: rv, allowWatchBookmarks: true }, (ev) => {
        if (gen !== this.generation) return;
        if (ev.type === 'ERROR') {
          // 410 Gone (or any watch error): start over with a fresh list, after the current call returns.
          if (opening) gone = true;
          else setImmediate(() => gen === this.generation && this.relist());
          return;
        }
        this.apply(ev);
      });
    } catch (e) {
      if (e instanceof ApiError && e.code === 410) gone = true;
      else this.onError(e);
      this.stopWatch = () => {};
    }
    opening = false;
    if (gone) setImmediate(() => gen === this.generation && this.relist());
  }

  private apply(ev: WatchEvent): void {
    const o = ev.object;
    if (o.metadata?.resourceVersion) this.lastRv = o.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    const id = idOf(o);
    const old = this.cache.get(id);
    if (ev.type === 'DELETED') {
      this.cache.delete(id);
      this.emit('DELETED', o, old);
    } else {
      this.cache.set(id, o);
      this.emit(old ? 'MODIFIED' : 'ADDED', o, old);
    }
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KObject, old: KObject | undefined): void {
    for (const h of this.handlers) {
      try {
        h(type, o, old);
      } catch (e) {
        this.onError(e);
      }
    }
  }
}

function idOf(o: KObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
