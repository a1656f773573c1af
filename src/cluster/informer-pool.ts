// Informers on demand: the first lease on (kind, namespace) starts one; disposing the last lease
// stops it after a short grace period, so collapsing and re-expanding a tree node does not relist.
import type { InformerLease, InformerStatus } from './api';
import type { Informer } from './informer';
import { Disposable, type IDisposable, toDisposable } from '../core/lifecycle';
import type { KubeObject } from '../core/resources';

interface Entry {
  informer: Informer<KubeObject>;
  leases: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export class InformerPool extends Disposable {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly create: (key: string) => Informer<KubeObject>,
    private readonly idleMs: number,
  ) {
    super();
    this._register(
      toDisposable(() => {
        for (const entry of this.entries.values()) {
          if (entry.idleTimer) clearTimeout(entry.idleTimer);
          entry.informer.dispose();
        }
        this.entries.clear();
      }),
    );
  }

  lease<T extends KubeObject>(key: string): InformerLease<T> {
    if (this.isDisposed) throw new Error(`cannot watch ${key}: the connection was closed`);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { informer: this.create(key), leases: 0 };
      this.entries.set(key, entry);
      entry.informer.start();
    }
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    entry.leases++;
    const e = entry;
    return makeLease(
      e.informer as unknown as Informer<T>,
      toDisposable(() => this.release(key, e)),
    );
  }

  /** Keys of informers that are running (leased or in their grace period); for tests and logs. */
  get active(): string[] {
    return [...this.entries.keys()];
  }

  private release(key: string, entry: Entry): void {
    entry.leases--;
    if (entry.leases > 0 || this.isDisposed) return;
    entry.idleTimer = setTimeout(() => {
      if (entry.leases > 0) return;
      this.entries.delete(key);
      entry.informer.dispose();
    }, this.idleMs);
    // A pending stop must not keep a CLI or test process alive.
    entry.idleTimer.unref?.();
  }
}

function makeLease<T extends KubeObject>(informer: Informer<T>, release: IDisposable): InformerLease<T> {
  return {
    get status(): InformerStatus {
      return informer.status;
    },
    get size() {
      return informer.size;
    },
    get: (name) => informer.get(name),
    values: () => informer.values(),
    onDidChange: informer.onDidChange,
    onDidChangeStatus: informer.onDidChangeStatus,
    retryNow: () => informer.retryNow(),
    dispose: () => release.dispose(),
  };
}
