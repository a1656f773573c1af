// The explorer's commands. Each one reads the row it was invoked on, asks what it must, and
// hands the work to the plain layers; long work runs under progress and can be cancelled.
import * as vscode from 'vscode';
import { askPort, pickRemotePort, podsFor } from './pick';
import type { Clusters } from '../../cluster/api';
import { type CommandId, commands, contextKeys } from '../../core/contributions';
import { ClusterError } from '../../core/errors';
import { Disposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import type { LabelSelector, Pod, Service, Workload } from '../../core/resources';
import { whereDevlaneWorks } from '../../core/where';
import type { ForwardRegistry } from '../../explorer/forwards';
import type { ExplorerNode } from '../../explorer/nodes';
import type { LogTarget } from '../../logs/workload-logs';
import type { CommandArgs } from '../command-args';
import { describeUri } from '../describe';
import { openLogTerminal } from '../log-terminal';
import type { MementoPrefs } from '../prefs';
import { readConfig, registerCommand, setContext, toAbortSignal } from '../vscode-utils';

export interface CommandDeps {
  clusters: Clusters;
  prefs: MementoPrefs;
  forwards: ForwardRegistry;
  logger: Logger & { show(): void };
}

export class ExplorerCommands extends Disposable {
  constructor(private readonly deps: CommandDeps) {
    super();
    const { logger } = deps;
    const reg = <K extends CommandId>(id: K, fn: (...args: CommandArgs[K]) => unknown) =>
      this._register(registerCommand(id, fn, logger));
    reg(commands.refresh, () => deps.clusters.reload());
    reg(commands.retry, (node) => node?.retry?.());
    reg(commands.switchContext, (node) => this.switchContext(node));
    reg(commands.setDefaultNamespace, (node) => this.setDefaultNamespace(node));
    reg(commands.streamLogs, (node) => this.streamLogs(required(node)));
    reg(commands.portForward, (node) => this.portForward(required(node)));
    reg(commands.stopPortForward, (node) => node?.forward && deps.forwards.stopHandle(node.forward));
    reg(commands.stopAllPortForwards, () => deps.forwards.stopAll());
    reg(commands.copyName, (node) => this.copyName(required(node)));
    reg(commands.describe, (node) => this.describe(required(node)));
    reg(commands.showLog, () => logger.show());
    this._register(
      deps.forwards.onDidChange(() => void setContext(contextKeys.hasPortForwards, deps.forwards.list().length > 0)),
    );
  }

  private async switchContext(node?: ExplorerNode): Promise<void> {
    let context = node?.ref?.context;
    if (!context) {
      const contexts = this.deps.clusters.kubeconfig.contexts;
      const pick = await vscode.window.showQuickPick(
        contexts.map((c) => ({ label: c.name, description: `${c.cluster} · ${c.namespace}`, detail: c.problem })),
        { title: 'Context for Devlane to work in' },
      );
      context = pick?.label;
    }
    if (context) await this.deps.prefs.setActiveContext(context);
  }

  private async setDefaultNamespace(node?: ExplorerNode): Promise<void> {
    if (node?.kind === 'namespace' && node.ref)
      return this.deps.prefs.setDefaultNamespace(node.ref.context, node.ref.name);
    const context = whereDevlaneWorks(this.deps.prefs, this.deps.clusters.kubeconfig, node?.ref)?.context;
    if (!context)
      throw new ClusterError('config', 'No context to set a namespace for', 'Add a context to your kubeconfig first.');
    const namespace = await vscode.window.showInputBox({
      title: `Default namespace for ${context}`,
      value: this.deps.prefs.defaultNamespace(context) ?? '',
    });
    if (namespace) await this.deps.prefs.setDefaultNamespace(context, namespace.trim());
  }

  private async streamLogs(node: ExplorerNode): Promise<void> {
    const ref = node.ref!;
    const conn = this.deps.clusters.connection(ref.context);
    const tailLines = readConfig('logs.tailLines') ?? 100;
    let target: LogTarget;
    let title = ref.name;
    if (node.kind === 'pod' || node.kind === 'container') {
      target = { namespace: ref.namespace!, pods: { name: ref.name }, container: node.container, tailLines };
      if (node.container) title = `${ref.name}/${node.container}`;
    } else {
      const selector = await this.selectorOf(node);
      target = { namespace: ref.namespace!, pods: { selector }, tailLines };
    }
    openLogTerminal(title, conn, target);
  }

  private async portForward(node: ExplorerNode): Promise<void> {
    const ref = node.ref!;
    const conn = this.deps.clusters.connection(ref.context);
    const pod = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Finding a pod for ${ref.name}`, cancellable: true },
      async (_p, token) => {
        const signal = toAbortSignal(token);
        if (node.kind === 'pod' || node.kind === 'container')
          return (await conn.getObject('Pod', ref.namespace, ref.name, signal)) as Pod;
        const pods = await podsFor(conn, ref.namespace!, await this.selectorOf(node, signal), signal);
        if (pods.length === 0)
          throw new ClusterError(
            'not-found',
            `No pods of ${ref.name} are running`,
            'Wait for one to start, then try again.',
          );
        return pods[0];
      },
    );
    const remotePort = await pickRemotePort(pod);
    if (remotePort === undefined) return;
    const localPort = await askPort(
      `Local port for ${pod.metadata.name}:${remotePort}`,
      String(remotePort >= 1024 ? remotePort : 0),
      true,
    );
    if (localPort === undefined) return;
    const handle = await conn.portForward({ namespace: ref.namespace!, pod: pod.metadata.name, remotePort, localPort });
    this.deps.forwards.add(ref.context, handle);
    const open = 'Open in Browser';
    const choice = await vscode.window.showInformationMessage(
      `Forwarding ${handle.address}:${handle.localPort} to ${pod.metadata.name}:${remotePort}. Stop it from the Port Forwards list.`,
      open,
    );
    if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(`http://localhost:${handle.localPort}/`));
  }

  /** The pod selector of a workload or Service row. */
  private async selectorOf(node: ExplorerNode, signal = new AbortController().signal): Promise<LabelSelector> {
    const ref = node.ref!;
    const obj = await this.deps.clusters.connection(ref.context).getObject(ref.kind, ref.namespace, ref.name, signal);
    const selector =
      node.kind === 'service' ? { matchLabels: (obj as Service).spec?.selector } : (obj as Workload).spec?.selector;
    if (!selector?.matchLabels && !selector?.matchExpressions) {
      throw new ClusterError(
        'not-found',
        `${ref.kind} ${ref.name} has no pod selector`,
        'Pick one of its pods instead.',
      );
    }
    return selector;
  }

  private async copyName(node: ExplorerNode): Promise<void> {
    const name =
      node.kind === 'container' ? node.container! : node.kind === 'context' ? node.ref!.context : node.ref!.name;
    await vscode.env.clipboard.writeText(name);
    vscode.window.setStatusBarMessage(`Copied "${name}"`, 3000);
  }

  private async describe(node: ExplorerNode): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(describeUri(node.ref!));
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

function required(node: ExplorerNode | undefined): ExplorerNode {
  if (!node?.ref)
    throw new ClusterError(
      'config',
      'This command acts on a row of the Devlane Clusters view',
      'Right-click a pod, workload or service there.',
    );
  return node;
}
