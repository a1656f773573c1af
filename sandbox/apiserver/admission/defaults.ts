// Defaulting as the real server's SetDefaults_* functions and default admission plugins do it,
// for the fields kubectl users see in `get -o yaml`: pods (and pod templates), deployments,
// replicasets, services, namespaces, secrets.

import type { KObject } from '../../core/types';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const setIfAbsent = (o: Obj, k: string, v: unknown) => {
  if (o[k] === undefined) o[k] = v;
};

function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0];
  const last = noDigest.split('/').pop() ?? '';
  const i = last.indexOf(':');
  return image.includes('@') ? 'digest' : i >= 0 ? last.slice(i + 1) : undefined;
}

function defaultProbe(p: Obj | undefined): void {
  if (!p) return;
  setIfAbsent(p, 'timeoutSeconds', 1);
  setIfAbsent(p, 'periodSeconds', 10);
  setIfAbsent(p, 'successThreshold', 1);
  setIfAbsent(p, 'failureThreshold', 3);
  if (p.httpGet) setIfAbsent(p.httpGet, 'scheme', 'HTTP');
  if (p.httpGet) setIfAbsent(p.httpGet, 'path', '/');
}

function defaultContainer(c: Obj): void {
  setIfAbsent(c, 'terminationMessagePath', '/dev/termination-log');
  setIfAbsent(c, 'terminationMessagePolicy', 'File');
  if (c.image && c.imagePullPolicy === undefined) {
    const tag = imageTag(String(c.image));
    c.imagePullPolicy = tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  setIfAbsent(c, 'resources', {});
  for (const p of c.ports ?? []) setIfAbsent(p, 'protocol', 'TCP');
  for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) setIfAbsent(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

export function defaultPodSpec(spec: Obj): void {
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'schedulerName', 'default-scheduler');
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    for (const k of ['configMap', 'secret', 'downwardAPI', 'projected'])
      if (v[k]) setIfAbsent(v[k], 'defaultMode', 420);
    if (v.secret) setIfAbsent(v.secret, 'defaultMode', 420);
    if (v.downwardAPI)
      for (const i of v.downwardAPI.items ?? []) if (i.fieldRef) setIfAbsent(i.fieldRef, 'apiVersion', 'v1');
  }
}

/** A pod on create: the defaults, then what the admission plugins add (service account, tolerations) and an instant scheduler. */
export function defaultPodOnCreate(pod: KObject, nodeName: string): void {
  const spec = (pod.spec ??= {});
  defaultPodSpec(spec);
  setIfAbsent(spec, 'enableServiceLinks', true);
  setIfAbsent(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  setIfAbsent(spec, 'priority', 0);
  if (spec.serviceAccountName === undefined) spec.serviceAccountName = spec.serviceAccount ?? 'default';
  spec.serviceAccount = spec.serviceAccountName;
  // DefaultTolerationSeconds admission.
  const tol: Obj[] = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tol.some((t) => t.key === key))
      tol.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  const scheduledNow = !spec.nodeName;
  if (!spec.nodeName) spec.nodeName = nodeName;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const qos = qosClass(spec);
  pod.status = { phase: 'Pending', qosClass: qos };
  if (scheduledNow || spec.nodeName)
    pod.status.conditions = [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now }];
}

function qosClass(spec: Obj): string {
  const cs: Obj[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultTemplate(o: KObject): void {
  const spec = o.spec?.template?.spec;
  if (spec) defaultPodSpec(spec);
}

export function defaultObject(key: string, o: KObject, op: 'create' | 'update'): void {
  switch (key) {
    case 'deployments.apps': {
      const s = (o.spec ??= {});
      setIfAbsent(s, 'replicas', 1);
      setIfAbsent(s, 'revisionHistoryLimit', 10);
      setIfAbsent(s, 'progressDeadlineSeconds', 600);
      const st = (s.strategy ??= {});
      setIfAbsent(st, 'type', 'RollingUpdate');
      if (st.type === 'RollingUpdate') {
        const ru = (st.rollingUpdate ??= {});
        setIfAbsent(ru, 'maxUnavailable', '25%');
        setIfAbsent(ru, 'maxSurge', '25%');
      }
      defaultTemplate(o);
      break;
    }
    case 'replicasets.apps':
      setIfAbsent((o.spec ??= {}), 'replicas', 1);
      defaultTemplate(o);
      break;
    case 'services': {
      const s = (o.spec ??= {});
      setIfAbsent(s, 'type', 'ClusterIP');
      if (s.type !== 'ExternalName') {
        setIfAbsent(s, 'sessionAffinity', 'None');
        setIfAbsent(s, 'internalTrafficPolicy', 'Cluster');
      }
      // A Service's status always has its loadBalancer, empty for any type but LoadBalancer.
      if (op === 'create') o.status = { loadBalancer: {}, ...(o.status ?? {}) };
      for (const p of s.ports ?? []) {
        setIfAbsent(p, 'protocol', 'TCP');
        if (p.targetPort === undefined && s.type !== 'ExternalName') p.targetPort = p.port;
      }
      break;
    }
    case 'namespaces': {
      if (op === 'create') {
        o.spec = { ...(o.spec ?? {}), finalizers: o.spec?.finalizers ?? ['kubernetes'] };
        o.status = { phase: 'Active' };
      }
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name! };
      break;
    }
    case 'secrets': {
      setIfAbsent(o, 'type', 'Opaque');
      if (o.stringData && typeof o.stringData === 'object') {
        o.data = { ...(o.data ?? {}) };
        for (const [k, v] of Object.entries(o.stringData))
          o.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        delete o.stringData;
      }
      break;
    }
    case 'pods':
      if (o.spec) defaultPodSpec(o.spec);
      break;
    case 'persistentvolumeclaims':
      // SetDefaults_PersistentVolumeClaim: a claim starts Pending; the sandbox never binds it (no volumes, no provisioner).
      setIfAbsent((o.spec ??= {}), 'volumeMode', 'Filesystem');
      setIfAbsent((o.status ??= {}), 'phase', 'Pending');
      break;
  }
}
