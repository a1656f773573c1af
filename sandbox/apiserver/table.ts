// meta.k8s.io/v1 Table answers (what `kubectl get` asks for with `Accept: ...;as=Table`), with the
// columns the real server's printers (pkg/printers/internalversion) show for the common kinds.

import type { KObject, ResourceInfo } from '../core/types';
import { apiVersionOf } from './registry';

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
}

type Cell = string | number;
type Printer = { columns: Column[]; cells: (o: KObject) => Cell[] };

export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const params = part.split(';').map((s) => s.trim());
    return params.includes('as=Table') && params.includes('g=meta.k8s.io');
  });
}

const col = (name: string, type = 'string', priority = 0, format?: string): Column => ({
  name,
  type,
  ...(format ? { format } : {}),
  description: name,
  priority,
});
const NAME = {
  ...col('Name', 'string', 0, 'name'),
  description:
    'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
};
const AGE = {
  ...col('Age'),
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

/** apimachinery's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  if (d < 365 * 8) return `${Math.floor(d / 365)}y${d % 365}d`;
  return `${Math.floor(d / 365)}y`;
}

export function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  return humanDuration(Date.now() - Date.parse(ts));
}

function podStatus(p: KObject): { ready: string; status: string; restarts: string } {
  const specContainers: unknown[] = p.spec?.containers ?? [];
  const st = p.status ?? {};
  let reason: string = st.reason || st.phase || 'Pending';
  let restarts = 0;
  let lastRestart = 0;
  let readyCount = 0;
  let initializing = false;
  const inits: KObject[] = st.initContainerStatuses ?? [];
  const initCount = (p.spec?.initContainers ?? []).length;
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i];
    restarts += c.restartCount ?? 0;
    const term = c.state?.terminated;
    if (term && term.exitCode === 0) continue;
    if (term)
      reason = term.reason
        ? `Init:${term.reason}`
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initCount}`;
    initializing = true;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    const cs: KObject[] = st.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i];
      restarts += c.restartCount ?? 0;
      const fin = c.lastState?.terminated?.finishedAt;
      if (fin) lastRestart = Math.max(lastRestart, Date.parse(fin));
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated)
        reason = c.state.terminated.signal
          ? `Signal:${c.state.terminated.signal}`
          : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (p.metadata.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const r = lastRestart ? `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)` : String(restarts);
  return { ready: `${readyCount}/${specContainers.length}`, status: reason, restarts: r };
}

const containersOf = (o: KObject): KObject[] => o.spec?.template?.spec?.containers ?? [];
const selectorString = (sel: KObject | undefined): string => {
  if (!sel) return '<none>';
  const parts = Object.entries(sel.matchLabels ?? sel)
    .filter(([k]) => k !== 'matchExpressions')
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
};

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      NAME,
      col('Ready'),
      col('Status'),
      col('Restarts', 'string'),
      AGE,
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    cells: (p) => {
      const s = podStatus(p);
      return [
        p.metadata.name!,
        s.ready,
        s.status,
        s.restarts,
        age(p.metadata.creationTimestamp),
        p.status?.podIP || '<none>',
        p.spec?.nodeName || '<none>',
        p.status?.nominatedNodeName || '<none>',
        '<none>',
      ];
    },
  },
  'deployments.apps': {
    columns: [
      NAME,
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells: (d) => [
      d.metadata.name!,
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d.metadata.creationTimestamp),
      containersOf(d)
        .map((c) => c.name)
        .join(','),
      containersOf(d)
        .map((c) => c.image)
        .join(','),
      selectorString(d.spec?.selector),
    ],
  },
  'replicasets.apps': {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells: (d) => [
      d.metadata.name!,
      d.spec?.replicas ?? 1,
      d.status?.replicas ?? 0,
      d.status?.readyReplicas ?? 0,
      age(d.metadata.creationTimestamp),
      containersOf(d)
        .map((c) => c.name)
        .join(','),
      containersOf(d)
        .map((c) => c.image)
        .join(','),
      selectorString(d.spec?.selector),
    ],
  },
  services: {
    columns: [
      NAME,
      col('Type'),
      col('Cluster-IP'),
      col('External-IP'),
      col('Port(s)'),
      AGE,
      col('Selector', 'string', 1),
    ],
    cells: (s) => {
      const ports = (s.spec?.ports ?? [])
        .map((p: KObject) =>
          p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`,
        )
        .join(',');
      const ext =
        s.spec?.type === 'ExternalName' ? s.spec.externalName : (s.spec?.externalIPs ?? []).join(',') || '<none>';
      return [
        s.metadata.name!,
        s.spec?.type ?? 'ClusterIP',
        s.spec?.clusterIP || '<none>',
        ext,
        ports || '<none>',
        age(s.metadata.creationTimestamp),
        s.spec?.selector ? selectorString(s.spec.selector) : '<none>',
      ];
    },
  },
  endpoints: {
    columns: [NAME, col('Endpoints'), AGE],
    cells: (e) => {
      const list: string[] = [];
      for (const s of e.subsets ?? [])
        for (const a of s.addresses ?? [])
          for (const p of s.ports ?? [{ port: '' }]) list.push(p.port !== '' ? `${a.ip}:${p.port}` : a.ip);
      const shown = list.length > 3 ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...` : list.join(',');
      return [e.metadata.name!, shown || '<none>', age(e.metadata.creationTimestamp)];
    },
  },
  namespaces: {
    columns: [NAME, col('Status'), AGE],
    cells: (n) => [n.metadata.name!, n.status?.phase ?? 'Active', age(n.metadata.creationTimestamp)],
  },
  nodes: {
    columns: [
      NAME,
      col('Status'),
      col('Roles'),
      AGE,
      col('Version'),
      col('Internal-IP', 'string', 1),
      col('External-IP', 'string', 1),
      col('OS-Image', 'string', 1),
      col('Kernel-Version', 'string', 1),
      col('Container-Runtime', 'string', 1),
    ],
    cells: (n) => {
      const ready = (n.status?.conditions ?? []).find((c: KObject) => c.type === 'Ready');
      const addr = (t: string) => (n.status?.addresses ?? []).find((a: KObject) => a.type === t)?.address ?? '<none>';
      const roles =
        Object.keys(n.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice(24))
          .join(',') || '<none>';
      const info = n.status?.nodeInfo ?? {};
      return [
        n.metadata.name!,
        ready?.status === 'True' ? 'Ready' : 'NotReady',
        roles,
        age(n.metadata.creationTimestamp),
        info.kubeletVersion ?? '',
        addr('InternalIP'),
        addr('ExternalIP'),
        info.osImage ?? '',
        info.kernelVersion ?? '',
        info.containerRuntimeVersion ?? '',
      ];
    },
  },
  persistentvolumeclaims: {
    columns: [
      NAME,
      col('Status'),
      col('Volume'),
      col('Capacity'),
      col('Access Modes'),
      col('StorageClass'),
      col('VolumeAttributesClass'),
      AGE,
      col('VolumeMode', 'string', 1),
    ],
    cells: (c) => [
      c.metadata.name!,
      c.status?.phase ?? 'Pending',
      c.spec?.volumeName ?? '',
      c.status?.capacity?.storage ?? '',
      accessModes(c.status?.accessModes ?? []),
      c.spec?.storageClassName ?? '',
      c.spec?.volumeAttributesClassName ?? '<unset>',
      age(c.metadata.creationTimestamp),
      c.spec?.volumeMode ?? 'Filesystem',
    ],
  },
  configmaps: {
    columns: [NAME, col('Data', 'integer'), AGE],
    cells: (c) => [
      c.metadata.name!,
      Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length,
      age(c.metadata.creationTimestamp),
    ],
  },
  secrets: {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    cells: (s) => [
      s.metadata.name!,
      s.type ?? 'Opaque',
      Object.keys(s.data ?? {}).length,
      age(s.metadata.creationTimestamp),
    ],
  },
  serviceaccounts: {
    columns: [NAME, col('Secrets', 'integer'), AGE],
    cells: (s) => [s.metadata.name!, (s.secrets ?? []).length, age(s.metadata.creationTimestamp)],
  },
  events: {
    columns: [
      col('Last Seen'),
      col('Type'),
      col('Reason'),
      col('Object'),
      col('Subobject', 'string', 1),
      col('Source', 'string', 1),
      col('Message'),
      col('First Seen', 'string', 1),
      col('Count', 'string', 1),
      col('Name', 'string', 1),
    ],
    cells: (e) => {
      const io = e.involvedObject ?? {};
      const last = e.lastTimestamp || e.eventTime || e.metadata.creationTimestamp;
      return [
        age(last),
        e.type ?? '',
        e.reason ?? '',
        `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
        io.fieldPath ?? '',
        e.source?.component ?? e.reportingComponent ?? '',
        e.message ?? '',
        age(e.firstTimestamp || e.metadata.creationTimestamp),
        String(e.count ?? 1),
        e.metadata.name!,
      ];
    },
  },
  'leases.coordination.k8s.io': {
    columns: [NAME, col('Holder'), AGE],
    cells: (l) => [l.metadata.name!, l.spec?.holderIdentity ?? '', age(l.metadata.creationTimestamp)],
  },
  'rolebindings.rbac.authorization.k8s.io': {
    columns: [
      NAME,
      col('Role'),
      AGE,
      col('Users', 'string', 1),
      col('Groups', 'string', 1),
      col('ServiceAccounts', 'string', 1),
    ],
    cells: bindingCells,
  },
  'clusterrolebindings.rbac.authorization.k8s.io': {
    columns: [
      NAME,
      col('Role'),
      AGE,
      col('Users', 'string', 1),
      col('Groups', 'string', 1),
      col('ServiceAccounts', 'string', 1),
    ],
    cells: bindingCells,
  },
  'roles.rbac.authorization.k8s.io': {
    columns: [NAME, { ...col('Created At', 'date'), description: 'CreationTimestamp' }],
    cells: (r) => [r.metadata.name!, r.metadata.creationTimestamp ?? ''],
  },
  'clusterroles.rbac.authorization.k8s.io': {
    columns: [NAME, { ...col('Created At', 'date'), description: 'CreationTimestamp' }],
    cells: (r) => [r.metadata.name!, r.metadata.creationTimestamp ?? ''],
  },
};

function accessModes(modes: string[]): string {
  const short: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  };
  return [...new Set(modes)].map((m) => short[m] ?? m).join(',');
}

function bindingCells(b: KObject): Cell[] {
  const subj = (k: string) =>
    (b.subjects ?? [])
      .filter((s: KObject) => s.kind === k)
      .map((s: KObject) => (k === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
      .join(', ');
  return [
    b.metadata.name!,
    `${b.roleRef?.kind}/${b.roleRef?.name}`,
    age(b.metadata.creationTimestamp),
    subj('User'),
    subj('Group'),
    subj('ServiceAccount'),
  ];
}

const DEFAULT: Printer = { columns: [NAME, AGE], cells: (o) => [o.metadata.name!, age(o.metadata.creationTimestamp)] };

export function tableFor(
  info: ResourceInfo,
  items: KObject[],
  query: URLSearchParams,
  metadata: Record<string, unknown>,
  opts: { noHeaders?: boolean } = {},
): KObject {
  const p = PRINTERS[info.key] ?? DEFAULT;
  const include = query.get('includeObject') ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    ...(opts.noHeaders ? {} : { columnDefinitions: p.columns }),
    rows: items.map((o) => ({
      cells: p.cells(o),
      ...(include === 'None'
        ? {}
        : {
            object:
              include === 'Object'
                ? o
                : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
          }),
    })),
  };
}

export { apiVersionOf };
