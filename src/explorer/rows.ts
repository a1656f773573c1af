// How each kind of object reads as a row: pure functions from an object to the row's fields.
import type { ExplorerNode, Icon } from './nodes';
import { healthIcon, kindIcons, md } from './nodes';
import type { ClusterError } from '../core/errors';
import { treeItemContexts } from '../core/contributions';
import type { ContextSummary } from '../core/kubeconfig';
import type { Namespace, Pod, Service, Workload, WorkloadKind } from '../core/resources';
import {
  podDescription,
  serviceDescription,
  summarizeContainer,
  summarizePod,
  summarizeWorkload,
} from '../core/status';

export type Row = Omit<ExplorerNode, 'id' | 'kind'>;

export function contextRow(ctx: ContextSummary, active: boolean): Row {
  const tooltip = [
    `**${md(ctx.name)}**${active ? ' (active in Devlane)' : ''}`,
    '',
    `cluster: ${md(ctx.cluster)}${ctx.server ? ` · ${md(ctx.server)}` : ''}`,
    `user: ${md(ctx.user || '(none)')}`,
    `namespace: ${md(ctx.namespace)}`,
    `from: ${md(ctx.source)}`,
  ].join('  \n');
  return {
    label: ctx.name,
    description: active ? `active · ${ctx.cluster}` : ctx.cluster,
    tooltip,
    icon: active ? { id: 'cloud', color: 'charts.blue' } : { id: 'cloud' },
    expandable: active ? 'expanded' : 'collapsed',
    contextValue: active ? treeItemContexts.activeContext : treeItemContexts.context,
  };
}

export function namespaceRow(name: string, ns: Namespace | undefined, isDefault: boolean, expand: boolean): Row {
  const terminating = ns?.status?.phase === 'Terminating';
  const notes = [isDefault ? 'default' : '', terminating ? 'terminating' : ''].filter(Boolean);
  return {
    label: name,
    description: notes.join(' · ') || undefined,
    tooltip: `Namespace **${md(name)}**${isDefault ? '  \nDevlane uses it by default for this context.' : ''}`,
    icon: { id: 'symbol-namespace', ...(terminating ? { color: 'disabledForeground' } : {}) },
    expandable: expand ? 'expanded' : 'collapsed',
    contextValue: isDefault ? treeItemContexts.defaultNamespace : treeItemContexts.namespace,
  };
}

export function serviceRow(svc: Service, takenOverBy: string | undefined): Row {
  const ports = serviceDescription(svc);
  const selector = Object.entries(svc.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return {
    label: svc.metadata.name,
    description: takenOverBy ? `${ports} · taken over by ${takenOverBy}` : ports,
    tooltip: [
      `Service **${md(svc.metadata.name)}**`,
      `ports: ${md(ports)}`,
      `selector: ${md(selector || '(none)')}`,
    ].join('  \n'),
    icon: takenOverBy ? { id: 'broadcast', color: 'charts.purple' } : { id: 'globe' },
    expandable: 'collapsed',
    contextValue: treeItemContexts.service,
  };
}

export function workloadRow(kind: WorkloadKind, w: Workload): Row {
  const s = summarizeWorkload(kind, w);
  const icon: Icon = {
    id: kindIcons[kind],
    ...(s.health === 'ok' ? {} : { color: s.health === 'progressing' ? 'charts.yellow' : 'disabledForeground' }),
  };
  return {
    label: w.metadata.name,
    description: `${kind} · ${s.ready}/${s.desired} ready`,
    tooltip: `${kind} **${md(w.metadata.name)}**  \n${s.ready} of ${s.desired} replicas ready`,
    icon,
    expandable: 'collapsed',
    contextValue: treeItemContexts.workload,
    workloadKind: kind,
  };
}

export function podRow(pod: Pod): Row {
  const s = summarizePod(pod);
  return {
    label: pod.metadata.name,
    description: podDescription(s),
    tooltip: [
      `Pod **${md(pod.metadata.name)}**`,
      `status: ${md(s.status)} (phase ${md(pod.status?.phase ?? 'Unknown')})`,
      `ready: ${s.ready}/${s.total} · restarts: ${s.restarts}`,
      pod.status?.podIP ? `IP: ${md(pod.status.podIP)}` : '',
    ]
      .filter(Boolean)
      .join('  \n'),
    icon: healthIcon(s.health),
    expandable: 'collapsed',
    contextValue: treeItemContexts.pod,
  };
}

export function containerRows(pod: Pod): { name: string; row: Row }[] {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  return (pod.spec?.containers ?? []).map((c) => {
    const s = summarizeContainer(c.name, statuses.get(c.name));
    const restarts = s.restarts ? ` · ${s.restarts} restarts` : '';
    return {
      name: c.name,
      row: {
        label: c.name,
        description: `${s.state}${restarts}`,
        tooltip: `Container **${md(c.name)}**  \nimage: ${md(c.image ?? '?')}  \n${md(s.state)}${s.ready ? ', ready' : ''}`,
        icon: { ...healthIcon(s.health), id: s.health === 'ok' ? 'package' : healthIcon(s.health).id },
        expandable: 'none',
        contextValue: treeItemContexts.container,
      },
    };
  });
}

export function errorRow(error: ClusterError): Row {
  return {
    label: error.message,
    description: 'Retry',
    tooltip: `${md(error.message)}  \n\n${md(error.hint)}`,
    icon: {
      id: error.kind === 'forbidden' ? 'lock' : 'error',
      color: error.kind === 'forbidden' ? 'problemsWarningIcon.foreground' : 'errorForeground',
    },
    expandable: 'none',
    contextValue: treeItemContexts.error,
    error,
  };
}

export function messageRow(text: string, loading = false): Row {
  return {
    label: text,
    icon: loading ? { id: 'loading~spin' } : { id: 'info' },
    expandable: 'none',
    contextValue: treeItemContexts.message,
  };
}
