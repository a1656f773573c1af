// The activation entry, dist/extension.js: small, so that activation is quick. It registers what
// VS Code must see at once (the two views, every command id, the Describe documents, join links,
// the session panel's serializer, the `devlane` debug type) and loads the core
// (src/extension-core.ts, its own bundle dist/extension-core.js: the cluster, session and sync
// code) once, on the first call to any of them. It imports nothing but vscode, the ids and
// src/ui/deferred.ts, so no module has a second copy here (scripts/build.mjs checks).
import * as vscode from 'vscode';
import { commands, debugType, describeScheme, panelViewType, views } from './core/contributions';
import type { ExplorerModel } from './explorer/model';
import type { ExplorerNode } from './explorer/nodes';
import type { SessionRow } from './sessionview/tree';
import type * as CoreModule from './extension-core';
import { DeferredTree, registerPlaceholderCommands } from './ui/deferred';

/**
 * What activate() returns: a read-only view of the Clusters tree's model, for the in-editor
 * tests (test/e2e/inside/), which cannot read another extension's tree through the vscode API.
 * Reading it loads the core.
 */
export interface DevlaneApi {
  readonly explorer: Pick<ExplorerModel, 'getChildren' | 'onDidChange'>;
}

export function activate(context: vscode.ExtensionContext): DevlaneApi {
  const own = <T extends vscode.Disposable>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };
  let core: CoreModule.Core | undefined;
  let failed: unknown;
  let loading = false;
  const load = (firstNeed: string): CoreModule.Core => {
    if (core) return core;
    if (failed !== undefined) throw failed;
    // activateCore() must not call back into what it is filling: that would start it twice.
    if (loading) throw new Error(`Devlane's core asked for ${firstNeed} while starting`);
    loading = true;
    try {
      // The real handlers take the command ids over from here on.
      placeholders.dispose();
      const started = performance.now();
      // A bundle of its own (scripts/build.mjs), loaded on first need rather than at activation.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { activateCore } = require('./extension-core') as typeof CoreModule;
      core = activateCore(context, { clustersTree, sessionsTree, firstNeed, loadMs: performance.now() - started });
      clusters.attach(core.clusters);
      sessions.attach(core.sessions);
      return core;
    } catch (err) {
      failed = err;
      void vscode.window.showErrorMessage(
        `Devlane could not start: ${err instanceof Error ? err.message : String(err)}`,
      );
      throw err;
    } finally {
      loading = false;
    }
  };

  const clusters = own(new DeferredTree<ExplorerNode>(() => load('the Clusters view')));
  const sessions = own(new DeferredTree<SessionRow>(() => load('the Sessions view')));
  const clustersTree = own(
    vscode.window.createTreeView(views.clusters, { treeDataProvider: clusters, showCollapseAll: true }),
  );
  const sessionsTree = own(vscode.window.createTreeView(views.sessions, { treeDataProvider: sessions }));
  const placeholders = own(registerPlaceholderCommands(Object.values(commands), () => load('a command')));
  own(
    vscode.workspace.registerTextDocumentContentProvider(describeScheme, {
      provideTextDocumentContent: (uri, token) =>
        load('a Describe document').describe.provideTextDocumentContent(uri, token),
    }),
  );
  own(vscode.window.registerUriHandler({ handleUri: (uri) => load('a link').uri.handleUri(uri) }));
  own(
    vscode.window.registerWebviewPanelSerializer(panelViewType, {
      deserializeWebviewPanel: (panel, state) => load('a session panel').panels.deserializeWebviewPanel(panel, state),
    }),
  );
  own(
    vscode.debug.registerDebugConfigurationProvider(debugType, {
      provideDebugConfigurations: (folder) =>
        load('a debug configuration').debugConfigurations.provideDebugConfigurations(folder),
      resolveDebugConfigurationWithSubstitutedVariables: (folder, config, token) =>
        load('a debug configuration').debugConfigurations.resolveDebugConfigurationWithSubstitutedVariables(
          folder,
          config,
          token,
        ),
    }),
  );
  own(
    vscode.debug.registerDebugAdapterDescriptorFactory(debugType, {
      createDebugAdapterDescriptor: (session, executable) =>
        load('a debug session').debugAdapters.createDebugAdapterDescriptor(session, executable),
    }),
  );

  return {
    get explorer() {
      return load('the extension API').explorer;
    },
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions, which VS Code disposes after this returns.
}
