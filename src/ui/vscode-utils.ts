// Small typed bridges between VS Code and the plain layers: commands (with the arguments
// command-args.ts names), settings, context keys and cancellation, all keyed by the ids in
// src/core/contributions.ts.
import * as vscode from 'vscode';
import {
  type CommandId,
  type ConfigKey,
  type ConfigTypes,
  configSection,
  type ContextKey,
} from '../core/contributions';
import { DevlaneError } from '../core/error-base';
import { ClusterError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { CommandArgs } from './command-args';

/** Registers a command with the arguments command-args.ts names for it; what it throws is shown, not rethrown. */
export function registerCommand<K extends CommandId>(
  id: K,
  fn: (...args: CommandArgs[K]) => unknown,
  logger: Logger,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: CommandArgs[K]) => {
    try {
      return await fn(...args);
    } catch (err) {
      showError(err, logger);
    }
  });
}

/** Runs one of Devlane's commands with the arguments it takes. */
export function runCommand<K extends CommandId>(id: K, ...args: CommandArgs[K]): Thenable<unknown> {
  return vscode.commands.executeCommand(id, ...args);
}

export function readConfig<K extends ConfigKey>(key: K): ConfigTypes[K] | undefined {
  return vscode.workspace.getConfiguration(configSection).get<ConfigTypes[K]>(key);
}

export function affectsConfig(e: vscode.ConfigurationChangeEvent, key: ConfigKey): boolean {
  return e.affectsConfiguration(`${configSection}.${key}`);
}

export function setContext(key: ContextKey, value: unknown): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', key, value);
}

/** The lower layers cancel with AbortSignal; VS Code hands us CancellationTokens. */
export function toAbortSignal(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/** Shows what went wrong and what to do; logs it too. Cancellations are silent. */
export function showError(err: unknown, logger: Logger): void {
  if (err instanceof ClusterError && err.kind === 'cancelled') return;
  if (err instanceof Error && err.name === 'AbortError') return;
  const text = err instanceof DevlaneError ? err.full : err instanceof Error ? err.message : String(err);
  logger.error(text);
  void vscode.window.showErrorMessage(text);
}

/** What both Devlane trees render a row from (the models build it without vscode). */
export interface RowLike {
  id: string;
  label: string;
  description?: string;
  contextValue?: string;
  icon: { id: string; color?: string };
  /** Markdown; codicons like $(check) are shown. */
  tooltip?: string;
}

export type Expandable = 'none' | 'collapsed' | 'expanded';

/** A TreeItem for a model row: label, id, description, context value, themed icon, Markdown tooltip. */
export function treeItem(row: RowLike, expandable: Expandable): vscode.TreeItem {
  const state = {
    none: vscode.TreeItemCollapsibleState.None,
    collapsed: vscode.TreeItemCollapsibleState.Collapsed,
    expanded: vscode.TreeItemCollapsibleState.Expanded,
  }[expandable];
  const item = new vscode.TreeItem(row.label, state);
  item.id = row.id;
  item.description = row.description;
  item.contextValue = row.contextValue;
  item.iconPath = new vscode.ThemeIcon(row.icon.id, row.icon.color ? new vscode.ThemeColor(row.icon.color) : undefined);
  if (row.tooltip) {
    const tooltip = new vscode.MarkdownString(row.tooltip);
    tooltip.supportThemeIcons = true;
    item.tooltip = tooltip;
  }
  return item;
}
