// All contexts of the merged kubeconfig, each connected on first use. Reading the files is the
// only I/O here; what they mean is decided by src/core/kubeconfig.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Clusters, KubeconfigState } from './api';
import { type ConnectionOptions, KubeConnection } from './connection';
import { ClusterError } from '../core/errors';
import { Emitter } from '../core/events';
import { kubeconfigPaths, mergeKubeconfigs, orderContexts, type RawKubeconfig } from '../core/kubeconfig';
import { Disposable, toDisposable } from '../core/lifecycle';

export interface KubeconfigInputs {
  /** The `devlane.kubeconfig` setting; read again on every reload. */
  setting: () => string | undefined;
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Reload when a kubeconfig file changes (the extension does; tests and the CLI need not). */
  watch?: boolean;
}

export class KubeClusters extends Disposable implements Clusters {
  private state!: KubeconfigState;
  private raw!: RawKubeconfig;
  private readonly connections = new Map<string, { connection: KubeConnection; fingerprint: string }>();
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;
  private watchedFiles: string[] = [];
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly inputs: KubeconfigInputs,
    private readonly options: ConnectionOptions,
  ) {
    super();
    this._register(toDisposable(() => this.closeAll()));
    this._register(toDisposable(() => this.watchFiles([])));
    this.load();
  }

  get kubeconfig(): KubeconfigState {
    return this.state;
  }

  connection(context: string): KubeConnection {
    const summary = this.state.contexts.find((c) => c.name === context);
    if (!summary)
      throw missingContext(
        context,
        this.state.contexts.map((c) => c.name),
        this.state.files,
      );
    let entry = this.connections.get(context);
    if (!entry) {
      entry = {
        connection: new KubeConnection(summary, this.raw, this.options),
        fingerprint: this.fingerprint(context),
      };
      this.connections.set(context, entry);
    }
    return entry.connection;
  }

  reload(): void {
    this.load();
    // Keep connections whose context, cluster and user are unchanged, so their watches go on.
    for (const [name, entry] of [...this.connections]) {
      if (this.fingerprint(name) !== entry.fingerprint) {
        entry.connection.dispose();
        this.connections.delete(name);
      }
    }
    this._onDidChange.fire();
  }

  private load(): void {
    const env = this.inputs.env ?? process.env;
    const { paths, source } = kubeconfigPaths({
      setting: this.inputs.setting(),
      envKubeconfig: env.KUBECONFIG,
      home: this.inputs.home ?? os.homedir(),
      delimiter: path.delimiter,
    });
    const unreadable: { path: string; message: string }[] = [];
    const files = paths.map((p) => ({ path: p, text: readIfExists(p, unreadable) }));
    const merged = mergeKubeconfigs(files);
    merged.problems.push(...unreadable);
    if (this.inputs.watch) this.watchFiles(paths);
    this.raw = merged.config;
    this.state = {
      files: merged.files,
      source,
      problems: merged.problems,
      contexts: orderContexts(merged.contexts, merged.currentContext),
      currentContext: merged.currentContext,
    };
  }

  /**
   * Reloads when a kubeconfig file changes (a cloud CLI adding a context, a token refresh). Polling
   * with fs.watchFile, because tools replace the file atomically, which fs.watch loses track of,
   * and because it also notices a file that does not exist yet being created.
   */
  private watchFiles(paths: string[]): void {
    for (const p of this.watchedFiles) if (!paths.includes(p)) fs.unwatchFile(p, this.onFileChange);
    for (const p of paths)
      if (!this.watchedFiles.includes(p)) fs.watchFile(p, { interval: 2000, persistent: false }, this.onFileChange);
    this.watchedFiles = paths;
    if (paths.length === 0 && this.reloadTimer) clearTimeout(this.reloadTimer);
  }

  private readonly onFileChange = (curr: fs.Stats, prev: fs.Stats): void => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size) return;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      if (!this.isDisposed) this.reload();
    }, 300);
  };

  private fingerprint(context: string): string {
    const ctx = this.raw.contexts.find((c) => c.name === context);
    const body = (ctx?.context ?? {}) as { cluster?: string; user?: string };
    return JSON.stringify([
      ctx,
      this.raw.clusters.find((c) => c.name === body.cluster),
      this.raw.users.find((u) => u.name === body.user),
    ]);
  }

  private closeAll(): void {
    for (const { connection } of this.connections.values()) connection.dispose();
    this.connections.clear();
  }
}

/** A context the kubeconfig does not define: the editor's list went stale, or the CLI was given a wrong name. */
function missingContext(context: string, names: string[], files: string[]): ClusterError {
  const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
  const where = files.length ? files.join(', ') : 'no file';
  const has = names.length
    ? `The kubeconfig (${where}) defines ${shown}: pass one of them with --context`
    : `The kubeconfig (${where}) defines no context: pass --kubeconfig FILE, or set KUBECONFIG`;
  return new ClusterError(
    'config',
    `Context "${context}" is not in the kubeconfig`,
    'It was removed or renamed since the view was drawn: Refresh the Devlane view.',
    undefined,
    {
      cliHint: `${has}. Nothing was changed.`,
    },
  );
}

/** A missing file is skipped silently, as kubectl does; an unreadable one is reported. */
function readIfExists(file: string, problems: { path: string; message: string }[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push({ path: file, message: `cannot be read (${code ?? (err as Error).message})` });
    return undefined;
  }
}
