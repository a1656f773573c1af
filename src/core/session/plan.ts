// A plan: every change a session makes to a cluster, computed before anything is written, so that
// it can be reviewed (production contexts), access-checked, dry-run, applied in order, and undone.
// Each step carries its inverse as plain data; the inverses are kept in the session record (the
// undo log) so that any Devlane instance, or `devlane gc`, can replay them later.
import type { AccessCheck, ApiTypeName } from '../api-types';
import type { KubeObject } from '../resources';
import type { DatabaseSource } from '../data/branch';

export interface ObjRef {
  type: ApiTypeName;
  namespace: string;
  name: string;
}

/**
 * A change to an object that may have been changed by others since it was read: applied as
 * read → transform → update with the resourceVersion read, retried on conflict. Each edit is
 * narrow ("add this session's route"), so that it composes with other sessions' edits.
 */
export type Edit =
  | { kind: 'istio.addRoute'; session: string; routeKey: string; service: string; devService: string }
  | { kind: 'istio.removeRoute'; session: string }
  | { kind: 'gateway.addRoute'; session: string; routeKey: string; service: string; devService: string }
  | { kind: 'gateway.removeRoute'; session: string; routeKey: string }
  /** The addresses are filled in when the step runs (the Services exist by then). */
  | {
      kind: 'router.addRoute';
      session: string;
      routeKey: string;
      service: string;
      devService: string;
      devAddress?: string;
      originAddress?: string;
    }
  | { kind: 'router.removeRoute'; session: string }
  | { kind: 'service.switchSelector'; selector: Record<string, string> }
  /** Only while the Service still selects `routerSelector` (when given). */
  | { kind: 'service.restoreSelector'; routerSelector?: Record<string, string> }
  /** Adds owners (session records) to a shared object, so that it lives as long as any of them. */
  | { kind: 'meta.addOwners'; owners: OwnerReference[] };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** What undoes one step; replayed newest first. */
export type Undo =
  | { kind: 'delete'; ref: ObjRef; summary: string; uid?: string }
  | { kind: 'edit'; ref: ObjRef; edit: Edit; summary: string }
  /** Take the service's router out of the path and remove it, once no session routes through it. */
  | { kind: 'release-router'; namespace: string; service: string; summary: string }
  /** Remove the session's data branch, once no other takeover in the session uses it. */
  | { kind: 'release-branch'; namespace: string; session: string; summary: string };

export type Step =
  | {
      kind: 'create';
      ref: ObjRef;
      object: KubeObject;
      summary: string;
      /** Shared by the sessions on a service (router parts): finding it already there is fine. */
      shared?: boolean;
      undo: Undo[];
    }
  | { kind: 'edit'; ref: ObjRef; edit: Edit; summary: string; createIfAbsent?: KubeObject; undo: Undo[] }
  | { kind: 'wait-ready'; ref: ObjRef; summary: string; undo: Undo[] }
  /** Proves that un-keyed requests through the router reach the original pods; writes nothing. */
  | { kind: 'verify-router'; ref: ObjRef; service: string; summary: string; undo: Undo[] }
  /** Dumps the original database into the data branch (ref: its Deployment), from the branch's pod. */
  | { kind: 'seed-branch'; ref: ObjRef; source: DatabaseSource; summary: string; undo: Undo[] };

export type StrategyName = 'istio' | 'router' | 'gateway-api';

export interface Plan {
  context: string;
  namespace: string;
  session: string;
  service: string;
  strategy: StrategyName;
  /** Why this strategy (shown to the user). */
  strategyReason: string;
  steps: Step[];
  /** Which steps make the route (indexes into steps, `to` excluded): Sessions.start marks when they begin and end. */
  route: { from: number; to: number };
  /** Every permission the steps (and the session's upkeep) need; checked before anything is written. */
  access: AccessCheck[];
  warnings: string[];
  /** What .vscode/devlane.json makes the copy run, shown with the plan: a workspace file decides what runs in the cluster. */
  fromWorkspace?: WorkspaceCopyConfig;
  /** The session's data branch, when the copy uses one. */
  dataBranch?: { name: string; source: string; bytes?: number; shared: boolean };
}

/** The parts of a service's .vscode/devlane.json entry that decide what runs in the copy. */
export interface WorkspaceCopyConfig {
  devImage?: string;
  run?: string[];
  action: string;
  command?: string;
  remotePath: string;
}

/** The plan as text for a confirmation dialog or the CLI. */
export function describePlan(plan: Plan): string {
  const lines = [
    `Session "${plan.session}" on service ${plan.namespace}/${plan.service} (context ${plan.context})`,
    `Routing: ${plan.strategy} (${plan.strategyReason})`,
    ...plan.steps.map((s, i) => `${i + 1}. ${s.summary}`),
    ...workspaceLines(plan.fromWorkspace),
  ];
  for (const w of plan.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n');
}

/** What .vscode/devlane.json makes the copy run, in the words of the file's fields. */
function workspaceLines(w: WorkspaceCopyConfig | undefined): string[] {
  if (!w) return [];
  return [
    'From .vscode/devlane.json, for the copy:',
    `  devImage: ${w.devImage ?? '(none: the original image)'}`,
    `  run: ${w.run?.length ? JSON.stringify(w.run) : "(none: the container's own command)"}`,
    `  after each sync into ${w.remotePath}: ${w.action === 'command' ? `command: sh -c ${JSON.stringify(w.command ?? '')}` : w.action}`,
  ];
}

export function refText(ref: ObjRef): string {
  return `${ref.type} ${ref.namespace}/${ref.name}`;
}
