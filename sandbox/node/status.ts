// Pod status as the kubelet computes it (getPhase, conditions, container statuses, qosClass).

import type { KObject } from '../core/types';
import type { Json } from './json';
import type { ContainerRunner } from './container';

export interface StatusSource {
  ip: string;
  startTime: string;
  initialized: boolean;
  sandboxReady: boolean;
  mountError?: string;
  deleting: boolean;
  unreadyUntil: number;
  init: ContainerRunner[];
  app: ContainerRunner[];
  transitions: Map<string, { status: string; at: string }>;
}

const iso = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function qosClass(pod: KObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const cs = [...((pod.spec?.initContainers ?? []) as KObject[]), ...((pod.spec?.containers ?? []) as KObject[])];
  let any = false;
  let guaranteed = true;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The kubelet's getPhase over app container statuses. */
export function phaseOf(restartPolicy: string, initDone: boolean, initFailed: boolean, statuses: Json[]): string {
  if (initFailed) return 'Failed';
  if (!initDone) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(src: StatusSource, type: string, ok: boolean, reason?: string, message?: string): Json {
  const status = ok ? 'True' : 'False';
  const prev = src.transitions.get(type);
  if (!prev || prev.status !== status) src.transitions.set(type, { status, at: iso() });
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: src.transitions.get(type)!.at,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** The status to write; `final` marks the terminal write before the pod's removal. */
export function podStatus(src: StatusSource, pod: KObject, final: boolean): Json {
  const policy: string = pod.spec?.restartPolicy ?? 'Always';
  const initStatuses = src.init.map((c) => c.status());
  const appStatuses = src.app.map((c) => c.status());
  const initFailed =
    policy === 'Never' && initStatuses.some((s) => s.state.terminated && s.state.terminated.exitCode !== 0);
  let phase = phaseOf(policy, src.initialized, initFailed, appStatuses);
  if (
    final &&
    phase !== 'Succeeded' &&
    phase !== 'Failed' &&
    appStatuses.some((s) => s.state.terminated || s.lastState?.terminated)
  ) {
    // As the kubelet since 1.27: a deleted pod reaches a terminal phase once its containers stopped.
    phase = appStatuses.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const notInit = src.init.filter((c) => !c.ready).map((c) => c.name);
  const unready = src.app.filter((_c, i) => !appStatuses[i].ready).map((c) => c.name);
  const forced = Date.now() < src.unreadyUntil;
  const gates = ((pod.spec?.readinessGates ?? []) as KObject[]).map((g) => g.conditionType as string);
  const existing = (pod.status?.conditions ?? []) as Json[];
  const gatesOk = gates.every((g) => existing.some((c) => c.type === g && c.status === 'True'));
  const containersReady = unready.length === 0 && !terminal && !src.deleting;
  const conds: Json[] = [
    condition(src, 'PodReadyToStartContainers', src.sandboxReady && !(final && terminal)),
    condition(
      src,
      'Initialized',
      notInit.length === 0,
      notInit.length ? 'ContainersNotInitialized' : undefined,
      notInit.length ? `containers with incomplete status: [${notInit.join(' ')}]` : undefined,
    ),
    condition(
      src,
      'Ready',
      containersReady && gatesOk && !forced,
      terminal
        ? 'PodCompleted'
        : !containersReady
          ? 'ContainersNotReady'
          : !gatesOk
            ? 'ReadinessGatesNotReady'
            : forced
              ? 'ContainersNotReady'
              : undefined,
      terminal
        ? undefined
        : !containersReady
          ? `containers with unready status: [${unready.join(' ')}]`
          : !gatesOk
            ? `corresponding condition of pod readiness gate "${gates.join('", "')}" does not exist.`
            : forced
              ? 'readiness forced false by fault injection'
              : undefined,
    ),
    condition(
      src,
      'ContainersReady',
      containersReady,
      terminal ? 'PodCompleted' : !containersReady ? 'ContainersNotReady' : undefined,
      !terminal && !containersReady ? `containers with unready status: [${unready.join(' ')}]` : undefined,
    ),
    condition(src, 'PodScheduled', true),
  ];
  // Conditions other components own (readiness gates, DisruptionTarget) are kept.
  const ours = new Set(conds.map((c) => c.type));
  for (const c of existing) if (!ours.has(c.type)) conds.push(c);
  if (src.mountError) {
    for (const s of appStatuses)
      if (s.state.waiting && !s.lastState?.terminated) s.state = { waiting: { reason: 'ContainerCreating' } };
  }
  return {
    phase,
    conditions: conds,
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: src.ip,
    podIPs: [{ ip: src.ip }],
    startTime: src.startTime,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    qosClass: qosClass(pod),
  };
}
