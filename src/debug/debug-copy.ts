// Debugging one service's developer copy, without the editor: find the copy and its debugger,
// work out the path mapping, open the tunnel and make sure the debugger answers through it, and
// compute what the editor attaches with. src/ui/debug turns this into a VS Code debug session; the
// integration tests and the benchmark drive it with a plain DAP or CDP client.
import type { ClusterConnection, ObjectApi } from '../cluster/api';
import type { Logger } from '../core/logger';
import type { Platform } from '../core/sync/paths';
import { debugAdapters, type RuntimeAttach } from './attach-config';
import { DebugError } from './errors';
import { type DebugPathMapping, debugPathMapping } from './mapping';
import { probeDebugger } from './probe';
import { type CopyRef, type DebugTarget, findDebugTarget } from './target';
import { DebugTunnel } from './tunnel';

export interface DebugPlan {
  target: DebugTarget;
  mapping: DebugPathMapping;
  adapter: RuntimeAttach;
}

export interface PrepareRequest {
  api: ObjectApi;
  copy: CopyRef;
  /** The folder the mapping's localPath is relative to (the workspace folder). */
  workspaceFolder: string;
  logger: Logger;
  platform?: Platform;
}

/** Which pod, which debugger, which paths: read-only, nothing is opened yet. */
export async function prepareDebug(req: PrepareRequest, signal: AbortSignal): Promise<DebugPlan> {
  const target = await findDebugTarget(req.api, req.copy, signal);
  const mapping = await debugPathMapping({
    workspaceFolder: req.workspaceFolder,
    service: req.copy.service,
    workingDir: target.workingDir,
    platform: req.platform,
    note: (l) => req.logger.info(l),
  });
  req.logger.info(
    `debug ${req.copy.service} (session ${req.copy.session}): pod ${target.pod}, ${target.spec.runtime} on 127.0.0.1:${target.spec.port} in container ${target.spec.container}; ${mapping.localRoot} <-> ${mapping.remoteRoot} (${mapping.from})`,
  );
  return { target, mapping, adapter: debugAdapters[target.spec.runtime] };
}

export interface OpenTunnelOptions {
  keepaliveMs?: number;
  probeTimeoutMs?: number;
}

/**
 * Opens the tunnel and checks that the debugger answers through it. When it does not, says why
 * (for Python: whether the image has debugpy at all) and closes the tunnel again.
 */
export async function openDebugTunnel(
  cluster: Pick<ClusterConnection, 'portForward' | 'objects'>,
  plan: DebugPlan,
  logger: Logger,
  opts: OpenTunnelOptions = {},
  signal?: AbortSignal,
): Promise<DebugTunnel> {
  const tunnel = await DebugTunnel.open({ cluster, target: plan.target, logger, keepaliveMs: opts.keepaliveMs });
  try {
    const refused: string[] = [];
    const sub = tunnel.onDidFailConnection((m) => refused.push(m));
    const probe = await probeDebugger(plan.target.spec.runtime, tunnel.port, opts.probeTimeoutMs);
    sub.dispose();
    signal?.throwIfAborted();
    if (probe.ok) {
      logger.info(`${plan.adapter.debuggerName} answers in ${tunnel.pod} (${probe.detail})`);
      return tunnel;
    }
    logger.warn(
      `${plan.adapter.debuggerName} in ${tunnel.pod} did not answer: ${probe.reason}: ${refused[0] ?? probe.detail}`,
    );
    if (refused[0] && !dialFailure.test(refused[0])) {
      throw new DebugError(
        'tunnel',
        `Devlane could not open the debug tunnel to ${plan.target.namespace}/${tunnel.pod}:${plan.target.spec.port}: ${refused[0]}`,
        'Check that you may port-forward to pods in this namespace (pods/portforward) and that the copy still runs. Nothing was changed.',
      );
    }
    const installed = await debuggerInstalled(cluster.objects, plan.target, signal ?? new AbortController().signal);
    const { message, hint } = plan.adapter.notListening(installed, plan.target.spec.port, plan.target.spec.container);
    throw new DebugError(
      'not-listening',
      message,
      `${hint} (${refused[0] ? `the cluster said: ${refused[0]}` : `through the tunnel: ${probe.detail}`})`,
    );
  } catch (err) {
    tunnel.dispose();
    throw err;
  }
}

/** The kubelet's words when nothing listens on the port in the pod (as opposed to a refused or failed request). */
const dialFailure = /connection refused|failed to connect|dial tcp|connect: /i;

/** Whether the container has the debugger (Python: `import debugpy` works; Go: dlv is on the PATH); undefined when it cannot be told. */
export async function debuggerInstalled(
  api: ObjectApi,
  target: DebugTarget,
  signal: AbortSignal,
): Promise<boolean | undefined> {
  if (target.spec.runtime === 'go') {
    try {
      const r = await api.exec(target.namespace, target.pod, target.spec.container, ['dlv', 'version'], signal);
      return r.exitCode === 0 ? true : undefined;
    } catch (err) {
      return /not found|no such file/i.test((err as Error).message) ? false : undefined;
    }
  }
  if (target.spec.runtime !== 'python') return undefined;
  for (const python of ['python', 'python3']) {
    try {
      const r = await api.exec(
        target.namespace,
        target.pod,
        target.spec.container,
        [python, '-c', 'import debugpy'],
        signal,
      );
      if (r.exitCode === 0) return true;
      if (/No module named|ModuleNotFoundError|ImportError/.test(r.stderr)) return false;
    } catch {
      // no such program in the image: try the next name
    }
  }
  return undefined;
}
