// The session panel's host side: one webview panel per session (revealed if already open), kept
// across reloads by a WebviewPanelSerializer (registered by the entry, src/extension.ts). It builds PanelState snapshots (panel-model.ts) from
// the sessions watch, this window's active sessions and the activity board, plus the copies' pods
// and Events read on a slow timer, and posts them while the panel is visible; nothing is read or
// polled while it is hidden (retainContextWhenHidden is off: the page keeps its own state with
// vscode.setState, and gets a fresh snapshot when shown again). The page's requests run the same
// commands as the Sessions view, so confirmations and errors look the same everywhere.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { apiTypes } from '../../core/api-types';
import { commands, panelViewType } from '../../core/contributions';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import type { Service } from '../../core/resources';
import { recordName } from '../../core/session/names';
import { baggageLine, labels, routeHeaderLine } from '../../core/session/route-contract';
import { readRecord, type RecordConfigMap, type SessionState } from '../../core/session/record';
import { sendTry, type TryResult } from '../../proxy/try-request';
import type { SessionActivity } from '../../sessionview/activity';
import type { ActiveSessions } from '../../sessionview/active';
import { type CopyObservation, observeCopies } from '../../sessionview/panel-cluster';
import { newNonce, panelHtml } from '../../sessionview/panel-html';
import { curlLine, panelModel } from '../../sessionview/panel-model';
import {
  type HostMessage,
  parseViewMessage,
  type PanelState,
  type ViewMessage,
  type ViewPersisted,
} from '../../sessionview/panel-protocol';
import { panelTitle, type SessionRef, sessionKey } from '../../sessionview/refs';
import type { SessionTraces } from '../../sessionview/traces';
import type { SessionsWatch } from '../../sessionview/watch';
import { openCopyLogTerminal } from '../log-terminal';
import { type SessionArg, sessionOf } from '../command-args';
import { registerCommand, runCommand, showError } from '../vscode-utils';

export interface SessionPanelDeps {
  clusters: Clusters;
  watch: SessionsWatch;
  active: ActiveSessions;
  activity: SessionActivity;
  /** The last Trace Route of each session (shown in its panel). */
  traces: SessionTraces;
  logger: Logger;
  extensionUri: vscode.Uri;
}

const isRef = (a: unknown): a is SessionRef =>
  !!a &&
  typeof a === 'object' &&
  typeof (a as SessionRef).session === 'string' &&
  typeof (a as SessionRef).context === 'string' &&
  typeof (a as SessionRef).namespace === 'string';

/** Pods and Events are read this often while a panel is visible. */
const clusterEveryMs = 10_000;

export class SessionPanels extends Disposable {
  private readonly panels = new Map<string, SessionPanel>();

  /**
   * Reopens the panels of the last window after a reload. The entry (src/extension.ts) registers
   * it for `devlane.session` at activation, before this class is loaded.
   */
  readonly serializer: vscode.WebviewPanelSerializer<ViewPersisted> = {
    deserializeWebviewPanel: async (panel, state) => {
      const ref = state?.ref;
      if (!isRef(ref)) {
        panel.dispose();
        return;
      }
      this.adopt(panel, { context: ref.context, namespace: ref.namespace, session: ref.session });
    },
  };

  constructor(private readonly deps: SessionPanelDeps) {
    super();
    this._register(registerCommand(commands.openSessionPanel, (arg) => this.openFor(arg), deps.logger));
    this._register(toDisposable(() => [...this.panels.values()].forEach((p) => p.dispose())));
  }

  private async openFor(arg?: SessionArg): Promise<void> {
    const given = sessionOf(arg);
    const ref = given ?? this.deps.active.current()?.ref ?? (await this.pick());
    if (ref) this.open({ context: ref.context, namespace: ref.namespace, session: ref.session });
  }

  private async pick(): Promise<SessionRef | undefined> {
    const list = this.deps.watch.sessions();
    if (list.length === 0) {
      void vscode.window.showInformationMessage(
        'No session to show: start one with Develop This Service, or join one from the Sessions view.',
      );
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      list.map((v) => ({
        label: v.session,
        description: `${v.context} / ${v.namespace}`,
        detail: v.services.map((s) => `${s.service} (${s.owner})`).join(', ') || 'no service taken over',
        ref: v as SessionRef,
      })),
      { title: 'Open the panel of which session?' },
    );
    return pick?.ref;
  }

  open(ref: SessionRef): void {
    const existing = this.panels.get(sessionKey(ref));
    if (existing) return existing.reveal();
    const panel = vscode.window.createWebviewPanel(panelViewType, panelTitle(ref), vscode.ViewColumn.Active, {});
    this.adopt(panel, ref);
  }

  private adopt(panel: vscode.WebviewPanel, ref: SessionRef): void {
    const key = sessionKey(ref);
    this.panels.get(key)?.dispose();
    const p = new SessionPanel(panel, ref, this.deps);
    this.panels.set(key, p);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === p) this.panels.delete(key);
      p.dispose();
    });
  }
}

class SessionPanel extends Disposable {
  private readonly abort = new AbortController();
  private copies: Map<string, CopyObservation> | undefined;
  private namespaceServices: string[] | undefined;
  private fetchedRecord: SessionState | undefined;
  private debugCommand = false;
  private pushTimer: ReturnType<typeof setTimeout> | undefined;
  private clusterTimer: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  private ready = false;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ref: SessionRef,
    private readonly deps: SessionPanelDeps,
  ) {
    super();
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(deps.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    panel.iconPath = vscode.Uri.joinPath(media, 'devlane.svg');
    panel.title = panelTitle(ref);
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      nonce: newNonce(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      title: `Devlane ${panelTitle(ref)}`,
    });
    this._register(panel.webview.onDidReceiveMessage((m) => void this.onMessage(m)));
    this._register(panel.onDidChangeViewState(() => this.visibilityChanged()));
    this._register(deps.watch.onDidChange(() => this.schedule()));
    this._register(deps.active.onDidChange(() => this.schedule()));
    this._register(deps.activity.onDidChange(() => this.schedule()));
    this._register(deps.traces.onDidChange((r) => sessionKey(r) === sessionKey(ref) && this.schedule()));
    this._register(
      toDisposable(() => {
        this.abort.abort();
        clearTimeout(this.pushTimer);
        clearInterval(this.clusterTimer);
      }),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  // ---- snapshots ----------------------------------------------------------------------------

  private visibilityChanged(): void {
    if (this.panel.visible) {
      // Moved or re-focused without being torn down: make sure it is current.
      if (this.ready && !this.clusterTimer) this.startClusterTimer();
      return;
    }
    // A hidden page is torn down (retainContextWhenHidden is off) and says `ready` again when shown;
    // nothing is read for it meanwhile.
    clearInterval(this.clusterTimer);
    this.clusterTimer = undefined;
    this.ready = false;
  }

  /** Debounced: a burst of watch and activity events becomes one snapshot. */
  private schedule(): void {
    if (!this.ready || !this.panel.visible || this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      this.push();
    }, 150);
  }

  private startClusterTimer(): void {
    clearInterval(this.clusterTimer);
    this.clusterTimer = setInterval(() => void this.readCluster(), clusterEveryMs);
    void this.readCluster();
  }

  private async readCluster(): Promise<void> {
    if (this.reading || !this.panel.visible || this.isDisposed) return;
    this.reading = true;
    try {
      this.debugCommand = (await vscode.commands.getCommands(true)).includes(commands.debugService);
      const conn = this.deps.clusters.connection(this.ref.context);
      const view = this.deps.watch.get(this.ref);
      const signal = this.abort.signal;
      if (!view) {
        const cm = await conn.objects.tryGet<RecordConfigMap>(
          apiTypes.configMap,
          this.ref.namespace,
          recordName(this.ref.session),
          signal,
        );
        try {
          this.fetchedRecord = cm ? readRecord(cm) : undefined;
        } catch {
          this.fetchedRecord = undefined;
        }
      }
      const services = view?.services.map((s) => s.service) ?? this.fetchedRecord?.services.map((s) => s.service) ?? [];
      const [copies, svcs] = await Promise.all([
        observeCopies(conn.objects, this.ref.namespace, this.ref.session, services, signal),
        conn.objects.list<Service>(apiTypes.service, this.ref.namespace, {}, signal).catch(() => undefined),
      ]);
      this.copies = copies;
      if (svcs)
        this.namespaceServices = svcs
          .filter((s) => !s.metadata.labels?.[labels.role])
          .map((s) => s.metadata.name)
          .sort();
    } catch (err) {
      if (!this.abort.signal.aborted)
        this.deps.logger.warn(
          `Session panel ${this.ref.session}: could not read the copies' pods and events: ${(err as Error).message}`,
        );
    } finally {
      this.reading = false;
    }
    this.push();
  }

  state(): PanelState {
    const a = this.deps.active.get(this.ref);
    return panelModel({
      ref: this.ref,
      view: this.deps.watch.get(this.ref),
      record: this.deps.watch.record(this.ref) ?? this.fetchedRecord,
      active: a && {
        phase: a.phase,
        starting: a.starting,
        joined: a.joined,
        proxyUrl: a.proxyUrl,
        proxyService: a.proxyService,
      },
      me: this.deps.watch.userAt(this.ref),
      lease: this.deps.watch.myLease(this.ref),
      copies: this.copies,
      sync: this.deps.activity.syncStats(this.ref),
      debug: this.deps.activity.debugStats(this.ref),
      debugCommand: this.debugCommand,
      namespaceServices: this.namespaceServices,
      trace: this.deps.traces.get(this.ref),
      now: new Date(),
    });
  }

  private push(): void {
    if (!this.ready || !this.panel.visible || this.isDisposed) return;
    this.post({ type: 'state', state: this.state() });
  }

  private post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  // ---- requests from the page -----------------------------------------------------------------

  private async onMessage(raw: unknown): Promise<void> {
    const m = parseViewMessage(raw);
    if (!m) return;
    try {
      await this.handle(m);
    } catch (err) {
      showError(err, this.deps.logger);
    }
  }

  private async handle(m: ViewMessage): Promise<void> {
    const ref = { ...this.ref };
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.push();
        this.startClusterTimer();
        return;
      case 'stop':
        return void (await runCommand(commands.stopSession, ref));
      case 'leave':
        return void (await runCommand(commands.leaveSession, ref));
      case 'takeOver':
        return void (await runCommand(commands.takeOverService, ref));
      case 'copyJoinLink':
        return void (await runCommand(commands.copyJoinLink, ref));
      case 'openRoutedUrl':
        return void (await runCommand(commands.openRoutedUrl, { ...ref, service: m.service }));
      case 'traceRoute':
        return void (await runCommand(commands.traceRoute, ref));
      case 'copyRouteKey':
        return this.copyKey(m.form ?? 'key');
      case 'revealRouteKey': {
        const key = this.routeKey();
        if (key) this.post({ type: 'routeKey', key });
        else this.post({ type: 'notice', severity: 'error', text: 'The route key is not known yet.' });
        return;
      }
      case 'openLogs': {
        openCopyLogTerminal(this.deps.clusters.connection(ref.context), ref, m.service);
        return;
      }
      case 'debug':
        if (!(await vscode.commands.getCommands(true)).includes(commands.debugService)) {
          void vscode.window.showInformationMessage(
            `Debugging from the panel is not available in this version of Devlane (no command ${commands.debugService}). Nothing was started.`,
          );
          return;
        }
        return void (await runCommand(commands.debugService, { ...ref, service: m.service }));
      case 'tryRequest': {
        const key = this.routeKey();
        const request = m.request;
        if (request.routed && !key) {
          this.post({
            type: 'tryResult',
            id: m.id,
            result: {
              ok: false,
              routed: true,
              target: request.target,
              method: request.method,
              path: request.path,
              error: 'The route key of this session is not known (is the session still there?). Nothing was sent.',
            },
          });
          return;
        }
        const devService = this.deps.watch
          .get(ref)
          ?.services.find((s) => s.service === request.target && s.state === 'live')?.devService;
        let result: TryResult;
        try {
          result = await sendTry({
            cluster: this.deps.clusters.connection(ref.context),
            namespace: ref.namespace,
            request,
            routeKey: key ?? '',
            devService,
            signal: this.abort.signal,
          });
        } catch (err) {
          // No connection for the context (removed from the kubeconfig, say): answer the page all the same.
          result = {
            ok: false,
            routed: request.routed,
            target: request.target,
            method: request.method,
            path: request.path,
            error: `${(err as Error).message}. Nothing was sent.`,
          };
        }
        this.deps.logger.info(
          `Try a request (session ${ref.session}): ${request.method} ${request.path} → ${request.target} ${request.routed ? 'with' : 'without'} the route: ${result.ok ? `${result.status}, ${result.answered.text}` : result.error}`,
        );
        this.post({ type: 'tryResult', id: m.id, result });
        return;
      }
    }
  }

  private routeKey(): string | undefined {
    return (
      this.deps.watch.get(this.ref)?.routeKey ??
      this.deps.watch.record(this.ref)?.routeKey ??
      this.fetchedRecord?.routeKey
    );
  }

  private async copyKey(form: 'key' | 'curl' | 'header' | 'baggage'): Promise<void> {
    if (form === 'key') return void (await runCommand(commands.copyRouteKey, { ...this.ref }));
    const key = this.routeKey();
    if (!key) throw new Error(`The route key of session ${this.ref.session} is not known here. Nothing was copied.`);
    const s = this.state();
    const text =
      form === 'header'
        ? routeHeaderLine(key)
        : form === 'baggage'
          ? baggageLine(key)
          : curlLine({
              proxyUrl: s.routing.proxyUrl,
              proxyService: s.routing.proxyService,
              namespace: this.ref.namespace,
              target: s.tryDefault,
              key,
            }).curl;
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(
      `Copied the ${form === 'curl' ? 'curl command' : form} of session ${this.ref.session}`,
      3000,
    );
  }
}
