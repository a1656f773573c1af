// What hot sync asks in the editor, as dialogs: which local folder goes where in a copy the
// workspace does not map yet (a proposal to use, change or decline), and whether the first sync
// may delete many paths in the container. The use case that asks is src/session/develop.ts.
import * as vscode from 'vscode';
import { configFile } from '../../core/sync/config';
import { type DeletePreview, describeDeletes } from '../../core/sync/deletes';
import type { MappingProposal } from '../../core/sync/propose';
import { remotePathProblem } from '../../core/sync/remote-root';
import type { MappingAnswer } from '../../session/develop';

/** The proposal as a quick pick: use it, pick another folder and type the path, or do not sync. Closing it cancels the start. */
export async function askMapping(
  folder: vscode.WorkspaceFolder,
  service: string,
  proposal: MappingProposal,
): Promise<MappingAnswer> {
  const use = {
    label: `$(check) ${proposal.localPath === '.' ? folder.name : proposal.localPath} → ${proposal.remotePath}`,
    detail: `Proposed: ${proposal.reason}. Saved to ${configFile}.`,
  };
  const other = proposal.problem
    ? { label: '$(folder) Choose the local folder and type the path in the container…', detail: proposal.problem }
    : {
        label: '$(folder) Another local folder or container path…',
        detail: 'Pick the folder, then type the path in the container.',
      };
  const skip = {
    label: `$(circle-slash) Do not sync ${service}`,
    detail: "The copy runs the image's code as it is; you can start sync later.",
  };
  // A system directory is never offered as it is: the first sync would delete the image's files there.
  const pick = await vscode.window.showQuickPick(proposal.problem ? [other, skip] : [use, other, skip], {
    title: `Sync ${service}: which local folder goes where in the developer copy?`,
    ignoreFocusOut: true,
  });
  if (!pick) return 'cancel';
  if (pick === skip) return 'no-sync';
  if (pick === use) return { localPath: proposal.localPath, remotePath: proposal.remotePath };
  const chosen = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: folder.uri,
    openLabel: `Sync this folder into ${service}`,
  });
  if (!chosen?.[0]) return 'cancel';
  const localPath = chosen[0].fsPath === folder.uri.fsPath ? '.' : vscode.workspace.asRelativePath(chosen[0], false);
  const remotePath = await vscode.window.showInputBox({
    title: `Sync ${localPath} into ${service}: path in the container`,
    value: proposal.problem ? '' : proposal.remotePath,
    ignoreFocusOut: true,
    placeHolder: '/app',
    validateInput: (v) => remotePathProblem(v),
  });
  return remotePath ? { localPath, remotePath } : 'cancel';
}

/** The editor's answer to "delete these paths in the container?": a modal naming them; closing it keeps them. */
export async function confirmDeletes(service: string, p: DeletePreview): Promise<boolean> {
  const remove = `Delete ${p.count} paths`;
  const answer = await vscode.window.showWarningMessage(
    `Sync ${service}: delete ${p.count} paths in the container that are not in your local folder?`,
    {
      modal: true,
      detail: `${describeDeletes(p)}\n\nKeep them, and sync continues with uploads only. If these are not yours to delete, check localPath and remotePath in ${configFile}.`,
    },
    remove,
    'Keep Them',
  );
  return answer === remove;
}
