// A scripted informer transport: each list and each watch call waits for the test to answer it,
// so a test can play the server's part step by step (events, a dropped watch, 410 Gone, errors).
import type { ListResult, ListWatch, WatchEventType, WatchHandlers } from '../../src/cluster/informer';
import type { KubeObject } from '../../src/core/resources';

interface Pending<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

export interface WatchCall<T> {
  resourceVersion: string;
  timeoutSeconds: number;
  signal: AbortSignal;
  open(): void;
  send(type: WatchEventType, object: unknown): void;
  /** The server ends the watch normally. */
  end(): void;
  fail(err: unknown): void;
  readonly handlers: WatchHandlers<T>;
}

export class FakeListWatch<T extends KubeObject> implements ListWatch<T> {
  readonly description = 'things in namespace "test"';
  private readonly listWaiters: ((p: Pending<ListResult<T>> & { signal: AbortSignal }) => void)[] = [];
  private readonly listQueue: (Pending<ListResult<T>> & { signal: AbortSignal })[] = [];
  private readonly watchQueue: WatchCall<T>[] = [];
  private readonly watchWaiters: ((c: WatchCall<T>) => void)[] = [];
  lists = 0;
  watches = 0;

  list(signal: AbortSignal): Promise<ListResult<T>> {
    this.lists++;
    return new Promise((resolve, reject) => {
      const p = { resolve, reject, signal };
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      const waiter = this.listWaiters.shift();
      if (waiter) waiter(p);
      else this.listQueue.push(p);
    });
  }

  watch(
    resourceVersion: string,
    timeoutSeconds: number,
    handlers: WatchHandlers<T>,
    signal: AbortSignal,
  ): Promise<void> {
    this.watches++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true;
          fn();
        }
      };
      signal.addEventListener('abort', () => settle(() => reject(signal.reason)), { once: true });
      const call: WatchCall<T> = {
        resourceVersion,
        timeoutSeconds,
        signal,
        handlers,
        open: () => handlers.onOpen(),
        send: (type, object) => {
          if (!settled) handlers.onEvent(type, object as T);
        },
        end: () => settle(() => resolve()),
        fail: (err) => settle(() => reject(err)),
      };
      const waiter = this.watchWaiters.shift();
      if (waiter) waiter(call);
      else this.watchQueue.push(call);
    });
  }

  /** Answers the next list request (waiting for it if it has not come yet). */
  async answerList(items: T[], resourceVersion: string): Promise<void> {
    (await this.nextList()).resolve({ items, resourceVersion });
  }

  async failList(err: unknown): Promise<void> {
    (await this.nextList()).reject(err);
  }

  private nextList(): Promise<Pending<ListResult<T>>> {
    const queued = this.listQueue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.listWaiters.push(resolve));
  }

  /** The next watch request; opened (HTTP 200) unless asked not to. */
  async nextWatch(open = true): Promise<WatchCall<T>> {
    const queued = this.watchQueue.shift();
    const call = queued ?? (await new Promise<WatchCall<T>>((resolve) => this.watchWaiters.push(resolve)));
    if (open) call.open();
    return call;
  }
}
