// A trace's answer as a small graph for people: the entry, then each Service the probe's requests
// reached (in the order they came in), each with whether the request carried the key, then the
// session's copies the probe never reached:
//   entry → web (key ✓) → catalog (key ✗) → ratings copy (not reached)
// A chain, not a tree: the fan-out of a real request is in the per-call lines (renderTrace).
// Pure, shared by the CLI and the session panel.
import type { TraceResult } from './verdict';

export interface TraceNode {
  service: string;
  /** The session's copy of the Service (else the original, or whatever the Service sent it to). */
  copy: boolean;
  /** key: reached with the session's key; no-key: reached without it; not-reached: never seen there. */
  state: 'key' | 'no-key' | 'not-reached';
}

export function traceGraph(r: TraceResult): TraceNode[] {
  const nodes: TraceNode[] = [];
  const add = (n: TraceNode) => {
    if (!nodes.some((m) => m.service === n.service && m.copy === n.copy && m.state === n.state)) nodes.push(n);
  };
  if (r.hops.length === 0) add({ service: r.entry, copy: false, state: 'not-reached' });
  for (const h of r.hops) add({ service: h.service, copy: h.copy, state: h.key ? 'key' : 'no-key' });
  for (const c of r.copies) if (!c.reached) add({ service: c.service, copy: true, state: 'not-reached' });
  return nodes;
}

const marks: Record<TraceNode['state'], string> = { key: 'key ✓', 'no-key': 'key ✗', 'not-reached': 'not reached' };

/** `ratings copy (not reached)` */
export const nodeText = (n: TraceNode): string => `${n.service}${n.copy ? ' copy' : ''} (${marks[n.state]})`;

/** `entry → web (key ✓) → catalog (key ✗) → ratings copy (not reached)` */
export const graphText = (nodes: TraceNode[], entry = 'entry'): string => [entry, ...nodes.map(nodeText)].join(' → ');
