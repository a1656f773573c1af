// Develop this service: the one use case behind the editor's Develop This Service (and Take Over)
// and `devlane start`. In order: settle how the copy is synced (the workspace's mapping in
// .vscode/devlane.json, or a proposal the person confirms, which is then saved), start the session
// (the plan is shown where the place looks like production), then sync the live copy, which
// reports its progress and follows the copy's output for trouble (src/sync/copy-sync.ts). What it
// must ask is a DevelopQuestions: the editor answers with dialogs, the CLI with its prompt or its
// flags. How it is shown (progress, the session's state in this window, the activity board) is
// the caller's, through DevelopHost.
import type { ClusterConnection } from '../cluster/api';
import type { Event } from '../core/events';
import type { Logger } from '../core/logger';
import type { Plan } from '../core/session/plan';
import type { DataBranchRequest } from '../core/data/branch';
import { branchRequest } from '../core/data/config';
import { configFile, type ServiceSync } from '../core/sync/config';
import type { DeletePreview } from '../core/sync/deletes';
import type { MappingProposal } from '../core/sync/propose';
import { type CopySync, type CopySyncParts, type CopySyncSinks, syncCopy } from '../sync/copy-sync';
import { goSettingsFor, proposeFor } from '../sync/propose';
import { readWorkspaceConfig, saveMapping } from '../sync/service-sync';
import type { Sessions, SessionsOptions, StartOptions, StartResult } from './sessions';

/** The answer to a proposed mapping: the folders to use (then saved), no sync, or cancel the start. */
export type MappingAnswer = { localPath: string; remotePath: string } | 'no-sync' | 'cancel';

/** What the use case must ask the person. */
export interface DevelopQuestions {
  /** Where the place looks like production: the plan, shown whole. False creates nothing. */
  confirmPlan(plan: Plan, text: string): Promise<boolean>;
  /**
   * The workspace does not map the service: use this proposal, change it, or decline. Without
   * this question (the CLI) an unmapped service is started without sync and nothing is proposed.
   */
  confirmMapping?(service: string, proposal: MappingProposal): Promise<MappingAnswer>;
  /** The first sync would delete many paths in the container that are not in the local folder. */
  confirmDeletes(service: string, preview: DeletePreview): Promise<boolean>;
}

/** A phase someone waits for: looking at the service for a mapping proposal, or starting the session. */
export type DevelopPhase = 'propose' | 'start';

/** Where the use case runs: the place's connection and namespace. */
export interface DevelopPlace {
  conn: ClusterConnection;
  namespace: string;
  logger: Logger;
}

/** How the use case is shown, and what of the session it leaves to its caller. Hooks are optional. */
export interface DevelopHost {
  questions: DevelopQuestions;
  /** The Sessions of the place, asking `confirm` before applying a plan there and telling `report` each step. */
  sessions(extra: Pick<SessionsOptions, 'confirm' | 'report' | 'onPhase'>): Pick<Sessions, 'start'>;
  /** Each phase of the start as it ends (SessionsOptions.onPhase). */
  onStartPhase?(phase: string): void;
  /** Runs a phase: the editor shows progress (the start can be cancelled); by default it runs on develop's signal. */
  phase?<T>(
    phase: DevelopPhase,
    work: (report: (message: string) => void, signal: AbortSignal) => Promise<T>,
  ): Promise<T>;
  /** A start is under way; it failed (or was declined, or cancelled); the session is live here. */
  starting?(): void;
  startFailed?(err: unknown): void;
  live?(started: StartResult): void;
  /** The service is synced here already (a resumed session): no second sync starts. */
  synced?(service: string): boolean;
  /** Where the copy's sync reports. */
  sinks?: CopySyncSinks;
  /** Saved documents (the editor's), synced at once. */
  onDidSave?: Event<string>;
  /** What talks to the cluster; tests replace it. */
  parts?: Partial<DevelopParts>;
}

/** What looks at the service for a mapping proposal, and what syncs; tests replace them. */
export type DevelopParts = { propose: typeof proposeFor } & CopySyncParts;

export interface DevelopRequest extends Omit<StartOptions, 'sync' | 'debug' | 'data'> {
  /** Start a data branch (--branch-data, the editor's option); the mapping's `data` section fills in the rest. */
  data?: Partial<DataBranchRequest>;
  /** The folder holding .vscode/devlane.json (absolute); without one the copy is not synced. */
  workspace?: string;
  /** Do not sync, even when the workspace maps the service. */
  noSync?: boolean;
  /** Return once live, without syncing (a mapped copy still runs under the restart supervisor). */
  detach?: boolean;
}

export interface Developing {
  started: StartResult;
  /** The copy's sync, started (its first sync may still be under way); the caller keeps it and ends it. */
  sync?: CopySync;
}

/** The proposal is a short look (a listing in a pod and two levels of the workspace). */
const proposeTimeoutMs = 20_000;

/**
 * Develops `req.service` in `at`; `signal` ends the work (the CLI's Ctrl-C, the editor window
 * closing), and a phase may have its own (the editor's Cancel on the start). Resolves undefined
 * when the person cancelled at the mapping question (nothing was created); throws when the start
 * failed or the plan was declined (SessionError 'declined': nothing was created, or everything
 * was put back).
 */
export async function develop(
  at: DevelopPlace,
  req: DevelopRequest,
  host: DevelopHost,
  signal: AbortSignal,
): Promise<Developing | undefined> {
  const parts = { propose: proposeFor, ...host.parts };
  const run =
    host.phase ??
    (<T>(_p: DevelopPhase, work: (report: (m: string) => void, s: AbortSignal) => Promise<T>) =>
      work(() => {}, signal));
  const { workspace, noSync, detach, data: askedData, ...start } = req;
  // Before anything exists: how the copy is synced.
  let mapping: ServiceSync | undefined;
  if (workspace && !noSync) {
    const propose = () =>
      run('propose', (_r, s) =>
        parts.propose(
          at.conn.objects,
          at.namespace,
          req.service,
          workspace,
          AbortSignal.any([s, AbortSignal.timeout(proposeTimeoutMs)]),
        ),
      );
    const found = await mappingFor(at.logger, workspace, req.service, host.questions, propose);
    if (found === 'cancel') return undefined;
    mapping = found;
  }
  host.starting?.();
  let started: StartResult;
  try {
    started = await run('start', (report, s) =>
      host
        .sessions({
          confirm: (plan, text) => host.questions.confirmPlan(plan, text),
          report,
          onPhase: host.onStartPhase,
        })
        .start({ ...start, sync: mapping, data: branchRequest(askedData, mapping?.data) }, s),
    );
  } catch (err) {
    host.startFailed?.(err);
    throw err;
  }
  host.live?.(started);
  if (!mapping || !workspace || detach || host.synced?.(started.service)) return { started };
  const { service, session } = started;
  const sync = syncCopy(
    {
      conn: at.conn,
      namespace: at.namespace,
      session,
      service,
      workspace,
      logger: at.logger,
      onDidSave: host.onDidSave,
      confirmDeletes: (p) => host.questions.confirmDeletes(service, p),
    },
    host.sinks ?? {},
    signal,
    parts,
  );
  return { started, sync };
}

/**
 * The mapping a copy of `service` starts with: the workspace's (an invalid file throws a
 * ConfigError naming the field, and nothing is started); else, when the host can ask, a proposal
 * the person confirms or changes (then saved to the config file, so the next session and the CLI
 * reuse it), declines (no sync) or cancels.
 */
async function mappingFor(
  logger: Logger,
  workspace: string,
  service: string,
  questions: DevelopQuestions,
  propose: () => Promise<MappingProposal>,
): Promise<ServiceSync | 'cancel' | undefined> {
  const config = await readWorkspaceConfig(workspace);
  const known = config?.services[service];
  if (known || !questions.confirmMapping) return known;
  const proposal = await propose();
  const answer = await questions.confirmMapping(service, proposal);
  if (answer === 'cancel') return 'cancel';
  if (answer === 'no-sync') return undefined;
  // The folder chosen is a Go module: it is built in the copy.
  const go = await goSettingsFor(workspace, answer.localPath, service, proposal.image);
  const mapping = await saveMapping(workspace, config, service, { ...answer, ...go });
  logger.info(`sync mapping for ${service} saved to ${configFile}: ${answer.localPath} → ${answer.remotePath}`);
  return mapping;
}
