// HTTP watch: newline-delimited JSON WatchEvents on a chunked 200 response, as the real server
// streams them. Bookmarks on an interval when asked for, a server-side timeout (random 30-60
// minutes by default, as kube-apiserver's --min-request-timeout gives), a 410 ERROR event for a
// resourceVersion older than the kept history, and flow control: a client that does not read
// its stream is cut off instead of letting the server buffer without bound.

import type * as http from 'node:http';
import { ApiError, type KObject, type WatchEvent } from '../core/types';
import { badRequest } from './http';
import { listParams, timeoutSeconds } from './options';
import { fieldMatcher, labelMatcher } from './selectors';
import type { RestRequest } from './rest';
import { tableFor, wantsTable } from './table';

/** What a watcher may have buffered before it counts as too slow and is closed. */
const MAX_BUFFERED = 16 * 1024 * 1024;

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Watches idle (no event written) longer than this are cut; 0 = never. */
  idleTimeoutMs: number;
}

/** The open HTTP watch streams, so a fault can close them all. */
export class WatchHub {
  private readonly open = new Set<() => void>();

  add(close: () => void): () => void {
    this.open.add(close);
    return () => this.open.delete(close);
  }

  closeAll(): number {
    const all = [...this.open];
    this.open.clear();
    for (const c of all) c();
    return all.length;
  }

  get size(): number {
    return this.open.size;
  }
}

export function serveWatch(r: RestRequest, hub: WatchHub, settings: WatchSettings): void {
  const { req, res, store, info } = r;
  const p = listParams(r.query);
  let fieldSelector = p.fieldSelector;
  if (r.name) fieldSelector = [fieldSelector, `metadata.name=${r.name}`].filter(Boolean).join(',');
  const bookmarks = r.query.get('allowWatchBookmarks') === 'true' || r.query.get('allowWatchBookmarks') === '1';
  const sendInitial = r.query.get('sendInitialEvents');
  if (sendInitial !== null && sendInitial !== 'true' && sendInitial !== 'false')
    throw badRequest(`invalid sendInitialEvents: "${sendInitial}"`);
  if (sendInitial === 'true' && (p.resourceVersionMatch !== 'NotOlderThan' || !bookmarks)) {
    throw new ApiError(
      422,
      'Invalid',
      `ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan and allowWatchBookmarks to true`,
    );
  }
  // Everything that can fail is checked before the 200 goes out.
  labelMatcher(p.labelSelector);
  fieldMatcher(info.key, fieldSelector);
  if (p.resourceVersion && !/^\d+$/.test(p.resourceVersion))
    throw badRequest(`invalid resource version: "${p.resourceVersion}"`);
  const table = wantsTable(req.headers.accept);
  let timeout = timeoutSeconds(r.query);
  if (timeout === undefined || timeout <= 0) timeout = 1800 * (1 + Math.random());

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let closed = false;
  let firstTable = true;
  let lastWrite = Date.now();
  const timers: NodeJS.Timeout[] = [];
  let stop: () => void = () => {};
  let unregister: () => void = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    stop();
    unregister();
    for (const t of timers) clearInterval(t);
    res.end();
  };
  const write = (ev: WatchEvent) => {
    if (closed) return;
    let object: KObject = ev.object;
    if (table && (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED')) {
      object = tableFor(
        info,
        [ev.object],
        r.query,
        { resourceVersion: ev.object.metadata.resourceVersion ?? '' },
        { noHeaders: !firstTable },
      );
      firstTable = false;
    }
    const ok = res.write(JSON.stringify({ type: ev.type, object }) + '\n');
    lastWrite = Date.now();
    if (!ok && res.writableLength > MAX_BUFFERED) {
      // As the real server closes a watcher whose buffer is full: the client re-lists or re-watches.
      close();
      return;
    }
    if (ev.type === 'ERROR') close();
  };

  unregister = hub.add(close);
  req.on('close', close);
  res.on('error', close);
  timers.push(setTimeout(close, timeout * 1000));
  if (bookmarks) {
    timers.push(
      setInterval(
        () =>
          write(
            bookmark(
              info.group ? `${info.group}/${info.version}` : info.version,
              info.kind,
              store.currentResourceVersion(),
            ),
          ),
        settings.bookmarkIntervalMs,
      ),
    );
  }
  // Read on every tick: the idle-stream-timeout fault may be set or cleared while the watch runs.
  timers.push(
    setInterval(() => {
      if (settings.idleTimeoutMs > 0 && Date.now() - lastWrite > settings.idleTimeoutMs) close();
    }, 250),
  );

  let rv = p.resourceVersion;
  if (sendInitial === 'true') rv = '';
  else if (sendInitial === 'false' && !rv) rv = store.currentResourceVersion();
  stop = store.watch(
    info.key,
    r.namespace,
    { labelSelector: p.labelSelector, fieldSelector, resourceVersion: rv, allowWatchBookmarks: bookmarks },
    (ev) => {
      if (ev.type === 'BOOKMARK' && !bookmarks) return;
      write(ev);
    },
  );
  if (closed) stop(); // an ERROR (410) during set-up ended it already
  if (sendInitial === 'true') {
    const b = bookmark(
      info.group ? `${info.group}/${info.version}` : info.version,
      info.kind,
      store.currentResourceVersion(),
    );
    b.object.metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    write(b);
  }
}

function bookmark(apiVersion: string, kind: string, resourceVersion: string): WatchEvent {
  return { type: 'BOOKMARK', object: { apiVersion, kind, metadata: { resourceVersion } } };
}

export type { http };
