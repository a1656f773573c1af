// The explorer's nodes: view-agnostic descriptions of tree rows (label, description, codicon
// name, theme colour id) that src/ui/ turns into TreeItems one for one. Node ids are paths of
// URI-encoded segments, so a context named "arn:aws:eks:.../cluster/x" cannot collide with another.
import type { PortForwardHandle } from '../cluster/api';
import type { ClusterError } from '../core/errors';
import type { TreeItemContext } from '../core/contributions';
import type { Health } from '../core/status';
import type { ObjectRef, WorkloadKind } from '../core/resources';

export type NodeKind =
  | 'context'
  | 'namespace'
  | 'service'
  | 'workload'
  | 'pod'
  | 'container'
  | 'error'
  | 'message'
  | 'portForwards'
  | 'portForward';

export interface Icon {
  /** A codicon name, e.g. `pass-filled`, `loading~spin`. */
  id: string;
  /** A theme colour id, e.g. `testing.iconPassed`. */
  color?: string;
}

export interface ExplorerNode {
  readonly id: string;
  readonly kind: NodeKind;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  icon: Icon;
  expandable: 'none' | 'collapsed' | 'expanded';
  contextValue: TreeItemContext;
  /** The object this row stands for: what commands act on. */
  ref?: ObjectRef;
  workloadKind?: WorkloadKind;
  container?: string;
  /** Error rows: the error, and how to try again. */
  error?: ClusterError;
  retry?: () => void;
  forward?: PortForwardHandle;
}

export function childId(parent: string | undefined, segment: string): string {
  const s = encodeURIComponent(segment);
  return parent ? `${parent}/${s}` : s;
}

export function isDescendant(id: string, ancestor: string): boolean {
  return id.startsWith(`${ancestor}/`);
}

/** Whether any proper ancestor of `id` is in `ids`. */
export function hasAncestorIn(id: string, ids: ReadonlySet<string>): boolean {
  for (let i = id.lastIndexOf('/'); i > 0; i = id.lastIndexOf('/', i - 1)) {
    if (ids.has(id.slice(0, i))) return true;
  }
  return false;
}

export function healthIcon(health: Health): Icon {
  switch (health) {
    case 'ok':
      return { id: 'pass-filled', color: 'testing.iconPassed' };
    case 'progressing':
      return { id: 'loading~spin' };
    case 'failed':
      return { id: 'error', color: 'testing.iconFailed' };
    case 'done':
      return { id: 'pass', color: 'disabledForeground' };
    default:
      return { id: 'question' };
  }
}

export const kindIcons: Record<WorkloadKind, string> = {
  Deployment: 'layers',
  StatefulSet: 'database',
  DaemonSet: 'server',
};

/** Markdown-safe text for tooltips. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
