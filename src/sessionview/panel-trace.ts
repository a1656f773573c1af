// The session panel's Trace Route part, as a pure function of the last trace this window ran for
// the session (src/sessionview/traces.ts): the path as a small graph and the one sentence, with
// ok / broken styling; while a trace runs, what it is doing; when it failed, why.
import { graphText, traceGraph } from '../doctor/graph';
import type { ActionState, TracePanel } from './panel-protocol';
import { formatAge } from './sessions';
import type { TraceRun } from './traces';

export function tracePanel(run: TraceRun | undefined, now: Date): TracePanel | undefined {
  if (!run) return undefined;
  const where = `${run.path} entering through ${run.entry ? `${run.entry.service} (${run.entry.reason})` : '?'}`;
  const entry = run.entry?.ingress ? `Ingress ${run.entry.ingress}` : 'entry';
  if (run.state === 'running')
    return {
      status: 'running',
      title: `Tracing ${where}…`,
      entry,
      nodes: [],
      graph: '',
      sentence: 'Putting observe hops in, sending the probe, reading where it went.',
    };
  const when = `${formatAge(new Date(run.at).toISOString(), now)} ago`;
  if (run.state === 'failed')
    return {
      status: 'failed',
      title: `Last trace (${when}): ${where}`,
      entry,
      nodes: [],
      graph: '',
      sentence: run.error,
    };
  const nodes = traceGraph(run.result);
  return {
    status: run.result.ok ? 'ok' : 'broken',
    title: `Last trace (${when}): ${where}`,
    entry,
    nodes,
    graph: graphText(nodes, entry),
    sentence: run.result.sentence,
  };
}

/** Trace Route from the panel: not while one runs for this session, not for a session that is gone. */
export function traceAction(exists: boolean, run: TraceRun | undefined): ActionState {
  if (!exists) return { enabled: false, reason: 'The session no longer exists.', hidden: true };
  if (run?.state === 'running') return { enabled: false, reason: 'A trace of this session is under way.' };
  if (run?.state === 'done' && run.leaving)
    return { enabled: false, reason: 'The last trace is taking its observe hops out.' };
  return { enabled: true };
}
