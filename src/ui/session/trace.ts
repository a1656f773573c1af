// Trace Route in the editor (Sessions view, the status bar's menu): asks for the entry Service and
// the path, asks first in a production-looking place, runs the same trace as `devlane trace`
// (src/doctor/trace.ts) with its progress and Cancel, and shows the sentence, with the whole path
// one click away in a read-only document.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { apiTypes } from '../../core/api-types';
import type { Logger } from '../../core/logger';
import type { Service } from '../../core/resources';
import { tracerOf } from '../../core/session/participant';
import { labels } from '../../core/session/route-contract';
import { pathProblem, traceSession } from '../../doctor/trace';
import { renderTrace } from '../../doctor/verdict';
import type { SessionsAt } from '../../session/sessions-at';
import type { SessionRef } from '../../sessionview/refs';
import { toAbortSignal } from '../vscode-utils';

export interface TraceDeps {
  clusters: Clusters;
  sessionsAt: SessionsAt;
  logger: Logger;
  /** Checks the workspace source of `from`, which called `to` without the key; returns where its calls lose it. */
  routeCheck?: (from: string, to: string) => Promise<vscode.Location[]>;
}

export async function traceRouteInEditor(deps: TraceDeps, ref: SessionRef, signal: AbortSignal): Promise<void> {
  const api = deps.clusters.connection(ref.context).objects;
  const services = (await api.list<Service>(apiTypes.service, ref.namespace, {}, signal)).filter(
    (s) => !s.metadata.labels?.[labels.session] && !s.metadata.labels?.[labels.role],
  );
  const entry = await vscode.window.showQuickPick(
    services.map((s) => s.metadata.name),
    { title: `Trace Route of session ${ref.session}: where does the probe enter?`, placeHolder: 'Entry Service' },
  );
  if (!entry) return;
  const path = await vscode.window.showInputBox({
    title: `Trace Route of session ${ref.session}: the probe's path on ${entry}`,
    value: '/',
    validateInput: (v) => pathProblem(v),
  });
  if (path === undefined) return;
  const sessions = deps.sessionsAt(ref);
  const production = sessions.productionReason();
  if (production) {
    const go = 'Trace';
    const ok = await vscode.window.showWarningMessage(
      `This looks like production (${production}). Trace Route puts a Devlane router in front of every Service in ${ref.namespace} that has none, for the trace, and takes it out afterwards.`,
      { modal: true },
      go,
    );
    if (ok !== go) return;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Tracing session ${ref.session}`, cancellable: true },
    (progress, token) => {
      const report = (m: string) => (deps.logger.info(m), progress.report({ message: m }));
      const tracer = deps.sessionsAt(ref, {
        participant: async (s) => tracerOf(await sessions.me(s)),
        report,
      });
      const cancelled = toAbortSignal(token);
      return traceSession({ api, logger: deps.logger, signal: AbortSignal.any([signal, cancelled]), report }, tracer, {
        namespace: ref.namespace,
        session: ref.session,
        entry,
        path,
      });
    },
  );
  const calls = result.dropped && deps.routeCheck ? await deps.routeCheck(result.dropped.from, result.dropped.to) : [];
  const details = 'Show the Path';
  const showCall = calls.length === 1 ? 'Show the Call' : 'Show the Calls';
  const marked = calls.length
    ? `. Devlane marked ${calls.length === 1 ? 'the call' : `${calls.length} calls`} in ${result.dropped!.from}'s source that ${calls.length === 1 ? 'loses' : 'lose'} the key`
    : '';
  const show = result.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  const choice = await show(`Trace Route: ${result.sentence}${marked}`, ...(calls.length ? [showCall] : []), details);
  if (choice === showCall) {
    if (calls.length > 1) return void (await vscode.commands.executeCommand('workbench.actions.view.problems'));
    await vscode.window.showTextDocument(calls[0].uri, { selection: calls[0].range });
  } else if (choice === details) {
    const doc = await vscode.workspace.openTextDocument({ content: `${renderTrace(result)}\n`, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
