// What the explorer says about an object: the short status a user reads in the tree, computed
// from the object alone, the way `kubectl get` computes its columns.
import type { ContainerState, ContainerStatus, Pod, Service, Workload, WorkloadKind } from './resources';

/** How healthy something looks; the UI maps this to an icon colour. */
export type Health = 'ok' | 'progressing' | 'failed' | 'done' | 'unknown';

export interface PodSummary {
  ready: number;
  total: number;
  restarts: number;
  /** kubectl's STATUS column: Running, Pending, CrashLoopBackOff, Terminating, Completed... */
  status: string;
  health: Health;
}

export function summarizePod(pod: Pod): PodSummary {
  const containers = pod.spec?.containers ?? [];
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const phase = pod.status?.phase ?? 'Unknown';

  let status = pod.status?.reason ?? phase;
  // As kubectl does: a container's waiting or terminated reason says more than the phase.
  const initProblem = (pod.status?.initContainerStatuses ?? []).find((s) => isBad(s.state));
  for (const s of initProblem ? [initProblem] : statuses) {
    const reason = s.state?.waiting?.reason ?? s.state?.terminated?.reason;
    if (reason && !(reason === 'Completed' && phase === 'Running')) status = initProblem ? `Init:${reason}` : reason;
  }
  if (pod.metadata.deletionTimestamp) status = 'Terminating';

  let health: Health;
  if (pod.metadata.deletionTimestamp) health = 'progressing';
  else if (phase === 'Succeeded') health = 'done';
  else if (phase === 'Failed' || initProblem || statuses.some((s) => isBad(s.state))) health = 'failed';
  else if (phase === 'Running' && containers.length > 0 && ready === containers.length) health = 'ok';
  else if (phase === 'Running' || phase === 'Pending') health = 'progressing';
  else health = 'unknown';

  return { ready, total: containers.length, restarts, status, health };
}

const badWaiting = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
]);

function isBad(state: ContainerState | undefined): boolean {
  if (!state) return false;
  if (state.waiting?.reason && badWaiting.has(state.waiting.reason)) return true;
  return state.terminated !== undefined && (state.terminated.exitCode ?? 0) !== 0;
}

/** "2/2 · Running", with restarts only when there were any. */
export function podDescription(s: PodSummary): string {
  const restarts = s.restarts > 0 ? ` · ${s.restarts} restart${s.restarts === 1 ? '' : 's'}` : '';
  return `${s.ready}/${s.total} · ${s.status}${restarts}`;
}

export interface ContainerSummary {
  name: string;
  state: string;
  ready: boolean;
  restarts: number;
  health: Health;
}

export function summarizeContainer(name: string, status: ContainerStatus | undefined): ContainerSummary {
  if (!status) return { name, state: 'not started', ready: false, restarts: 0, health: 'progressing' };
  const st = status.state ?? {};
  let state = 'unknown';
  let health: Health = 'unknown';
  if (st.running) {
    state = 'running';
    health = status.ready ? 'ok' : 'progressing';
  } else if (st.waiting) {
    state = `waiting: ${st.waiting.reason ?? 'unknown reason'}`;
    health = isBad(st) ? 'failed' : 'progressing';
  } else if (st.terminated) {
    const code = st.terminated.exitCode ?? 0;
    state = `terminated: ${st.terminated.reason ?? 'exited'} (exit ${code})`;
    health = code === 0 ? 'done' : 'failed';
  }
  return { name, state, ready: status.ready, restarts: status.restartCount ?? 0, health };
}

export interface WorkloadSummary {
  ready: number;
  desired: number;
  health: Health;
}

export function summarizeWorkload(kind: WorkloadKind, w: Workload): WorkloadSummary {
  const desired = kind === 'DaemonSet' ? (w.status?.desiredNumberScheduled ?? 0) : (w.spec?.replicas ?? 1);
  const ready = kind === 'DaemonSet' ? (w.status?.numberReady ?? 0) : (w.status?.readyReplicas ?? 0);
  const health: Health = desired === 0 ? 'done' : ready >= desired ? 'ok' : 'progressing';
  return { ready, desired, health };
}

/** "80→8080/TCP, 443/TCP" and the type when it is not the usual ClusterIP. */
export function serviceDescription(svc: Service): string {
  const ports = (svc.spec?.ports ?? []).map((p) => {
    const target = p.targetPort !== undefined && String(p.targetPort) !== String(p.port) ? `→${p.targetPort}` : '';
    const proto = p.protocol && p.protocol !== 'TCP' ? `/${p.protocol}` : '';
    return `${p.port}${target}${proto}`;
  });
  const type = svc.spec?.type && svc.spec.type !== 'ClusterIP' ? `${svc.spec.type} ` : '';
  const headless = svc.spec?.clusterIP === 'None' ? 'headless ' : '';
  return `${type}${headless}${ports.join(', ') || 'no ports'}`.trim();
}

/** Ports a user may want to forward to on a pod: declared container ports, deduplicated. */
export function podPorts(pod: Pod): { port: number; label: string }[] {
  const out = new Map<number, string>();
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP' || out.has(p.containerPort)) continue;
      out.set(p.containerPort, `${p.containerPort}${p.name ? ` (${p.name})` : ''} · ${c.name}`);
    }
  }
  return [...out].map(([port, label]) => ({ port, label }));
}
