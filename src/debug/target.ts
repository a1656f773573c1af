// The developer copy to debug: its pod, found by the session's labels, and what the pod template's
// `devlane.dev/debug` annotation says about the debugger in it (runtime, port, container).
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { debugAnnotation, type DebugSpec, parseDebugAnnotation } from '../core/debug/runtime';
import type { Pod } from '../core/resources';
import { selectors } from '../core/session/route-contract';
import { DebugError } from './errors';

export interface CopyRef {
  namespace: string;
  session: string;
  service: string;
}

export interface DebugTarget extends CopyRef {
  pod: string;
  spec: DebugSpec;
  /** The debug container's workingDir, when the pod spec sets one (the path-mapping fallback). */
  workingDir?: string;
  image?: string;
}

type PodWithDetails = Omit<Pod, 'spec'> & {
  spec?: { containers: { name: string; image?: string; workingDir?: string }[] };
};

export const devPodSelector = (c: Pick<CopyRef, 'session' | 'service'>): string =>
  selectors.devPods(c.session, c.service);

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The copy's running pod: Ready ones first, then the newest (a rollout may briefly show two). */
export async function findDevPod(api: ObjectApi, copy: CopyRef, signal: AbortSignal): Promise<PodWithDetails> {
  const selector = devPodSelector(copy);
  const pods = (
    await api.list<PodWithDetails>(apiTypes.pod, copy.namespace, { labelSelector: selector }, signal)
  ).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
  pods.sort(
    (a, b) =>
      Number(isReady(b)) - Number(isReady(a)) ||
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
  if (!pods[0]) {
    throw new DebugError(
      'no-copy',
      `No running developer copy of ${copy.service} in session ${copy.session} (no Running pod labelled ${selector} in namespace ${copy.namespace})`,
      `Take over ${copy.service} in the session first (Sessions view: Take Over Service), or wait until its copy is Ready, then start debugging again.`,
    );
  }
  return pods[0];
}

/** What the pod's annotation says; a DebugError when the copy was started without a debugger. */
export function debugTargetOf(pod: PodWithDetails, copy: CopyRef): DebugTarget {
  const raw = pod.metadata.annotations?.[debugAnnotation];
  const spec = parseDebugAnnotation(raw);
  if (!spec) {
    throw new DebugError(
      'no-debug-port',
      raw
        ? `The developer copy ${pod.metadata.name} has a ${debugAnnotation} annotation Devlane does not understand (${JSON.stringify(raw)})`
        : `The developer copy ${pod.metadata.name} of ${copy.service} was not started with a debug port (its pod has no ${debugAnnotation} annotation): Devlane could not tell its runtime, or the copy was made by an older Devlane`,
      'Devlane debugs Node.js, Python and Go copies. Set "run" (a command starting with node or python) or "debug": { "runtime": "go" } (a Go binary, on a "devImage" with dlv) in .vscode/devlane.json for this service, then take it over again (Leave, then Take Over Service). Nothing was changed.',
    );
  }
  const container = pod.spec?.containers.find((c) => c.name === spec.container);
  return { ...copy, pod: pod.metadata.name, spec, workingDir: container?.workingDir, image: container?.image };
}

export async function findDebugTarget(api: ObjectApi, copy: CopyRef, signal: AbortSignal): Promise<DebugTarget> {
  return debugTargetOf(await findDevPod(api, copy, signal), copy);
}
