// Delete Record: removes a session record that fails validation, without replaying anything it
// lists. Such a record may have been written by anyone allowed to write ConfigMaps there, so what
// it claims is shown, never acted on.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { commands } from '../../core/contributions';
import { Disposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { deleteRecordObject } from '../../session/record-store';
import type { UnreadableRecord } from '../../sessionview/sessions';
import { registerCommand } from '../vscode-utils';

export class RecordCommands extends Disposable {
  constructor(
    private readonly clusters: Clusters,
    logger: Logger,
  ) {
    super();
    this._register(registerCommand(commands.deleteRecord, (row) => this.deleteRecord(row?.record), logger));
  }

  private async deleteRecord(record: UnreadableRecord | undefined): Promise<void> {
    if (!record) {
      void vscode.window.showInformationMessage('Delete Record acts on an unreadable record in the Sessions view.');
      return;
    }
    const del = 'Delete Record';
    const detail = `${record.error}\n\nDeleting it replays nothing: whatever it lists is left as it is. Objects owned by it are removed by Kubernetes' garbage collector.`;
    if (
      (await vscode.window.showWarningMessage(
        `Delete ConfigMap ${record.record} in ${record.context} / ${record.namespace}?`,
        { modal: true, detail },
        del,
      )) !== del
    )
      return;
    await deleteRecordObject(
      this.clusters.connection(record.context).objects,
      record.namespace,
      record.record,
      record.uid,
      AbortSignal.timeout(30_000),
    );
    void vscode.window.showInformationMessage(`Deleted ${record.record}.`);
  }
}
