// Makes a router ConfigMap change live now rather than whenever the kubelet gets to the mounted
// file (up to a minute or more on a real cluster): the new config goes to each Ready router pod
// over exec, on stdin, and the pod installs it if it is newer than what it serves (tested by nginx,
// then a graceful reload: old workers finish their connections). Then the generation nginx serves
// on its admin port is read: only that answer says the routes are live. An exec stream cut in the
// middle is an unknown outcome, and a config nginx refused leaves the old routes. When the push
// cannot reach a pod, the pod's own loop installs the mounted file once the kubelet updates it.
import { adminGet, readyRouterPods } from './router-admin';
import type { ExecContext } from './exec-context';
import type { ExecStreamEnd } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { KubeObject, Pod } from '../core/resources';
import { labels } from '../core/session/route-contract';
import { routesPath } from '../routing/nginx-config';
import {
  configKey,
  readGeneration,
  readSpec,
  type RouterConfigMap,
  routerRunDir,
  routerShellLib,
} from '../routing/router';
import { sleep } from '../core/backoff';

/** How long a pod may take to serve the new generation once the push installed it. */
const confirmWaitMs = 30_000;
/** Without a push, the kubelet's update of the mounted file decides (its sync period is a minute by default). */
const kubeletWaitMs = 150_000;

export async function routerSync(
  ctx: ExecContext,
  namespace: string,
  cm: KubeObject,
  opts: { confirmWaitMs?: number } = {},
): Promise<void> {
  const service = cm.metadata.labels?.[labels.service];
  if (!service) return;
  const generation = readGeneration(cm as RouterConfigMap);
  const { adminPort } = readSpec(cm as RouterConfigMap);
  const config = (cm as RouterConfigMap).data?.[configKey] ?? '';
  // Pods not Ready get the new file when they (re)start; exec into them would fail anyway.
  const running = await readyRouterPods(ctx, namespace, service);
  await Promise.all(
    running.map((pod) =>
      syncPod(ctx, namespace, pod.metadata.name, { generation, config, adminPort }, opts.confirmWaitMs),
    ),
  );
  if (running.length)
    ctx.logger.info(`router ${namespace}/${service}: generation ${generation} live in ${running.length} pod(s)`);
}

/** Reads the config on stdin into a file of its own, then installs it (the router's shell functions). */
const pushScript = [
  routerShellLib,
  `mkdir -p ${routerRunDir}`,
  `f=${routerRunDir}/push.$$`,
  'cat > "$f"',
  'install_config "$f"',
].join('\n');

type Pushed = { outcome: 'installed' } | { outcome: 'refused' | 'unreached'; message: string };

/** Sends the config into the pod: installed (or the pod had a newer one), refused by nginx, or not known to have arrived. */
async function push(ctx: ExecContext, namespace: string, pod: string, config: string): Promise<Pushed> {
  let stderr = '';
  try {
    const stream = await ctx.api.openExec(
      { namespace, pod, container: 'router', command: ['sh', '-c', pushScript] },
      ctx.signal,
    );
    const ended = new Promise<ExecStreamEnd>((resolve) => stream.onClose(resolve));
    stream.onStderr((d) => (stderr += d.toString()));
    await stream.write(config);
    stream.endInput();
    const end = await ended;
    if (end.error) return { outcome: 'unreached', message: end.error.message };
    if (end.exitCode === 4) return { outcome: 'refused', message: `nginx refused the new config: ${stderr.trim()}` };
    if (end.exitCode !== 0)
      return {
        outcome: 'unreached',
        message: `the push exited with ${end.exitCode}${stderr.trim() ? `: ${stderr.trim()}` : ''}`,
      };
    return { outcome: 'installed' };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { outcome: 'unreached', message: (err as Error).message };
  }
}

async function syncPod(
  ctx: ExecContext,
  namespace: string,
  pod: string,
  change: { generation: number; config: string; adminPort: number },
  waitMs?: number,
): Promise<void> {
  const pushed = await push(ctx, namespace, pod, change.config);
  if (pushed.outcome !== 'installed' && (await podGone(ctx, namespace, pod))) return;
  // The old routes stay; the mounted file, once it arrives, would be refused too.
  if (pushed.outcome === 'refused')
    throw new Error(
      `router pod ${pod} kept its old routes (generation ${change.generation} not installed): ${pushed.message}`,
    );
  const problem = pushed.outcome === 'unreached' ? pushed.message : undefined;
  const served = await servedGeneration(
    ctx,
    namespace,
    pod,
    change.generation,
    change.adminPort,
    waitMs ?? (problem === undefined ? confirmWaitMs : kubeletWaitMs),
  );
  if (served !== undefined && served >= change.generation) return;
  if (await podGone(ctx, namespace, pod)) return;
  throw new Error(
    `router pod ${pod} did not confirm the new routes (generation ${change.generation}; it serves ${served ?? 'no answer'})${problem ? `; ${problem}` : ''}. ` +
      'Whether they are live is unknown',
  );
}

/** Polls the admin port until it serves `generation` (or later); the last generation seen otherwise. */
async function servedGeneration(
  ctx: ExecContext,
  namespace: string,
  pod: string,
  generation: number,
  adminPort: number,
  waitMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + waitMs;
  let last: number | undefined;
  // A graceful reload serves the new generation within a few hundred milliseconds: ask soon, then less often.
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    const answer = await adminGet(ctx, namespace, pod, adminPort, routesPath).catch((err) => {
      if (ctx.signal.aborted) throw err;
      return undefined;
    });
    const m = answer?.status === 200 ? /generation (\d+) /.exec(answer.body) : null;
    if (m) last = Number(m[1]);
    if ((last !== undefined && last >= generation) || Date.now() > deadline) return last;
    await sleep(pause, ctx.signal);
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
