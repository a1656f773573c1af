// Makes a router ConfigMap change live now rather than whenever the kubelet and the in-pod reload
// loop get to it: in each Ready router pod, wait for the mounted file to carry the new routes'
// fingerprint, then reload nginx (graceful: old workers finish their connections).
import type { ExecContext } from './executor';
import { apiTypes } from '../core/api-types';
import type { KubeObject, Pod } from '../core/resources';
import { labels } from '../core/session/names';
import { configFile, expectedFingerprint, loadedMarker, type RouterConfigMap } from '../routing/router';

const fileWaitSeconds = 120;

export async function routerSync(ctx: ExecContext, namespace: string, cm: KubeObject): Promise<void> {
  const service = cm.metadata.labels?.[labels.service];
  if (!service) return;
  const fingerprint = expectedFingerprint(cm as RouterConfigMap);
  const pods = await ctx.api.list<Pod>(apiTypes.pod, namespace, { labelSelector: `${labels.role}=router,${labels.service}=${service}` }, ctx.signal);
  // Pods not Ready get the new file when they (re)start; exec into them would fail anyway.
  const running = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const script = [
    `i=0; until grep -q "# routes: ${fingerprint}" ${configFile}; do i=$((i+1)); [ $i -gt ${fileWaitSeconds * 2} ] && { echo "config not updated after ${fileWaitSeconds}s" >&2; exit 3; }; sleep 0.5; done`,
    // Skip the reload when the pod's own loop has already loaded this file (one reload per change).
    `now=$(cksum < ${configFile}); [ "$now" = "$(cat ${loadedMarker} 2>/dev/null)" ] && exit 0`,
    `nginx -q -t -c ${configFile} && echo "$now" > ${loadedMarker} && nginx -c ${configFile} -s reload`,
  ].join('\n');
  await Promise.all(
    running.map(async (pod) => {
      const r = await ctx.api.exec(namespace, pod.metadata.name, 'router', ['sh', '-c', script], ctx.signal);
      if (r.exitCode !== 0) throw new Error(`reloading router pod ${pod.metadata.name} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
    }),
  );
  if (running.length) ctx.logger.info(`router ${namespace}/${service}: routes ${fingerprint} live in ${running.length} pod(s)`);
}
