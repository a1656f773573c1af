// The debug tunnel: a listener on 127.0.0.1 (a free port) whose every connection is carried to the
// debug port inside the developer copy (127.0.0.1 there too) by the API server's port-forward. It
// pings each stream (hardened clusters cut idle streams, and a program paused at a breakpoint is
// idle), and asks for the copy's pod before each new connection, so a debugger that reconnects
// after the copy was replaced reaches the new pod. One debug session owns it; disposing it stops
// the listener and cuts every connection, so nothing stays listening. Only the editor's debugger
// gets through: other users of the machine and web pages are refused (admit.ts).
import type { ClusterConnection, PortForwardHandle } from '../cluster/api';
import type { Event } from '../core/events';
import { Disposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import { admitDebugger } from './admit';
import { findDevPod, type DebugTarget } from './target';

export interface DebugTunnelOptions {
  cluster: Pick<ClusterConnection, 'portForward' | 'objects'>;
  target: DebugTarget;
  logger: Logger;
  /** WebSocket ping interval; 30 s unless a test wants it shorter than the cluster's idle limit. */
  keepaliveMs?: number;
}

export class DebugTunnel extends Disposable {
  private constructor(
    private readonly forward: PortForwardHandle,
    readonly target: DebugTarget,
  ) {
    super();
    this._register(forward);
    this.onDidClose = forward.onDidClose;
    this.onDidFailConnection = forward.onDidFailConnection;
  }

  readonly onDidClose: Event<Error | undefined>;
  /** A connection could not reach the debug port (the kubelet's words: e.g. connection refused). */
  readonly onDidFailConnection: Event<string>;

  static async open(o: DebugTunnelOptions): Promise<DebugTunnel> {
    const { target } = o;
    let localPort = 0;
    const forward = await o.cluster.portForward({
      namespace: target.namespace,
      pod: target.pod,
      remotePort: target.spec.port,
      localPort: 0,
      address: '127.0.0.1',
      keepaliveMs: o.keepaliveMs,
      // The caller's first connection speaks the debugger's protocol (probe.ts): an empty one would upset debugpy.
      checkFirst: false,
      resolvePod: async (signal) => (await findDevPod(o.cluster.objects, target, signal)).metadata.name,
      admit: admitDebugger(target.spec.runtime, () => localPort),
    });
    localPort = forward.localPort;
    o.logger.info(
      `debug tunnel for ${target.service} (session ${target.session}): 127.0.0.1:${forward.localPort} -> ${target.namespace}/${target.pod} 127.0.0.1:${target.spec.port} (${target.spec.runtime})`,
    );
    return new DebugTunnel(forward, target);
  }

  /** The local port the editor's debugger connects to. */
  get port(): number {
    return this.forward.localPort;
  }

  /** The pod the latest connection went to. */
  get pod(): string {
    return this.forward.pod;
  }
}
