// Breakpoints in the cluster, for the editor: the `devlane` debug type (configuration provider and
// adapter factory), the Debug command, and what the session UI shows about debugging.
import type { Clusters } from '../../cluster/api';
import { Disposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import type { Where } from '../../core/where';
import type { ActiveSessions } from '../../sessionview/active';
import type { ActivityReporter } from '../../sessionview/activity';
import type { SessionsWatch } from '../../sessionview/watch';
import { DebugCommands } from './commands';
import { DevlaneAdapterFactory } from './factory';
import { DebugPlans, DevlaneDebugConfigurationProvider } from './provider';
import { DebugReattach } from './reattach';
import { DebugActivity } from './tracker';

export interface DebugFeatureDeps {
  clusters: Clusters;
  /** Where Devlane works (src/core/where.ts), unless the configuration says. */
  where: (given?: Partial<Where>) => Where | undefined;
  active: ActiveSessions;
  watch: SessionsWatch;
  activity: ActivityReporter;
  logger: Logger;
}

export class DebugFeature extends Disposable {
  /** The entry (src/extension.ts) registers these two for the `devlane` type at activation. */
  readonly configurations: DevlaneDebugConfigurationProvider;
  readonly adapters: DevlaneAdapterFactory;

  constructor(deps: DebugFeatureDeps) {
    super();
    const plans = new DebugPlans();
    const factory = this._register(new DevlaneAdapterFactory(deps.clusters, plans, deps.logger));
    this.configurations = new DevlaneDebugConfigurationProvider({ ...deps, plans });
    this.adapters = factory;
    this._register(new DebugActivity(factory, deps.activity));
    this._register(new DebugReattach(factory, deps.clusters, deps.logger));
    this._register(new DebugCommands(deps.active, deps.watch, deps.logger));
  }
}
