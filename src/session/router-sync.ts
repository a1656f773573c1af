// Makes a router ConfigMap change live now rather than whenever the kubelet and the in-pod reload
// loop get to it: in each Ready router pod, wait for the mounted file to carry the new generation,
// reload nginx (graceful: old workers finish their connections), then read the generation nginx
// serves on its admin port. Only that answer says the routes are live: an exec stream cut in the
// middle of the reload is an unknown outcome, and a reload nginx refused leaves the old routes.
import { adminGet } from './router-admin';
import type { ExecContext } from './executor';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { KubeObject, Pod } from '../core/resources';
import { labels } from '../core/session/names';
import { routesPath } from '../routing/nginx-config';
import { configFile, loadedMarker, readGeneration, readSpec, type RouterConfigMap, routerPodLabels } from '../routing/router';
import { selectorString } from '../core/selectors';

const fileWaitSeconds = 120;
/** How long a pod may take to serve the new generation after the file arrived (reload loop: 2 s). */
const confirmWaitMs = 30_000;

export async function routerSync(ctx: ExecContext, namespace: string, cm: KubeObject, opts: { confirmWaitMs?: number } = {}): Promise<void> {
  const service = cm.metadata.labels?.[labels.service];
  if (!service) return;
  const generation = readGeneration(cm as RouterConfigMap);
  const { adminPort } = readSpec(cm as RouterConfigMap);
  const pods = await ctx.api.list<Pod>(apiTypes.pod, namespace, { labelSelector: selectorString(routerPodLabels(service)) }, ctx.signal);
  // Pods not Ready get the new file when they (re)start; exec into them would fail anyway.
  const running = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  await Promise.all(running.map((pod) => syncPod(ctx, namespace, pod.metadata.name, generation, adminPort, opts.confirmWaitMs ?? confirmWaitMs)));
  if (running.length) ctx.logger.info(`router ${namespace}/${service}: generation ${generation} live in ${running.length} pod(s)`);
}

function reloadScript(generation: number): string {
  const fileGeneration = `$(sed -n 's/^# generation: \\([0-9]*\\)$/\\1/p' ${configFile})`;
  return [
    `i=0; until [ "${fileGeneration}" -ge ${generation} ] 2>/dev/null; do i=$((i+1)); [ $i -gt ${fileWaitSeconds * 2} ] && { echo "config not updated after ${fileWaitSeconds}s" >&2; exit 3; }; sleep 0.5; done`,
    // Skip the reload when the pod's own loop has already loaded this file (one reload per change).
    `now=$(cksum < ${configFile}); [ "$now" = "$(cat ${loadedMarker} 2>/dev/null)" ] && exit 0`,
    `nginx -q -t -c ${configFile} && echo "$now" > ${loadedMarker} && nginx -c ${configFile} -s reload`,
  ].join('\n');
}

async function syncPod(ctx: ExecContext, namespace: string, pod: string, generation: number, adminPort: number, waitMs: number): Promise<void> {
  let reloadProblem = '';
  try {
    const r = await ctx.api.exec(namespace, pod, 'router', ['sh', '-c', reloadScript(generation)], ctx.signal);
    if (r.exitCode !== 0) reloadProblem = `reload exited with ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (await podGone(ctx, namespace, pod)) return;
    reloadProblem = (err as Error).message;
  }
  const served = await servedGeneration(ctx, namespace, pod, generation, adminPort, waitMs);
  if (served !== undefined && served >= generation) return;
  if (await podGone(ctx, namespace, pod)) return;
  throw new Error(
    `router pod ${pod} did not confirm the new routes (generation ${generation}; it serves ${served ?? 'no answer'})${reloadProblem ? `; ${reloadProblem}` : ''}. ` +
      'Whether they are live is unknown',
  );
}

/** Polls the admin port until it serves `generation` (or later); the last generation seen otherwise. */
async function servedGeneration(ctx: ExecContext, namespace: string, pod: string, generation: number, adminPort: number, waitMs: number): Promise<number | undefined> {
  const deadline = Date.now() + waitMs;
  let last: number | undefined;
  for (;;) {
    const answer = await adminGet(ctx, namespace, pod, adminPort, routesPath).catch((err) => {
      if (ctx.signal.aborted) throw err;
      return undefined;
    });
    const m = answer?.status === 200 ? /generation (\d+) /.exec(answer.body) : null;
    if (m) last = Number(m[1]);
    if ((last !== undefined && last >= generation) || Date.now() > deadline) return last;
    await new Promise<void>((resolve) => setTimeout(resolve, 500));
  }
}

async function podGone(ctx: ExecContext, namespace: string, name: string): Promise<boolean> {
  try {
    const pod = await ctx.api.tryGet<Pod>(apiTypes.pod, namespace, name, ctx.signal);
    return !pod || !!pod.metadata.deletionTimestamp;
  } catch (err) {
    if (err instanceof ClusterError && ctx.signal.aborted) throw err;
    return false;
  }
}
