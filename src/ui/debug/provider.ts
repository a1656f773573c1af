// The `devlane` debug type's configurations: `{ "type": "devlane", "request": "attach", "service":
// "ratings" }` is enough; context, namespace and session default to the session active in this
// window. Resolving finds the copy and its debugger and works out the path mapping (read-only), so
// that a Python attach request already carries its pathMappings when VS Code sends it; the tunnel
// is opened later, by the adapter factory, for the session that will own it.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import type { Logger } from '../../core/logger';
import type { Where } from '../../core/where';
import { type DebugPlan, prepareDebug } from '../../debug/debug-copy';
import { DebugError } from '../../debug/errors';
import { debugType } from '../../core/contributions';
import { initialLaunchConfigs } from '../../debug/launch-configs';
import type { ActiveSessions } from '../../sessionview/active';
import type { SessionsWatch } from '../../sessionview/watch';
import { configuredServices } from '../workspace-config';
import { showError, toAbortSignal } from '../vscode-utils';

export { debugType };

export interface DevlaneDebugConfiguration extends vscode.DebugConfiguration {
  service?: string;
  session?: string;
  context?: string;
  namespace?: string;
  /** Set while resolving: the key of the prepared plan (see DebugPlans). */
  __devlanePlan?: string;
}

export interface ResolvedTarget {
  context: string;
  namespace: string;
  session: string;
  service: string;
}

/** Plans prepared by the provider, taken by the factory; kept until the session that used them ends. */
export class DebugPlans {
  private readonly plans = new Map<string, { plan: DebugPlan; target: ResolvedTarget; folder: string }>();
  add(entry: { plan: DebugPlan; target: ResolvedTarget; folder: string }): string {
    const id = randomUUID();
    this.plans.set(id, entry);
    return id;
  }
  get(id: string | undefined) {
    return id ? this.plans.get(id) : undefined;
  }
  delete(id: string | undefined): void {
    if (id) this.plans.delete(id);
  }
}

export interface ProviderDeps {
  clusters: Clusters;
  /** Where Devlane works (src/core/where.ts), unless the configuration says. */
  where: (given?: Partial<Where>) => Where | undefined;
  active: ActiveSessions;
  watch: SessionsWatch;
  logger: Logger;
  plans: DebugPlans;
}

export class DevlaneDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly deps: ProviderDeps) {}

  /** What "create a launch.json file" writes: one configuration per service of the active session and of .vscode/devlane.json. */
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const configServices = await configuredServices(folder ?? vscode.workspace.workspaceFolders?.[0], (err) =>
      this.deps.logger.warn(`${err.message}: the launch configurations name only the active session's services.`),
    );
    return initialLaunchConfigs({ sessionServices: this.activeServices(), configServices });
  }

  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: DevlaneDebugConfiguration,
    token?: vscode.CancellationToken,
  ): Promise<vscode.DebugConfiguration | undefined> {
    try {
      return await this.resolve(folder, config, token);
    } catch (err) {
      showError(err, this.deps.logger);
      return undefined; // abort the launch; the message says why
    }
  }

  private async resolve(
    folder: vscode.WorkspaceFolder | undefined,
    config: DevlaneDebugConfiguration,
    token?: vscode.CancellationToken,
  ): Promise<vscode.DebugConfiguration | undefined> {
    const target = await this.target(config);
    if (!target) return undefined;
    const workspace = folder ?? vscode.workspace.workspaceFolders?.[0];
    if (!workspace)
      throw new DebugError(
        'no-path-mapping',
        "Devlane maps the copy's files to a workspace folder, and none is open",
        "Open the folder that holds the service's source, then start debugging again.",
      );
    const conn = this.deps.clusters.connection(target.context);
    const plan = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Window,
        title: `Devlane: finding ${target.service}'s developer copy`,
        cancellable: true,
      },
      (_p, t) =>
        prepareDebug(
          { api: conn.objects, copy: target, workspaceFolder: workspace.uri.fsPath, logger: this.deps.logger },
          toAbortSignal(token ?? t),
        ),
    );
    const id = this.deps.plans.add({ plan, target, folder: workspace.uri.fsPath });
    const extra =
      plan.adapter.attach === 'dap-server' ? plan.adapter.config({ ...plan.mapping, port: 0, name: '' }) : {};
    return {
      // The runtime's defaults first, so that what the user wrote (e.g. justMyCode: false) wins.
      ...extra,
      ...config,
      name: config.name || `${target.service} (session ${target.session})`,
      context: target.context,
      namespace: target.namespace,
      session: target.session,
      service: target.service,
      __devlanePlan: id,
    };
  }

  /** Context, namespace, session and service: given, or from the session active in this window. */
  private async target(config: DevlaneDebugConfiguration): Promise<ResolvedTarget | undefined> {
    const active = this.deps.active.list().filter((a) => a.phase === 'live');
    const match = config.session
      ? active.find(
          (a) =>
            a.ref.session === config.session &&
            (!config.context || a.ref.context === config.context) &&
            (!config.namespace || a.ref.namespace === config.namespace),
        )
      : this.deps.active.current();
    let ref = match?.ref;
    if (!ref && config.session && config.context && config.namespace)
      ref = { context: config.context, namespace: config.namespace, session: config.session };
    if (!ref && config.session) {
      const where = this.deps.where({ context: config.context, namespace: config.namespace });
      if (where) ref = { ...where, session: config.session };
    }
    if (!ref) {
      throw new DebugError(
        'no-session',
        `No Devlane session is active in this window, and the launch configuration names none${config.service ? ` for ${config.service}` : ''}`,
        'Start or join a session first (Develop This Service, or Join Session in the Sessions view), or set "session", "context" and "namespace" in the launch configuration.',
      );
    }
    let service = config.service;
    if (!service) {
      const held = this.deps.watch.get(ref)?.services.map((s) => s.service) ?? [];
      service =
        held.length === 1
          ? held[0]
          : await vscode.window.showQuickPick(held, {
              title: `Debug which service of session ${ref.session}?`,
              placeHolder: held.length ? 'Service' : 'No service is taken over in this session yet',
            });
      if (!service) return undefined;
    }
    return { ...ref, service };
  }

  private activeServices(): string[] {
    const cur = this.deps.active.current();
    return cur ? (this.deps.watch.get(cur.ref)?.services.map((s) => s.service) ?? []) : [];
  }
}
