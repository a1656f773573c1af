// The last Trace Route of each session in this window: running, its answer, or why it failed.
// The editor command (src/ui/session/trace.ts) writes it; an open session panel shows it.
import type { EntryChoice } from '../doctor/entry';
import type { TraceResult } from '../doctor/verdict';
import { Emitter } from '../core/events';
import { Disposable } from '../core/lifecycle';
import { type SessionRef, sessionKey } from './refs';

export type TraceRun =
  | { state: 'running'; path: string; entry: EntryChoice; at: number }
  | {
      state: 'done';
      path: string;
      entry: EntryChoice;
      at: number;
      result: TraceResult;
      /** The answer is in; the trace's observe hops are still being taken out. */
      leaving?: boolean;
    }
  | { state: 'failed'; path: string; entry?: EntryChoice; at: number; error: string };

export class SessionTraces extends Disposable {
  private readonly runs = new Map<string, TraceRun>();
  private readonly _onDidChange = this._register(new Emitter<SessionRef>());
  readonly onDidChange = this._onDidChange.event;

  get(ref: SessionRef): TraceRun | undefined {
    return this.runs.get(sessionKey(ref));
  }

  set(ref: SessionRef, run: TraceRun): void {
    this.runs.set(sessionKey(ref), run);
    this._onDidChange.fire(ref);
  }
}
