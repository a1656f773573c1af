// What each pod's infra must carry out of the pod: every Service port (to the Service network's
// socket) and every other pod's declared TCP container port (to that pod's dial socket, which
// connects to podIP:port inside that pod). A port a pod does not declare cannot be reached by its
// IP from another pod: the infra needs one listener per destination, as it cannot read a redirected
// connection's original destination.

import type { KObject, ServiceNetwork } from '../core/types';

export interface Route {
  ip: string;
  port: number;
  /** A unix socket on the host; a connection to it is one connection to ip:port. */
  socketPath: string;
  /** A line to write first, answered `OK` or `ERR ...` (another pod's dial socket). */
  dial?: string;
}

interface Peer {
  dialPath: string;
  ports: number[];
}

/** The TCP ports a pod's containers (init containers too: sidecars serve) declare. */
export function declaredPorts(pod: KObject): number[] {
  const ports = new Set<number>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as KObject[]) {
    for (const p of (c.ports ?? []) as { containerPort?: number; protocol?: string }[]) {
      if ((p.protocol ?? 'TCP') === 'TCP' && p.containerPort) ports.add(p.containerPort);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

export class PodRoutes {
  private readonly peers = new Map<string, Peer>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private scheduled = false;
  private fallbackLogged = false;

  constructor(
    private readonly services: ServiceNetwork,
    /** Every pod and Service address of this node. */
    readonly nodeCidr: string,
  ) {
    this.unsubscribe = services.onChange(() => this.changed());
  }

  /** The routes for the pod whose IP is `ip`: every Service port, and every other pod's declared ports. */
  for(ip: string): Route[] {
    const routes: Route[] = this.services
      .ports()
      .filter((p) => p.protocol === 'TCP')
      .map((p) => ({ ip: p.ip, port: p.port, socketPath: p.socketPath }));
    for (const [peerIP, peer] of this.peers) {
      if (peerIP === ip) continue;
      for (const port of peer.ports)
        routes.push({ ip: peerIP, port, socketPath: peer.dialPath, dial: `${peerIP} ${port}` });
    }
    return routes;
  }

  addPeer(ip: string, dialPath: string, ports: number[]): void {
    this.peers.set(ip, { dialPath, ports });
    if (ports.length) this.changed();
  }

  removePeer(ip: string): void {
    const peer = this.peers.get(ip);
    this.peers.delete(ip);
    if (peer?.ports.length) this.changed();
  }

  /** Called (coalesced) when any pod's routes may have changed. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An infra could not use nftables: said once per agent, as it concerns every pod alike. */
  fallback(reason: string): void {
    if (this.fallbackLogged) return;
    this.fallbackLogged = true;
    process.stderr.write(
      `node agent: pod network rules could not be set up (${reason}); each pod's infra listens on the Service addresses instead, so a container listening on the wildcard address on a Service's port collides with it (PortConflict)\n`,
    );
  }

  stop(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const l of this.listeners) l();
    });
  }
}
