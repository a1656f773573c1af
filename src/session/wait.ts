// Waits for a Deployment's pods to be Ready, telling the user what the pods go through (image
// pulls, crash loops, scheduling) and failing early when they cannot get there by themselves.
import type { ExecContext } from './exec-context';
import { PodWarnings } from './pod-warnings';
import { apiTypes } from '../core/api-types';
import type { KubeObject, Pod } from '../core/resources';
import { SessionError } from '../core/session/errors';
import { selectorString } from '../core/selectors';
import { sleep } from '../core/backoff';
import { annotations } from '../core/session/names';
import { goImage } from '../core/sync/build';
import { parseSyncAnnotation } from '../core/sync/target';

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
}

interface DeploymentStatus extends KubeObject {
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number; replicas?: number };
  metadata: KubeObject['metadata'] & { generation?: number };
}

/** Reasons that will not clear up by waiting. */
const hopeless = new Set([
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** How a runtime says the program could not be started because `sh` is not in the image (containerd, CRI-O, the sandbox). */
const noShell = /(exec: "?sh"?: executable file not found|\bsh\b[^\n]{0,40}(no such file or directory|not found))/i;

export const noShellHint =
  "Synced copies run their program under Devlane's restart supervisor, a POSIX shell script, and this image has no `sh` (a distroless image?). " +
  'Set "devImage" for this service in .vscode/devlane.json to a variant of the image with sh and tar, or start without sync.';

/** The same for a copy that builds its program (action "build"): the image needs a toolchain too. */
export const noShellBuildHint =
  'This copy builds its program in the container (action "build"), and its image has no `sh`, so no Go toolchain either (a Go binary on a distroless or scratch base?). ' +
  `Set "devImage" for this service in .vscode/devlane.json to a Go toolchain image (e.g. "${goImage()}", or the newer release go.mod's go line asks for), or start without sync.`;

const builds = (pod: Pod) => {
  try {
    return parseSyncAnnotation(pod.metadata.annotations?.[annotations.sync], pod.metadata.name)?.action === 'build';
  } catch {
    return false;
  }
};

function podProblem(pod: Pod): { reason: string; message: string; fatal: boolean; hint?: string } | undefined {
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const last = (cs as { lastState?: { terminated?: { reason?: string; message?: string } } }).lastState?.terminated;
    const now = cs.state?.terminated as { reason?: string; message?: string } | undefined;
    const startError = [now, last].find((t) => t?.message && noShell.test(t.message));
    if (startError)
      return {
        reason: startError.reason ?? 'StartError',
        message: `${cs.name}: ${startError.reason ?? 'StartError'} (${startError.message})`,
        fatal: true,
        hint: builds(pod) ? noShellBuildHint : noShellHint,
      };
    const w = cs.state?.waiting;
    if (!w?.reason || w.reason === 'ContainerCreating' || w.reason === 'PodInitializing') continue;
    const fatal =
      hopeless.has(w.reason) ||
      (w.reason === 'CrashLoopBackOff' && cs.restartCount >= 3) ||
      w.reason === 'ImagePullBackOff';
    return { reason: w.reason, message: `${cs.name}: ${w.reason}${w.message ? ` (${w.message})` : ''}`, fatal };
  }
  const unschedulable = (
    pod.status?.conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined
  )?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable)
    return {
      reason: 'Unschedulable',
      message: `cannot be scheduled: ${unschedulable.message ?? unschedulable.reason ?? ''}`,
      fatal: false,
    };
  return undefined;
}

export async function waitDeploymentReady(
  ctx: ExecContext,
  namespace: string,
  name: string,
  opts: WaitOptions = {},
): Promise<void> {
  const warnings = new PodWarnings(ctx, namespace);
  try {
    await waitReady(ctx, namespace, name, warnings, opts);
  } finally {
    warnings.dispose();
  }
}

async function waitReady(
  ctx: ExecContext,
  namespace: string,
  name: string,
  warnings: PodWarnings,
  opts: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  let lastProblem = '';
  for (;;) {
    ctx.signal.throwIfAborted();
    const dep = await ctx.api.get<DeploymentStatus>(apiTypes.deployment, namespace, name, ctx.signal);
    const want = dep.spec?.replicas ?? 1;
    const st = dep.status ?? {};
    if (
      (st.observedGeneration ?? 0) >= (dep.metadata.generation ?? 0) &&
      (st.readyReplicas ?? 0) >= want &&
      (st.updatedReplicas ?? 0) >= want
    )
      return;

    const selector = selectorString(dep.spec?.selector?.matchLabels ?? {});
    const pods = selector
      ? await ctx.api.list<Pod>(apiTypes.pod, namespace, { labelSelector: selector }, ctx.signal)
      : [];
    warnings.follow(pods.map((p) => p.metadata.name));
    warnings.reportNew();
    for (const pod of pods) {
      const problem = podProblem(pod);
      if (!problem) continue;
      const text = `${pod.metadata.name} ${problem.message}`;
      if (text !== lastProblem) ctx.report(text);
      lastProblem = text;
      if (problem.fatal) {
        throw new SessionError(
          'failed',
          `Deployment ${namespace}/${name} cannot become Ready: ${text}`,
          problem.hint ??
            (problem.reason.includes('Image')
              ? 'Check the image name and that the cluster can pull it.'
              : 'Check the container logs (Stream Logs) for why it stops.'),
        );
      }
    }
    if (Date.now() > deadline) {
      throw new SessionError(
        'failed',
        `Deployment ${namespace}/${name} was not Ready after ${Math.round((opts.timeoutMs ?? 180_000) / 1000)} s${lastProblem ? ` (last seen: ${lastProblem})` : ''}`,
        'Check its pods and events.',
      );
    }
    await sleep(opts.pollMs ?? 500, ctx.signal);
  }
}
