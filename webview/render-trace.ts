// The panel's Trace Route section: the action, and the last trace's answer as a small graph
// (entry → web (key ✓) → catalog (key ✗) → ratings copy (not reached)) with its sentence, styled
// ok or broken. The graph's one-line text is its accessible name, so a screen reader reads it whole.
import type { PanelState, TraceNode, ViewMessage } from '../src/sessionview/panel-protocol';
import { button, h } from './dom';

const nodeClass: Record<TraceNode['state'], string> = { key: 'ok', 'no-key': 'broken', 'not-reached': 'unreached' };
const marks: Record<TraceNode['state'], string> = { key: 'key ✓', 'no-key': 'key ✗', 'not-reached': 'not reached' };

function graph(entry: string, nodes: TraceNode[], label: string): HTMLElement {
  const parts: Node[] = [h('span', { class: 'trace-node entry' }, entry)];
  for (const n of nodes)
    parts.push(
      h('span', { class: 'trace-arrow', 'aria-hidden': 'true' }, '→'),
      h(
        'span',
        { class: `trace-node ${nodeClass[n.state]}` },
        h('strong', {}, `${n.service}${n.copy ? ' copy' : ''}`),
        ` (${marks[n.state]})`,
      ),
    );
  return h('div', { class: 'trace-graph', role: 'img', 'aria-label': label }, ...parts);
}

export function renderTrace(s: PanelState, post: (m: ViewMessage) => void): Node[] {
  const t = s.trace;
  const out: Node[] = [
    h('h2', {}, 'Trace Route'),
    h(
      'div',
      { class: 'row' },
      button('Trace Route', s.actions.traceRoute, () => post({ type: 'traceRoute' })),
      h(
        'span',
        { class: 'note' },
        'Sends one probe with the route key and shows which Services it reached with the key, and where it was dropped.',
      ),
    ),
  ];
  if (!t) return out;
  const verdict = t.status === 'ok' ? 'ok' : t.status === 'running' ? 'note' : 'problem-error';
  out.push(
    h(
      'section',
      { class: `trace trace-${t.status}`, 'aria-label': 'Last trace' },
      h('p', { class: 'note' }, t.title),
      t.nodes.length > 0 && graph(t.entry, t.nodes, t.graph),
      h('p', { class: verdict, role: t.status === 'running' ? 'status' : undefined }, t.sentence),
    ),
  );
  return out;
}
