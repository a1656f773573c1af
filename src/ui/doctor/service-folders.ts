// Which local folders hold which service's source, as the workspace's .vscode/devlane.json maps
// them (the same mapping sync uses), read through the editor's file system.
import * as vscode from 'vscode';
import { configFile, parseConfig } from '../../core/sync/config';

export interface ServiceFolder {
  service: string;
  uri: vscode.Uri;
}

/** Every mapped service folder of every workspace folder; a folder with no (or an invalid) devlane.json maps none. */
export async function serviceFolders(onInvalid: (err: Error) => void): Promise<ServiceFolder[]> {
  const out: ServiceFolder[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, configFile)));
    } catch {
      continue;
    }
    try {
      for (const [service, sync] of Object.entries(parseConfig(text).services)) {
        const local = sync.localPath;
        const uri = local.startsWith('/') ? vscode.Uri.file(local) : vscode.Uri.joinPath(folder.uri, local);
        out.push({ service, uri });
      }
    } catch (err) {
      onInvalid(err as Error);
    }
  }
  return out;
}

/** The service folder that holds `uri` (the deepest such folder), if any. */
export function serviceOf(folders: ServiceFolder[], uri: vscode.Uri): ServiceFolder | undefined {
  const inside = folders.filter(
    (f) => uri.path === f.uri.path || uri.path.startsWith(`${f.uri.path.replace(/\/$/, '')}/`),
  );
  return inside.sort((a, b) => b.uri.path.length - a.uri.path.length)[0];
}
