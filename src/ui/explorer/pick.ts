// Questions the explorer commands ask: which pod of a workload, which port, which local port.
import * as vscode from 'vscode';
import type { ClusterConnection, InformerLease } from '../../cluster/api';
import type { ClusterError } from '../../core/errors';
import type { LabelSelector, Pod } from '../../core/resources';
import { matchesLabelSelector } from '../../core/selectors';
import { podPorts, summarizePod } from '../../core/status';

/** Resolves once the informer has listed, or rejects with its first error. */
export function whenSynced<T extends Pod>(lease: InformerLease<T>, signal: AbortSignal): Promise<void> {
  if (lease.status.hasSynced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const sub = lease.onDidChangeStatus((s) => {
      if (s.hasSynced) done(() => resolve());
      else if (s.phase === 'error') done(() => reject(s.error as ClusterError));
    });
    const onAbort = () => done(() => reject(signal.reason));
    const done = (fn: () => void) => {
      sub.dispose();
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The pods a selector matches right now, ready ones first. */
export async function podsFor(
  conn: ClusterConnection,
  namespace: string,
  selector: LabelSelector,
  signal: AbortSignal,
): Promise<Pod[]> {
  const lease = conn.watch('Pod', namespace);
  try {
    await whenSynced(lease, signal);
    return [...lease.values()]
      .filter((p) => matchesLabelSelector(selector, p.metadata.labels))
      .sort(
        (a, b) =>
          Number(summarizePod(b).health === 'ok') - Number(summarizePod(a).health === 'ok') ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
  } finally {
    lease.dispose();
  }
}

export async function pickRemotePort(pod: Pod): Promise<number | undefined> {
  const declared = podPorts(pod);
  const other = 'Another port…';
  if (declared.length > 0) {
    const choice = await vscode.window.showQuickPick([...declared.map((p) => p.label), other], {
      title: `Port of ${pod.metadata.name} to forward`,
    });
    if (!choice) return undefined;
    if (choice !== other) return declared.find((p) => p.label === choice)?.port;
  }
  return askPort(`Port of ${pod.metadata.name} to forward`, '', false);
}

export function askPort(title: string, value: string, allowZero: boolean): Promise<number | undefined> {
  return Promise.resolve(
    vscode.window.showInputBox({
      title,
      value,
      prompt: allowZero ? '0 picks any free port' : undefined,
      validateInput: (v) => {
        const n = Number(v);
        return Number.isInteger(n) && n >= (allowZero ? 0 : 1) && n <= 65535
          ? undefined
          : `A port number from ${allowZero ? 0 : 1} to 65535`;
      },
    }),
  ).then((v) => (v === undefined ? undefined : Number(v)));
}
