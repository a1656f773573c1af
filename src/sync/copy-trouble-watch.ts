// Follows the output of a session's developer copy of one service (every container of its pods,
// replaced pods included) and says when its program exits by itself and when it is restarted,
// with what the program printed last (src/core/sync/copy-trouble.ts reads it). The editor turns
// that into the status bar's error state, a notification and Problems entries.
import type { ClusterConnection } from '../cluster/api';
import { Emitter } from '../core/events';
import { Disposable } from '../core/lifecycle';
import { devPodLabels } from '../core/session/route-contract';
import { CopyOutput, type CopyTrouble, type SyncMappingPaths } from '../core/sync/copy-trouble';
import { WorkloadLogs } from '../logs/workload-logs';

export interface CopyTroubleTarget {
  namespace: string;
  session: string;
  service: string;
  /** The sync mapping, so that problems point at local files. */
  mapping?: SyncMappingPaths;
}

/** Enough history to see a crash that happened before the watch started, and the restart after it. */
const historyLines = 200;

export class CopyTroubleWatch extends Disposable {
  private readonly outputs = new Map<string, CopyOutput>();
  private readonly changed = this._register(new Emitter<CopyTrouble | undefined>());
  /** The copy's program exited (its trouble) or was restarted after that (undefined). */
  readonly onDidChange = this.changed.event;
  private current: CopyTrouble | undefined;
  /** The container (`pod/container`) the current trouble came from. */
  private from: string | undefined;

  constructor(
    conn: ClusterConnection,
    private readonly target: CopyTroubleTarget,
  ) {
    super();
    const logs = this._register(
      new WorkloadLogs(
        conn,
        {
          namespace: target.namespace,
          pods: { selector: { matchLabels: devPodLabels(target.session, target.service) } },
          tailLines: historyLines,
        },
        {
          line: (source, text) => this.line(`${source.pod}/${source.container}`, text),
          notice: () => {},
          gone: (source) => this.gone(`${source.pod}/${source.container}`),
        },
      ),
    );
    logs.start();
  }

  get trouble(): CopyTrouble | undefined {
    return this.current;
  }

  private line(container: string, text: string): void {
    let output = this.outputs.get(container);
    if (!output) this.outputs.set(container, (output = new CopyOutput(this.target.mapping)));
    const what = output.push(text);
    if (what === 'exited') this.set(output.trouble, container);
    else if (what === 'restarted' && this.from === container) this.set(undefined);
  }

  /** A replaced pod takes its trouble with it: the new one starts afresh. */
  private gone(container: string): void {
    this.outputs.delete(container);
    if (this.from === container) this.set(undefined);
  }

  private set(trouble: CopyTrouble | undefined, from?: string): void {
    this.current = trouble;
    this.from = trouble ? from : undefined;
    this.changed.fire(trouble);
  }
}
