// Change batching without a fixed delay. The first change is sent at once; what arrives while a
// batch is in flight is coalesced into the next. Per path, only the net effect is kept: a file
// created and deleted within one batch is never sent; a delete followed by a create replaces
// whatever was there (a folder becomes a file); deleting a folder drops pending changes under it.

export type ChangeKind = 'create' | 'modify' | 'delete';

export interface Change {
  /** POSIX path relative to the mapped folder. */
  path: string;
  kind: ChangeKind;
  dir?: boolean;
}

/** What a batch does to one path: write its current local state, or delete it. */
export interface PathOp {
  op: 'write' | 'delete';
  /** For writes: the path did not exist remotely before this batch (as far as we know). */
  created?: boolean;
  /** For writes: remove what is there first (it was deleted and created again, maybe as another type). */
  replace?: boolean;
  dir?: boolean;
}

export type Pending = Map<string, PathOp>;

const under = (path: string, dir: string) => path.startsWith(`${dir}/`);

/** Adds one change to the pending set (mutates and returns it). */
export function coalesce(pending: Pending, change: Change): Pending {
  const prev = pending.get(change.path);
  if (change.kind === 'delete') {
    // Everything pending under a deleted folder is gone with it.
    for (const p of [...pending.keys()]) if (under(p, change.path)) pending.delete(p);
    if (prev?.op === 'write' && prev.created && !prev.replace) pending.delete(change.path);
    else pending.set(change.path, { op: 'delete', ...(change.dir ? { dir: true } : {}) });
    return pending;
  }
  if (prev?.op === 'delete')
    pending.set(change.path, { op: 'write', replace: true, ...(change.dir ? { dir: true } : {}) });
  else if (prev?.op === 'write') pending.set(change.path, { ...prev, ...(change.dir ? { dir: true } : {}) });
  else
    pending.set(change.path, {
      op: 'write',
      ...(change.kind === 'create' ? { created: true } : {}),
      ...(change.dir ? { dir: true } : {}),
    });
  return pending;
}

/** A renamed path, as the two changes a watcher reports for it. */
export function renameChanges(from: string, to: string, dir = false): Change[] {
  return [
    { path: from, kind: 'delete', dir },
    { path: to, kind: 'create', dir },
  ];
}

/**
 * Puts a batch that failed back in front of what arrived since: the older ops first, then the
 * newer ones coalesced over them, so nothing is dropped and the newest state of each path wins.
 */
export function requeue(failed: Pending, newer: Pending): Pending {
  const out: Pending = new Map(failed);
  for (const [path, op] of newer) {
    if (op.op === 'delete') coalesce(out, { path, kind: 'delete', dir: op.dir });
    else {
      if (op.replace) coalesce(out, { path, kind: 'delete', dir: op.dir });
      coalesce(out, { path, kind: op.created ? 'create' : 'modify', dir: op.dir });
    }
  }
  return out;
}

/** Deletes first (shallowest first), then writes (parents before children): the order a receiver applies. */
export function orderBatch(pending: Pending): { deletes: string[]; writes: { path: string; op: PathOp }[] } {
  const depth = (p: string) => p.split('/').length;
  const deletes: string[] = [];
  const writes: { path: string; op: PathOp }[] = [];
  for (const [path, op] of pending) {
    if (op.op === 'delete' || op.replace) deletes.push(path);
    if (op.op === 'write') writes.push({ path, op });
  }
  deletes.sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  writes.sort((a, b) => depth(a.path) - depth(b.path) || a.path.localeCompare(b.path));
  return { deletes, writes };
}

/**
 * The batching loop's state, without timers or I/O: `add` changes at any time; `take` the next
 * batch when nothing is in flight; `done` or `failed` when it has landed or not.
 */
export class Batcher {
  private pending: Pending = new Map();
  private inFlight: Pending | undefined;

  get size(): number {
    return this.pending.size + (this.inFlight?.size ?? 0);
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  add(change: Change): void {
    coalesce(this.pending, change);
  }

  /** The next batch, or undefined while one is in flight or nothing is pending. */
  take(): Pending | undefined {
    if (this.inFlight || this.pending.size === 0) return undefined;
    this.inFlight = this.pending;
    this.pending = new Map();
    return this.inFlight;
  }

  done(): void {
    this.inFlight = undefined;
  }

  /** The batch in flight did not land: it goes back in front of what came since. */
  failed(): void {
    if (!this.inFlight) return;
    this.pending = requeue(this.inFlight, this.pending);
    this.inFlight = undefined;
  }
}
