// The services a workspace folder's .vscode/devlane.json maps, read through the editor's file
// system (so remote folders work). A missing file maps none; an invalid one maps none too, and the
// caller says in the log what it does without them.
import * as vscode from 'vscode';
import { configFile, parseConfig } from '../core/sync/config';

export async function configuredServices(
  folder: vscode.WorkspaceFolder | undefined,
  onInvalid: (err: Error) => void,
): Promise<string[]> {
  if (!folder) return [];
  try {
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, configFile));
    return Object.keys(parseConfig(new TextDecoder().decode(bytes)).services);
  } catch (err) {
    if (!(err instanceof vscode.FileSystemError)) onInvalid(err as Error);
    return [];
  }
}
