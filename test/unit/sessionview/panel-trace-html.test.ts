// The session panel's Trace Route section as the page builds it (webview/render-trace.ts, run here
// against a small stand-in for the DOM): the action, the last trace as a graph whose nodes are
// styled ok / broken / not reached, its sentence, and a style rule in the panel's CSS for every
// class it uses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newNonce, panelHtml } from '../../../src/sessionview/panel-html';
import { panelModel } from '../../../src/sessionview/panel-model';
import type { PanelState, ViewMessage } from '../../../src/sessionview/panel-protocol';
import { sessionViews } from '../../../src/sessionview/sessions';
import type { TraceRun } from '../../../src/sessionview/traces';
import { renderTrace } from '../../../webview/render-trace';
import { lease, now, record, stoodStill, traceResult } from './fixtures';

/** Just enough of an element to build and serialize the panel's markup. */
class FakeElement {
  readonly attrs = new Map<string, string>();
  readonly children: (FakeElement | string)[] = [];
  readonly clicks: (() => void)[] = [];
  title = '';
  constructor(readonly tagName: string) {}
  setAttribute(k: string, v: string) {
    this.attrs.set(k, v);
  }
  append(...c: (FakeElement | string)[]) {
    this.children.push(...c);
  }
  addEventListener(type: string, f: () => void) {
    if (type === 'click') this.clicks.push(f);
  }
  get textContent(): string {
    return this.children.map((c) => (typeof c === 'string' ? c : c.textContent)).join('');
  }
  get html(): string {
    const attrs = [...this.attrs].map(([k, v]) => ` ${k}="${v}"`).join('');
    const inner = this.children.map((c) => (typeof c === 'string' ? c : c.html)).join('');
    return `<${this.tagName}${attrs}>${inner}</${this.tagName}>`;
  }
  *all(): Generator<FakeElement> {
    yield this;
    for (const c of this.children) if (typeof c !== 'string') yield* c.all();
  }
}

const ref = { context: 'dev', namespace: 'shop', session: 's1' };

function state(trace?: TraceRun): PanelState {
  const [view] = sessionViews({
    expired: stoodStill,
    ...ref,
    me: 'alice',
    now,
    records: [record('s1', { services: [{ service: 'ratings', owner: 'alice' }] })],
    leases: [lease('s1', 'alice', 1)],
    deployments: [],
  });
  return panelModel({
    ref,
    view,
    record: undefined,
    active: { phase: 'live', joined: true },
    me: 'alice',
    lease: 'ok',
    copies: new Map(),
    sync: [],
    debug: [],
    debugCommand: true,
    trace,
    now,
  });
}

function render(s: PanelState) {
  const posted: ViewMessage[] = [];
  const nodes = renderTrace(s, (m) => posted.push(m)) as unknown as FakeElement[];
  const all = nodes.flatMap((n) => [...n.all()]);
  return { posted, all, html: nodes.map((n) => n.html).join('\n') };
}

const entry = { service: 'web', reason: 'named with --entry' };

describe('session panel: Trace Route section', () => {
  const saved = (globalThis as { document?: unknown }).document;
  before(() => {
    (globalThis as { document?: unknown }).document = { createElement: (t: string) => new FakeElement(t) };
  });
  after(() => {
    (globalThis as { document?: unknown }).document = saved;
  });

  it('offers the action before any trace, and clicking it asks the host to trace', () => {
    const { posted, all, html } = render(state());
    assert.match(html, /<h2>Trace Route<\/h2>/);
    const button = all.find((e) => e.tagName === 'vscode-button' && e.textContent === 'Trace Route');
    assert.ok(button, 'a Trace Route button');
    assert.equal(button.attrs.has('disabled'), false);
    button.clicks.forEach((f) => f());
    assert.deepEqual(posted, [{ type: 'traceRoute' }]);
    assert.doesNotMatch(html, /trace-graph/, 'no answer shown before a trace');
  });

  it('shows a broken path as a graph, the dropped hop red, the unreached copy dashed, and the sentence as an error', () => {
    const { all } = render(
      state({ state: 'done', path: '/api/products', entry, at: now.getTime(), result: traceResult(true) }),
    );
    const section = all.find((e) => e.tagName === 'section');
    assert.equal(section?.attrs.get('class'), 'trace trace-broken');
    const graph = all.find((e) => e.attrs.get('class') === 'trace-graph');
    assert.equal(
      graph?.attrs.get('aria-label'),
      'entry → web (key ✓) → catalog (key ✓) → ratings (key ✗) → ratings copy (not reached)',
    );
    const nodes = all
      .filter((e) => e.attrs.get('class')?.startsWith('trace-node'))
      .map((e) => `${e.attrs.get('class')}: ${e.textContent}`);
    assert.deepEqual(nodes, [
      'trace-node entry: entry',
      'trace-node ok: web (key ✓)',
      'trace-node ok: catalog (key ✓)',
      'trace-node broken: ratings (key ✗)',
      'trace-node unreached: ratings copy (not reached)',
    ]);
    const sentence = all.find((e) => e.textContent === 'catalog received the key but called ratings without it');
    assert.equal(sentence?.attrs.get('class'), 'problem-error');
  });

  it('shows a reached copy as ok, and a running trace with the action disabled and why', () => {
    const ok = render(state({ state: 'done', path: '/', entry, at: now.getTime(), result: traceResult(false) }));
    assert.equal(ok.all.find((e) => e.tagName === 'section')?.attrs.get('class'), 'trace trace-ok');
    const running = render(state({ state: 'running', path: '/', entry, at: now.getTime() }));
    const button = running.all.find((e) => e.tagName === 'vscode-button');
    assert.ok(button?.attrs.has('disabled'));
    assert.equal(button?.attrs.get('aria-disabled'), 'true', 'read as disabled by assistive technology');
    assert.equal(button?.title, 'A trace of this session is under way.');
    assert.match(running.html, /Tracing \/ entering through web/);
    // The answer is in, the observe hops are still coming out: no second trace yet.
    const leaving = render(
      state({ state: 'done', path: '/', entry, at: now.getTime(), result: traceResult(true), leaving: true }),
    );
    const again = leaving.all.find((e) => e.tagName === 'vscode-button');
    assert.ok(again?.attrs.has('disabled'));
    assert.equal(again?.title, 'The last trace is taking its observe hops out.');
    assert.match(leaving.html, /catalog received the key but called ratings without it/);
  });

  it('has a style rule in the panel CSS for every trace class it uses', () => {
    const html = panelHtml({ cspSource: 'https://x', nonce: newNonce(), scriptUri: 'https://x/w.js', title: 't' });
    const css = /<style[^>]*>([\s\S]*)<\/style>/.exec(html)?.[1] ?? '';
    const classes = new Set<string>();
    for (const run of [
      { state: 'done' as const, path: '/', entry, at: 0, result: traceResult(true) },
      { state: 'done' as const, path: '/', entry, at: 0, result: traceResult(false) },
    ])
      for (const e of render(state(run)).all)
        for (const c of (e.attrs.get('class') ?? '').split(' ')) if (c.startsWith('trace')) classes.add(c);
    for (const n of ['ok', 'broken', 'unreached']) classes.add(`trace-node.${n}`);
    assert.ok(classes.size > 4);
    for (const c of classes) assert.ok(css.includes(`.${c}`), `a rule for .${c}`);
  });
});
