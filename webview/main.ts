// The session panel's browser code. It renders the host's `state` snapshots (a pure view-model,
// src/sessionview/panel-model.ts) and turns clicks into typed requests (panel-protocol.ts). Every
// control has an accessible name; everything is reachable with the keyboard. What the user typed
// into Try a request, and its answers, are kept with vscode.setState so a hidden panel comes back
// as it was; the host sends a fresh snapshot when it is shown again.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { HostMessage, PanelState, TryResult, ViewMessage, ViewPersisted } from '../src/sessionview/panel-protocol';
import { h } from './dom';
import { renderState, renderTryResult } from './render';
import { baggageMember, routeHeader } from '../src/core/session/route-contract';

interface VsCodeApi {
  postMessage(m: ViewMessage): void;
  getState(): ViewPersisted | undefined;
  setState(s: ViewPersisted): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// Lit falls back to <style> elements where constructable stylesheets are missing; give them our nonce.
(globalThis as { litNonce?: string }).litNonce =
  (document.currentScript as HTMLScriptElement | null)?.nonce ?? undefined;

const vscode = acquireVsCodeApi();
const persisted: ViewPersisted = vscode.getState() ?? {};
const post = (m: ViewMessage) => vscode.postMessage(m);
const save = () => vscode.setState(persisted);

const root = document.getElementById('root')!;
const stateHost = h('div', { id: 'state' });
let revealedKey: string | undefined;
let nextId = Date.now();

// ---- Try a request: built once, so typing is never interrupted by a new snapshot ---------------

type Field = HTMLElement & { value: string; label?: string };
const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const form = persisted.form ?? { method: 'GET', path: '/', headers: '', body: '', target: '' };

/** A control whose inner input is named `label` (the elements take it as a property, not an attribute). */
function field(tag: string, id: string, label: string, attrs: Record<string, string> = {}): Field {
  const el = h(tag, { id, ...attrs }) as Field;
  el.label = label;
  return el;
}
const method = field('vscode-single-select', 'try-method', 'Method');
for (const m of methods) method.append(h('vscode-option', { value: m }, m));
const path = field('vscode-textfield', 'try-path', 'Path', { placeholder: '/api/products' });
const target = field('vscode-single-select', 'try-target', 'Target service');
const headers = field('vscode-textarea', 'try-headers', 'Headers, one per line', {
  rows: '3',
  placeholder: 'accept: application/json',
});
const body = field('vscode-textarea', 'try-body', 'Body', { rows: '4' });
const results = h('div', { id: 'try-results', 'aria-live': 'polite' });
const sendRouted = h('vscode-button', { id: 'try-send' }, 'Send Through the Route');
const sendPlain = h('vscode-button', { id: 'try-send-plain', secondary: '' }, 'Send Without the Key');
const sending = h('span', { class: 'note', role: 'status' });

const label = (forId: string, text: string) => h('label', { for: forId }, text);
const trySection = h(
  'section',
  { 'aria-labelledby': 'try-title' },
  h('h2', { id: 'try-title' }, 'Try a request'),
  h(
    'p',
    { class: 'note' },
    `Sent from the editor through the cluster. "Send Through the Route" adds ${routeHeader} and baggage ${baggageMember('KEY')}; "Send Without the Key" sends the same request without them, to compare.`,
  ),
  h(
    'div',
    { class: 'form' },
    label('try-method', 'Method'),
    method,
    label('try-path', 'Path'),
    path,
    label('try-target', 'Target service'),
    target,
    label('try-headers', 'Headers'),
    headers,
    label('try-body', 'Body'),
    body,
  ),
  h('div', { class: 'row' }, sendRouted, sendPlain, sending),
  results,
);

function restoreForm(): void {
  method.value = form.method;
  path.value = form.path;
  headers.value = form.headers;
  body.value = form.body;
}

function readForm(): void {
  form.method = method.value || 'GET';
  form.path = path.value;
  form.headers = headers.value;
  form.body = body.value;
  form.target = target.value;
  persisted.form = { ...form };
  save();
}
for (const el of [method, path, headers, body, target]) {
  el.addEventListener('change', readForm);
  el.addEventListener('input', readForm);
}

/** Keeps the target list in step with the session, without losing the user's choice. */
function updateTargets(s: PanelState): void {
  const current = target.value || form.target;
  const names = s.tryTargets.length ? s.tryTargets : [];
  const have = [...target.children].map((c) => (c as Field).value);
  if (have.join('\n') !== names.join('\n')) {
    target.replaceChildren(...names.map((n) => h('vscode-option', { value: n }, n)));
  }
  const pick = names.includes(current) ? current : (s.tryDefault ?? names[0] ?? '');
  if (pick && target.value !== pick) target.value = pick;
  const can = names.length > 0 && s.exists;
  for (const b of [sendRouted, sendPlain]) {
    b.toggleAttribute('disabled', !can);
    b.title = can ? '' : 'There is no Service to send to (the session is gone, or the namespace has none).';
  }
}

let pending = 0;
function send(routed: boolean): void {
  readForm();
  const id = ++nextId;
  pending++;
  sending.textContent = 'Sending…';
  post({
    type: 'tryRequest',
    id,
    request: {
      method: form.method,
      path: form.path || '/',
      headers: form.headers,
      body: form.body,
      target: form.target,
      routed,
    },
  });
}
sendRouted.addEventListener('click', () => send(true));
sendPlain.addEventListener('click', () => send(false));

function showResults(): void {
  results.replaceChildren(...(persisted.results ?? []).map((r) => renderTryResult(r)));
}

function addResult(r: TryResult): void {
  persisted.results = [r, ...(persisted.results ?? [])].slice(0, 4);
  save();
  pending = Math.max(0, pending - 1);
  sending.textContent = pending ? 'Sending…' : '';
  showResults();
}

// ---- the session part: rendered from each snapshot ---------------------------------------------

function render(s: PanelState): void {
  persisted.state = s;
  persisted.ref = s.ref;
  save();
  stateHost.replaceChildren(...renderState(s, revealedKey, post));
  updateTargets(s);
  root.setAttribute('aria-busy', 'false');
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  if (m.type === 'state') render(m.state);
  else if (m.type === 'tryResult') addResult(m.result);
  else if (m.type === 'routeKey') {
    revealedKey = m.key;
    if (persisted.state) render(persisted.state);
  } else if (m.type === 'notice') {
    sending.textContent = m.text;
  }
});

root.replaceChildren(stateHost, trySection);
restoreForm();
showResults();
if (persisted.state) render(persisted.state);
post({ type: 'ready' });
