// Trace Route in the editor (Sessions view, session panel, the status bar's menu): asks for the
// probe's path and where it enters (the inferred entry first, then every Service and Ingress; see
// src/doctor/entry.ts), asks first in a production-looking place, runs the same trace as
// `devlane trace` (src/doctor/trace.ts) with its progress and Cancel, and shows the sentence, with
// the whole path one click away in a read-only document. The run and its answer go to the
// session's panel (SessionTraces), which shows them while it is open.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import type { Logger } from '../../core/logger';
import { tracerOf } from '../../core/session/participant';
import {
  chooseEntry,
  type EntryChoice,
  type EntryFacts,
  inferEntry,
  ingressTargets,
  readEntryFacts,
} from '../../doctor/entry';
import { graphText, traceGraph } from '../../doctor/graph';
import { observable, pathProblem, traceSession } from '../../doctor/trace';
import { renderTrace, type TraceResult } from '../../doctor/verdict';
import type { SessionsAt } from '../../session/sessions-at';
import { type SessionRef, sessionKey } from '../../sessionview/refs';
import type { SessionTraces } from '../../sessionview/traces';
import { toAbortSignal } from '../vscode-utils';

export interface TraceDeps {
  clusters: Clusters;
  sessionsAt: SessionsAt;
  logger: Logger;
  traces: SessionTraces;
  /** Checks the workspace source of `from`, which called `to` without the key; returns where its calls lose it. */
  routeCheck?: (from: string, to: string) => Promise<vscode.Location[]>;
}

/** The Quick Pick of entries: the inferred one first, then the Services, then the Ingresses. */
async function pickEntry(ref: SessionRef, facts: EntryFacts, path: string): Promise<EntryChoice | undefined> {
  type Item = vscode.QuickPickItem & { given?: string };
  const inferred = inferEntry(facts, path).entry;
  const items: Item[] = [
    ...(inferred
      ? [{ label: inferred.service, description: `inferred: ${inferred.reason}`, given: inferred.service }]
      : []),
    ...facts.services
      .filter((s) => s.metadata.name !== inferred?.service)
      .map((s) => ({ label: s.metadata.name, given: s.metadata.name })),
  ];
  const ingresses: Item[] = facts.ingresses.map((i) => ({
    label: `$(globe) ${i.metadata.name}`,
    description: `Ingress → ${ingressTargets(i, path).join(', ') || `nothing for ${path}`}`,
    given: `ingress/${i.metadata.name}`,
  }));
  if (ingresses.length) items.push({ label: 'Ingresses', kind: vscode.QuickPickItemKind.Separator }, ...ingresses);
  const pick = await vscode.window.showQuickPick(items, {
    title: `Trace Route of session ${ref.session}: where does the probe for ${path} enter?`,
    // Stays open when focus moves (the session panel it was asked from re-renders as the session changes).
    ignoreFocusOut: true,
    placeHolder: 'The Service (or Ingress) where a client\u2019s request arrives',
  });
  if (!pick?.given) return undefined;
  if (pick.given === inferred?.service) return inferred;
  return chooseEntry(facts, pick.given, path);
}

/** Sessions whose Trace Route is asking its questions or running in this window. */
const underWay = new Set<string>();

export async function traceRouteInEditor(deps: TraceDeps, ref: SessionRef, signal: AbortSignal): Promise<void> {
  // A second Trace Route of the same session while the first still asks (a double click, the panel
  // and the status bar) would open its own questions over the first's: it says so and does nothing.
  const key = sessionKey(ref);
  if (underWay.has(key)) {
    void vscode.window.showInformationMessage(`A Trace Route of session ${ref.session} is already under way.`);
    return;
  }
  underWay.add(key);
  let answer: { shown: Promise<void> } | undefined;
  try {
    answer = await traceRoute(deps, ref, signal);
  } finally {
    underWay.delete(key);
  }
  // The answer's notification waits for the person; another trace need not.
  await answer?.shown;
}

/** Asks, traces, and returns the answer's notification (pending until the person acts on it). */
async function traceRoute(
  deps: TraceDeps,
  ref: SessionRef,
  signal: AbortSignal,
): Promise<{ shown: Promise<void> } | undefined> {
  const api = deps.clusters.connection(ref.context).objects;
  const path = await vscode.window.showInputBox({
    title: `Trace Route of session ${ref.session}: the probe's path`,
    ignoreFocusOut: true,
    value: '/',
    validateInput: (v) => pathProblem(v),
  });
  if (path === undefined) return;
  const facts = await readEntryFacts(api, ref.namespace, observable, signal);
  const entry = await pickEntry(ref, facts, path);
  if (!entry) return;
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
  deps.traces.set(ref, { state: 'running', path, entry, at: Date.now() });
  // The answer is shown as soon as it is known; the observe hops come out after it (the progress says so).
  let answered: Promise<void> | undefined;
  const onVerdict = (result: TraceResult) => {
    deps.traces.set(ref, { state: 'done', path, entry, at: Date.now(), result, leaving: true });
    answered = showAnswer(deps, entry, result);
  };
  let result: TraceResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Tracing session ${ref.session}`, cancellable: true },
      (progress, token) => {
        const report = (m: string) => (deps.logger.info(m), progress.report({ message: m }));
        const tracer = deps.sessionsAt(ref, {
          participant: async (s) => tracerOf(await sessions.me(s)),
          report,
        });
        const cancelled = toAbortSignal(token);
        return traceSession(
          { api, logger: deps.logger, signal: AbortSignal.any([signal, cancelled]), report },
          tracer,
          { namespace: ref.namespace, session: ref.session, entry: entry.service, path, onVerdict },
        );
      },
    );
  } catch (err) {
    deps.traces.set(ref, { state: 'failed', path, entry, at: Date.now(), error: (err as Error).message });
    throw err;
  }
  deps.traces.set(ref, { state: 'done', path, entry, at: Date.now(), result });
  return { shown: answered ?? showAnswer(deps, entry, result) };
}

/** The sentence, with the calls in the blamed service's source that lose the key (when it is in the workspace) and the whole path one click away. */
async function showAnswer(deps: TraceDeps, entry: EntryChoice, result: TraceResult): Promise<void> {
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
    const graph = graphText(traceGraph(result), entry.ingress ? `Ingress ${entry.ingress}` : 'entry');
    const doc = await vscode.workspace.openTextDocument({
      content: `${graph}\n\n${renderTrace(result)}\n`,
      language: 'plaintext',
    });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
