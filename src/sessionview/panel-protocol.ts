// The messages between the session panel's host (src/ui/session/panel.ts) and its browser code
// (webview/main.ts), typed once here and imported by both. Plain data only: no vscode, no DOM.
// The host sends `state` snapshots (a pure view-model built by panel-model.ts) whenever something
// the panel shows changed, and the view answers user actions with requests; nothing else crosses.
import type { TraceNode } from '../doctor/graph';
import type { TryRequest, TryResult } from '../proxy/try-request';

export type { TraceNode, TryRequest, TryResult };

export interface PanelRef {
  context: string;
  namespace: string;
  session: string;
}

/** An action button: whether it can be used now, and why not when it cannot. */
export interface ActionState {
  enabled: boolean;
  /** Shown as the button's tooltip when disabled (and read out with it). */
  reason?: string;
  /** Not offered at all in this state (the session is gone): the panel leaves the button out. */
  hidden?: boolean;
}

export type ActionName =
  'stop' | 'leave' | 'takeOver' | 'copyRouteKey' | 'copyJoinLink' | 'openRoutedUrl' | 'traceRoute';

/** The last Trace Route of the session in this window (src/sessionview/panel-trace.ts). */
export interface TracePanel {
  /** ok: every copy reached with the key; broken: not; failed: the trace itself failed. */
  status: 'running' | 'ok' | 'broken' | 'failed';
  /** "Last trace (2m ago): /api/products entering through web (…)" */
  title: string;
  /** The graph's first node: "entry", or "Ingress NAME". */
  entry: string;
  nodes: TraceNode[];
  /** The graph as one line, "entry → web (key ✓) → …" ("" while running or failed). */
  graph: string;
  /** The one sentence naming the hop that dropped the key (or the error, or what a running trace does). */
  sentence: string;
}

export interface PodRow {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  /** Why a container is not running ("CrashLoopBackOff: back-off 10s restarting ..."). */
  reason?: string;
}

export interface EventRow {
  type: string;
  reason: string;
  message: string;
  count: number;
  /** "2m ago" */
  age: string;
  object: string;
}

export interface ServicePanel {
  service: string;
  owner: string;
  mine: boolean;
  strategy: string;
  /** "starting", "live", "live, copy not Ready" ... as shown. */
  stateText: string;
  severity: 'ok' | 'warning' | 'error';
  devService: string;
  pods: PodRow[];
  /** The copy's pods are not known yet (first read under way or failed). */
  podsNote?: string;
  events: EventRow[];
  /** Hot sync, one line each; empty when no sync runs for it in this window. */
  sync: string[];
  syncSeverity: 'ok' | 'warning' | 'error';
  debug: string;
  /** What the session created or patched for this service: the undo log's summaries, in applied order. */
  changes: string[];
  openLogs: ActionState;
  debugAction: ActionState;
}

export interface PanelState {
  ref: PanelRef;
  /** Whether the session still exists (false: stopped, or not in the namespace the watch follows). */
  exists: boolean;
  /** One line under the title: "Live", "Starting ratings…", "Stopped" ... */
  headline: string;
  problems: { severity: 'warning' | 'error'; text: string }[];
  /** `••••` + the last four characters; empty when the key is not known. */
  maskedKey: string;
  routing: {
    proxyUrl?: string;
    proxyService?: string;
    /** A ready command line; the key in it is masked unless revealed. */
    curl: string;
    header: string;
    baggage: string;
    /** Which Service curl's URL names, and why. */
    curlNote: string;
  };
  participants: { name: string; alive: boolean; me: boolean; services: string[] }[];
  services: ServicePanel[];
  /** What the services section says when no service is taken over; it names only actions the panel offers. */
  servicesNote?: string;
  routingStrategy: string;
  actions: Record<ActionName, ActionState>;
  /** Services the Try-a-request form may target, and the one selected first. */
  tryTargets: string[];
  tryDefault?: string;
  trace?: TracePanel;
  /** ISO time of this snapshot. */
  updatedAt: string;
}

/** Host → view. */
export type HostMessage =
  | { type: 'state'; state: PanelState }
  | { type: 'tryResult'; id: number; result: TryResult }
  /** The unmasked key, sent once because the user asked to reveal it. */
  | { type: 'routeKey'; key: string }
  | { type: 'notice'; severity: 'info' | 'error'; text: string };

export type CopyForm = 'key' | 'curl' | 'header' | 'baggage';

/** View → host. */
export type ViewMessage =
  | { type: 'ready' }
  /** Copies the key itself, or one of the forms that carry it, with the real key (never shown here). */
  | { type: 'copyRouteKey'; form?: CopyForm }
  | { type: 'revealRouteKey' }
  | { type: 'copyJoinLink' }
  | { type: 'stop' }
  | { type: 'leave' }
  | { type: 'takeOver' }
  | { type: 'openLogs'; service: string }
  | { type: 'debug'; service: string }
  | { type: 'openRoutedUrl'; service?: string }
  | { type: 'traceRoute' }
  | { type: 'tryRequest'; id: number; request: TryRequest };

/** What the view keeps with vscode.setState, so a hidden panel comes back as it was. */
export interface ViewPersisted {
  ref?: PanelRef;
  state?: PanelState;
  form?: { method: string; path: string; headers: string; body: string; target: string };
  results?: TryResult[];
}

const viewTypes = new Set([
  'ready',
  'copyRouteKey',
  'revealRouteKey',
  'copyJoinLink',
  'stop',
  'leave',
  'takeOver',
  'openLogs',
  'debug',
  'openRoutedUrl',
  'traceRoute',
  'tryRequest',
]);

/** A message from the webview, checked before the host acts on it (the page is less trusted than the host). */
export function parseViewMessage(m: unknown): ViewMessage | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (typeof o.type !== 'string' || !viewTypes.has(o.type)) return undefined;
  if ((o.type === 'openLogs' || o.type === 'debug') && typeof o.service !== 'string') return undefined;
  if (
    o.type === 'copyRouteKey' &&
    o.form !== undefined &&
    !['key', 'curl', 'header', 'baggage'].includes(o.form as string)
  )
    return undefined;
  if (o.type === 'openRoutedUrl' && o.service !== undefined && typeof o.service !== 'string') return undefined;
  if (o.type === 'tryRequest') {
    const r = o.request as Record<string, unknown> | undefined;
    if (typeof o.id !== 'number' || !r || typeof r !== 'object') return undefined;
    for (const k of ['method', 'path', 'headers', 'body', 'target']) if (typeof r[k] !== 'string') return undefined;
    if (typeof r.routed !== 'boolean') return undefined;
  }
  return o as unknown as ViewMessage;
}
