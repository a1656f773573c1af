// "Describe": the object as read-only YAML in an editor tab, fetched when the document opens.
// URIs look like devlane-describe:/CONTEXT/KIND/NAMESPACE/NAME.yaml ("-" for no namespace).
import * as vscode from 'vscode';
import type { Clusters } from '../cluster/api';
import { describeScheme } from '../core/contributions';
import { describeYaml } from '../core/describe';
import { classifyError } from '../core/errors';
import { isResourceKind, type ObjectRef } from '../core/resources';
import { toAbortSignal } from './vscode-utils';

export function describeUri(ref: ObjectRef): vscode.Uri {
  const seg = (s: string) => encodeURIComponent(s);
  return vscode.Uri.from({
    scheme: describeScheme,
    path: `/${seg(ref.context)}/${ref.kind}/${seg(ref.namespace ?? '-')}/${seg(ref.name)}.yaml`,
  });
}

function parseUri(uri: vscode.Uri): ObjectRef | undefined {
  const parts = uri.path.split('/').slice(1).map(decodeURIComponent);
  if (parts.length !== 4 || !isResourceKind(parts[1])) return undefined;
  const [context, , namespace, file] = parts;
  return {
    context,
    kind: parts[1],
    namespace: namespace === '-' ? undefined : namespace,
    name: file.replace(/\.yaml$/, ''),
  };
}

export class DescribeProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly clusters: Clusters) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const ref = parseUri(uri);
    if (!ref) return `# Not a Devlane object address: ${uri.toString()}\n`;
    try {
      const obj = await this.clusters
        .connection(ref.context)
        .getObject(ref.kind, ref.namespace, ref.name, toAbortSignal(token));
      return `# ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} in context ${ref.context} (read-only; managedFields omitted)\n${describeYaml(obj)}`;
    } catch (err) {
      const e = classifyError(err, { action: `get ${ref.kind} ${ref.name}` });
      return `# Could not describe ${ref.kind} ${ref.name}: ${e.message}\n# ${e.hint}\n`;
    }
  }
}
