// The port forwards the user started, so the explorer can list them with a Stop action.
// Each forward is owned here and stopped when it is removed or when the registry is disposed.
import type { PortForwardHandle } from '../cluster/api';
import { Emitter } from '../core/events';
import { Disposable, type IDisposable, toDisposable } from '../core/lifecycle';

export interface ForwardEntry {
  readonly id: string;
  readonly context: string;
  readonly handle: PortForwardHandle;
}

export class ForwardRegistry extends Disposable {
  private readonly entries = new Map<string, { entry: ForwardEntry; closeListener: IDisposable }>();
  private nextId = 1;
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;

  constructor() {
    super();
    this._register(toDisposable(() => this.stopAll()));
  }

  add(context: string, handle: PortForwardHandle): ForwardEntry {
    const entry: ForwardEntry = { id: String(this.nextId++), context, handle };
    // If the forward dies by itself (connection closed), it leaves the list too.
    const closeListener = handle.onDidClose(() => this.forget(entry.id));
    this.entries.set(entry.id, { entry, closeListener });
    this._onDidChange.fire();
    return entry;
  }

  list(): ForwardEntry[] {
    return [...this.entries.values()].map((e) => e.entry);
  }

  stop(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.forget(id);
    e.entry.handle.dispose();
  }

  stopHandle(handle: PortForwardHandle): void {
    for (const e of this.list()) if (e.handle === handle) this.stop(e.id);
  }

  stopAll(): void {
    for (const id of [...this.entries.keys()]) this.stop(id);
  }

  private forget(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.closeListener.dispose();
    this._onDidChange.fire();
  }
}
