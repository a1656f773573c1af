// Which container of the developer copy's pod is synced into. The copy is made with its program
// (under the restart supervisor) in the container the Service sends traffic to, and says so in the
// pod template's `devlane.dev/sync` annotation, with the volumes Devlane added for itself. Sync
// follows the annotation; a `container` in .vscode/devlane.json must agree with it, since the
// supervisor that restarts the program is only in that one.
import type { Json } from '../resources';
import type { ServiceSync } from './config';
import { annotations } from '../session/names';

export interface SyncAnnotation {
  container: string;
  remotePath: string;
  action: string;
  /** Volumes Devlane added to the pod for its own use (the supervisor's run directory). */
  ownVolumes?: string[];
}

/** Reconnecting will not help: the pod or the mapping has to change first. */
export class SyncTargetError extends Error {
  override readonly name = 'SyncTargetError';
}

export function syncAnnotationValue(a: SyncAnnotation): string {
  return JSON.stringify(a);
}

/** The annotation's content; undefined when absent (a copy made without sync). */
export function parseSyncAnnotation(value: string | undefined, pod: string): SyncAnnotation | undefined {
  if (value === undefined) return undefined;
  let a: Json;
  try {
    a = JSON.parse(value) as Json;
  } catch {
    a = {};
  }
  const names = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof a?.container !== 'string' || !a.container || (a.ownVolumes !== undefined && !names(a.ownVolumes))) {
    throw new SyncTargetError(
      `Pod ${pod} has a ${annotations.sync} annotation Devlane cannot read (${value.slice(0, 200)}); nothing was synced. Someone edited the developer copy: stop the session and start it again`,
    );
  }
  return a as SyncAnnotation;
}

export interface PodLike {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Json;
}

/**
 * The container to sync into: the annotation's, else `mapping.container`, else `fallback` (the
 * container the Service targets, for a copy made without the annotation), else the only one.
 */
export function syncContainer(
  pod: PodLike,
  annotation: SyncAnnotation | undefined,
  mapping: ServiceSync,
  fallback?: string,
): string {
  const names: string[] = (pod.spec?.containers ?? []).map((c: Json) => String(c.name));
  const name = pod.metadata.name;
  if (annotation && mapping.container && mapping.container !== annotation.container) {
    throw new SyncTargetError(
      `The developer copy ${name} runs the program in container "${annotation.container}", but .vscode/devlane.json now says "container": "${mapping.container}"; nothing was synced. Stop the session and start it again to make a copy for "${mapping.container}", or remove "container" to sync into "${annotation.container}"`,
    );
  }
  const chosen = annotation?.container ?? mapping.container ?? fallback ?? (names.length === 1 ? names[0] : undefined);
  if (!chosen)
    throw new SyncTargetError(
      `Pod ${name} has containers ${names.map((n) => `"${n}"`).join(', ')} and nothing says which one runs the service; nothing was synced. Set "container" for this service in .vscode/devlane.json`,
    );
  if (!names.includes(chosen)) {
    throw new SyncTargetError(
      `Pod ${name} has no container "${chosen}" (it has ${names.map((n) => `"${n}"`).join(', ')}); nothing was synced. Fix "container" in .vscode/devlane.json, or stop the session and start it again`,
    );
  }
  return chosen;
}
