// The node agent: a kubelet for the pods the API binds to this node. It watches pods with
// spec.nodeName == nodeName, runs each as a PodWorker, serves their log/exec/port-forward streams,
// offers the pod network to the Service proxies, and applies node-level faults.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  ApiError,
  type AddressBlock,
  type Api,
  type Fault,
  type KObject,
  type PodNetwork,
  type PodStreams,
  type ServiceNetwork,
} from '../core/types';
import { serveExec } from './exec';
import { PodIPs } from './ipam';
import { sendStatus, serveLog } from './logapi';
import { PodWorker } from './pod';
import { servePortForward } from './portforward';
import { PodRoutes } from './routes';
import { StreamRegistry } from './streams';

export interface NodeAgent extends PodNetwork {
  streams: PodStreams;
  fault(f: Fault): void;
  stop(): Promise<void>;
}

export interface NodeAgentOptions {
  api: Api;
  nodeName: string;
  stateDir: string;
  imagesDir: string;
  block: AddressBlock;
  services: ServiceNetwork;
}

/** How long stop() waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 2000;

export async function startNodeAgent(o: NodeAgentOptions): Promise<NodeAgent> {
  const root = join(o.stateDir, 'node');
  mkdirSync(join(root, 'pods'), { recursive: true });
  // Unix socket paths are limited to 107 bytes: use a short directory when the state dir is deep.
  let sockDir = join(root, 's');
  let ownSockDir = false;
  if (sockDir.length > 80) {
    sockDir = mkdtempSync(join(tmpdir(), 'sbx-'));
    ownSockDir = true;
  } else mkdirSync(sockDir, { recursive: true });
  let sockSeq = 0;

  const ips = new PodIPs(o.block);
  const routes = new PodRoutes(o.services, `127.${o.block.octet}.0.0/16`);
  const workers = new Map<string, PodWorker>(); // by uid
  const byIP = new Map<string, PodWorker>();
  const registry = new StreamRegistry();
  let stopping = false;

  const find = (pod: KObject) => workers.get(pod.metadata.uid!);

  const add = (pod: KObject) => {
    if (stopping || workers.has(pod.metadata.uid!)) return;
    const phase = pod.status?.phase;
    // A pod that finished before this agent started has nothing left to run (its status stays).
    if ((phase === 'Succeeded' || phase === 'Failed') && !pod.metadata.deletionTimestamp) return;
    const ip = ips.allocate();
    const dir = join(root, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid!.slice(0, 8)}`);
    const w: PodWorker = new PodWorker(
      {
        api: o.api,
        nodeName: o.nodeName,
        imagesDir: o.imagesDir,
        services: o.services,
        routes,
        socketPath: () => join(sockDir, `${++sockSeq}.sock`),
        release: () => {
          routes.removePeer(ip);
          ips.release(ip);
          byIP.delete(ip);
        },
        onGone: () => workers.delete(pod.metadata.uid!),
      },
      pod,
      ip,
      dir,
    );
    workers.set(pod.metadata.uid!, w);
    byIP.set(ip, w);
    void w.start();
  };

  const onPod = (type: string, pod: KObject) => {
    if (type === 'ADDED' || type === 'MODIFIED') {
      const w = find(pod);
      if (w) w.update(pod);
      else add(pod);
    } else if (type === 'DELETED') {
      const w = find(pod);
      if (w) {
        w.update(pod);
        w.removed();
      }
    }
  };
  const stopPodWatch = o.api.watch('pods', undefined, { fieldSelector: `spec.nodeName=${o.nodeName}` }, (ev) =>
    onPod(ev.type, ev.object),
  );

  // ConfigMaps and Secrets feed volumes: refresh the pods of that namespace when one changes.
  const refresh = (ev: { type: string; object: KObject }) => {
    for (const w of workers.values()) if (w.pod.metadata.namespace === ev.object.metadata.namespace) w.refreshVolumes();
  };
  const stopCm = o.api.watch('configmaps', undefined, {}, refresh);
  const stopSecrets = o.api.watch('secrets', undefined, {}, refresh);

  const podFor = (pod: KObject) => find(pod);

  const streams: PodStreams = {
    log(pod, query, _req, res) {
      serveLog(podFor(pod), pod, query, res, registry.guard());
    },
    exec(pod, query, req, socket, head) {
      void serveExec(podFor(pod), pod, query, req, socket, head, registry.guard()).catch(() => socket.destroy());
    },
    portforward(pod, query, req, socket, head) {
      void servePortForward(podFor(pod), pod, query, req, socket, head, registry.guard()).catch(() => socket.destroy());
    },
  };

  const workerByName = (namespace: string, name: string) =>
    [...workers.values()].find((w) => w.pod.metadata.namespace === namespace && w.pod.metadata.name === name);

  return {
    streams,
    connect(podIP: string, host: string, port: number): Promise<Duplex> {
      const w = byIP.get(podIP);
      if (!w)
        return Promise.reject(
          Object.assign(
            new Error(`dial tcp ${host}:${port}: connect: no route to host (no pod has IP ${podIP} on this node)`),
            { code: 'EHOSTUNREACH' },
          ),
        );
      return w.connect(host, port);
    },
    fault(f: Fault) {
      if (f.kind === 'kill-container') {
        const w = workerByName(f.namespace, f.pod);
        if (!w) throw new ApiError(404, 'NotFound', `pods "${f.pod}" not found on node ${o.nodeName}`);
        const targets = w.app.filter((c) => !f.container || c.name === f.container);
        if (f.container && targets.length === 0)
          throw new ApiError(404, 'NotFound', `container "${f.container}" not found in pod ${f.namespace}/${f.pod}`);
        const killed = targets.filter((c) => c.crash());
        if (killed.length === 0)
          throw new ApiError(
            409,
            'Conflict',
            `no running container${f.container ? ` "${f.container}"` : ''} in pod ${f.namespace}/${f.pod} to kill`,
          );
      } else if (f.kind === 'unready') {
        const w = workerByName(f.namespace, f.pod);
        if (!w) throw new ApiError(404, 'NotFound', `pods "${f.pod}" not found on node ${o.nodeName}`);
        w.forceUnready(f.ms ?? 0);
      } else if (f.kind === 'idle-stream-timeout') {
        registry.setIdleTimeout(f.ms);
      }
    },
    async stop() {
      stopping = true;
      stopPodWatch();
      stopCm();
      stopSecrets();
      registry.cutAll();
      await Promise.all([...workers.values()].map((w) => w.shutdown(STOP_GRACE_MS)));
      workers.clear();
      routes.stop();
      if (ownSockDir) rmSync(sockDir, { recursive: true, force: true });
    },
  };
}

export { sendStatus };
