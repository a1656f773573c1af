// One pod on the node, from binding to deletion: sandbox (network namespace, /etc/hosts, volumes),
// init containers in order, app containers with restarts, status as the kubelet reports it, and
// graceful termination that ends with the final delete.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ApiError, type Api, type KObject, type ServiceNetwork } from '../core/types';
import { ContainerRunner, podFilesDir, type PodContext } from './container';
import { dialPod, startInfra, type Infra, type InfraState } from './infra';
import { readLines } from './logs';
import { declaredPorts, type PodRoutes } from './routes';
import { podStatus } from './status';
import { MountError, setUpVolumes, type PodVolumes } from './volumes';

export interface WorkerDeps {
  api: Api;
  nodeName: string;
  imagesDir: string;
  services: ServiceNetwork;
  routes: PodRoutes;
  socketPath(): string;
  release(): void;
  onGone(): void;
}

const iso = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class PodWorker {
  pod: KObject;
  infra?: Infra;
  vols?: PodVolumes;
  readonly init: ContainerRunner[] = [];
  readonly app: ContainerRunner[] = [];
  startTime = iso();
  initialized = false;
  sandboxReady = false;
  mountError?: string;
  deleting = false;
  gone = false;
  unreadyUntil = 0;
  private unreadyTimer?: NodeJS.Timeout;
  readonly transitions = new Map<string, { status: string; at: string }>();
  private writeScheduled = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly hostsPath: string;
  private readonly resolvPath: string;
  private finished?: Promise<void>;
  private shutDown = false;
  private readonly finishedCallbacks = new Set<() => void>();

  constructor(
    private readonly deps: WorkerDeps,
    pod: KObject,
    readonly ip: string,
    readonly dir: string,
  ) {
    this.pod = pod;
    this.hostsPath = join(dir, podFilesDir, 'hosts');
    this.resolvPath = join(dir, 'resolv.conf');
    const ctx = this.context();
    for (const c of (pod.spec?.initContainers ?? []) as KObject[]) this.init.push(new ContainerRunner(ctx, c, true));
    for (const c of (pod.spec?.containers ?? []) as KObject[]) this.app.push(new ContainerRunner(ctx, c, false));
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  containers(): ContainerRunner[] {
    return [...this.init, ...this.app];
  }

  private context(): PodContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const worker = this;
    return {
      api: this.deps.api,
      pod: () => this.pod,
      podIP: this.ip,
      get infraPid() {
        return worker.infra?.pid ?? 0;
      },
      dir: this.dir,
      hostsPath: this.hostsPath,
      resolvPath: join(this.dir, 'resolv.conf'),
      imagesDir: this.deps.imagesDir,
      get vols(): PodVolumes {
        if (!worker.vols) throw new Error('volumes are not set up yet');
        return worker.vols;
      },
      event: (type, reason, message) => this.event(type, reason, message),
      changed: () => this.scheduleWrite(),
      connect: (host, port) => this.connect(host, port),
      unreadyForced: () => Date.now() < this.unreadyUntil,
      servicePortHint: (log) => this.portHint(log),
    };
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.gone) return;
    try {
      this.deps.api.event(this.pod, type, reason, message, 'kubelet');
    } catch {
      // the namespace may be going away; events are best effort, as in Kubernetes
    }
  }

  connect(host: string, port: number): Promise<Duplex> {
    if (!this.infra)
      return Promise.reject(Object.assign(new Error(`pod ${this.key} has no network yet`), { code: 'EHOSTUNREACH' }));
    return dialPod(this.infra.dialPath, host, port);
  }

  /** Runs the pod. Resolves when it has been deleted and cleaned up. */
  start(): Promise<void> {
    this.finished = this.main().catch((e: Error) => {
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${e.message}`);
    });
    return this.finished;
  }

  private async main(): Promise<void> {
    mkdirSync(join(this.dir, podFilesDir), { recursive: true });
    this.writeHosts();
    writeFileSync(
      this.resolvPath,
      `search ${this.pod.metadata.namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n`,
    );
    this.unsubscribe.push(this.deps.services.onChange(() => this.writeHosts()));
    this.unsubscribe.push(this.deps.routes.onChange(() => this.infra?.setRoutes(this.deps.routes.for(this.ip))));
    this.scheduleWrite();
    // The pod sandbox: retried until it can be made (backing off to 10 s) while the pod exists, as
    // the kubelet retries a failed RunPodSandbox (bwrap can lose a race with a mount that goes away
    // under it while it binds the host's tree, e.g. another runtime's container rootfs on the same
    // machine, or find the host's /dev/null replaced for a moment).
    for (let attempt = 1; ; attempt++) {
      try {
        this.infra = await startInfra({
          dialPath: this.deps.socketPath(),
          hostname: this.pod.metadata.name!,
          podIP: this.ip,
          nodeCidr: this.deps.routes.nodeCidr,
          routes: this.deps.routes.for(this.ip),
          onState: (s: InfraState) => {
            if (s.modeReason) this.deps.routes.fallback(s.modeReason);
          },
        });
        break;
      } catch (e) {
        if (this.shutDown || this.deleting || this.gone) throw e;
        this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 10_000)));
      }
    }
    // The routes may have changed while the infra started; it ignores a set it already has.
    this.infra.setRoutes(this.deps.routes.for(this.ip));
    this.deps.routes.addPeer(this.ip, this.infra.dialPath, declaredPorts(this.pod));
    this.sandboxReady = true;
    // Volumes: retried until they can be set up, as the kubelet's volume manager does.
    for (;;) {
      if (this.shutDown) return;
      if (this.deleting) return this.teardown();
      try {
        this.vols = setUpVolumes(this.deps.api, this.pod, this.ip, join(this.dir, 'volumes'));
        this.mountError = undefined;
        break;
      } catch (e) {
        if (!(e instanceof MountError)) throw e;
        if (this.mountError !== e.message) this.event('Warning', 'FailedMount', e.message);
        this.mountError = e.message;
        this.scheduleWrite();
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    this.scheduleWrite();
    for (const c of this.init) {
      if (this.deleting) break;
      const exit = await c.run();
      if (!exit || exit.exitCode !== 0) {
        // restartPolicy Never (or stopping): the pod has failed / is going away.
        break;
      }
    }
    this.initialized = this.init.every((c) => c.ready);
    this.scheduleWrite();
    if (this.initialized && !this.deleting) await Promise.all(this.app.map((c) => c.run()));
    this.scheduleWrite();
    // Everything ended for good (or the pod is being deleted): wait for deletion.
    await new Promise<void>((resolve) => {
      const check = () => (this.deleting ? resolve() : setTimeout(check, 200));
      check();
    });
    if (this.shutDown) return;
    await this.teardown();
  }

  private async teardown(): Promise<void> {
    await this.stopContainers();
    if (!this.gone) {
      this.writeStatus(true);
      try {
        this.deps.api.delete('pods', this.pod.metadata.namespace, this.pod.metadata.name!, {
          gracePeriodSeconds: 0,
          preconditions: { uid: this.pod.metadata.uid },
        });
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
    await this.cleanup();
  }

  /** Stops every container within the pod's grace period. */
  private async stopContainers(): Promise<void> {
    const graceMs =
      (this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    await Promise.all(this.containers().map((c) => c.stop(this.gone ? 0 : graceMs, !this.gone)));
  }

  private async cleanup(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.unreadyTimer);
    await this.infra?.stop();
    if (this.infra) rmSync(this.infra.dialPath, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
    this.deps.release();
    this.deps.onGone();
    this.notifyFinished();
  }

  /** Called once the pod is gone from this node (log follows end then). */
  onFinished(cb: () => void): void {
    this.finishedCallbacks.add(cb);
  }

  private notifyFinished(): void {
    for (const cb of [...this.finishedCallbacks]) cb();
    this.finishedCallbacks.clear();
  }

  /** A new version of the pod from the watch. */
  update(pod: KObject): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && !this.deleting) {
      this.deleting = true;
      // Stop the containers now; main() then writes the final status and completes the deletion.
      void this.stopContainers();
    }
    this.refreshVolumes();
  }

  /** The pod was removed from the API without us (force deletion): stop at once. */
  removed(): void {
    this.gone = true;
    this.deleting = true;
    void this.stopContainers();
  }

  refreshVolumes(): void {
    if (!this.vols || this.gone) return;
    for (const [name, msg] of this.vols.refresh(this.pod))
      this.event('Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${name}" : ${msg}`);
  }

  /** Stops everything now (agent shutdown): SIGTERM, then SIGKILL; no API writes. */
  async shutdown(graceMs: number): Promise<void> {
    this.shutDown = true;
    this.gone = true;
    this.deleting = true;
    this.notifyFinished();
    await Promise.all(this.containers().map((c) => c.stop(graceMs, false)));
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.unreadyTimer);
    await this.infra?.stop();
  }

  forceUnready(ms: number): void {
    clearTimeout(this.unreadyTimer);
    this.unreadyUntil = ms > 0 ? Date.now() + ms : 0;
    if (ms > 0) this.unreadyTimer = setTimeout(() => this.scheduleWrite(), ms + 5);
    this.scheduleWrite();
  }

  writeHosts(): void {
    const name = this.pod.metadata.name!;
    const body =
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
      `${this.ip}\t${this.pod.spec?.hostname ?? name}\n` +
      '\n# Services (sandbox: resolved through /etc/hosts, as there is no cluster DNS)\n' +
      this.deps.services.hosts(this.pod.metadata.namespace!);
    // Replaced whole (write, then rename): containers see /etc/hosts through a symlink into this
    // file's directory (container.ts), so a lookup reads the old file or the new one, never half of one.
    const tmp = `${this.hostsPath}.${process.pid}.tmp`;
    writeFileSync(tmp, body.endsWith('\n') ? body : body + '\n');
    renameSync(tmp, this.hostsPath);
  }

  private portHint(logPath: string | undefined): string | undefined {
    if (!logPath) return undefined;
    const text = readLines(logPath)
      .slice(-50)
      .map((l) => l.text)
      .join('\n');
    if (!/EADDRINUSE|address already in use/i.test(text)) return undefined;
    const mentions = (port: number) => new RegExp(`[:\\s]${port}\\b`).test(text);
    const state = this.infra?.state();
    if (state?.mode === 'redirect') {
      const port = state.localPorts.find(mentions);
      if (port === undefined) return undefined;
      return `the container could not listen on port ${port}: inside every sandbox pod, 127.0.0.1:${port} is taken by the pod network's forwarder (it holds ports counting down from 65535, one per Service port and other pod's port). This is a sandbox limitation; listen on a port below 61000.`;
    }
    for (const p of this.deps.services.ports()) {
      if (mentions(p.port)) {
        return `the container could not listen on port ${p.port}: inside every sandbox pod, ${p.ip}:${p.port} is taken by the pod network's forwarder for Service ${p.namespace}/${p.service}, and a wildcard (0.0.0.0) listener on the same port collides with it. This is a sandbox limitation; listen on the pod IP ($(POD_IP) via status.podIP) or on a port no Service uses.`;
      }
    }
    return undefined;
  }

  scheduleWrite(): void {
    if (this.writeScheduled || this.gone) return;
    this.writeScheduled = true;
    setTimeout(() => {
      this.writeScheduled = false;
      this.writeStatus(false);
    }, 10);
  }

  /** Writes status through the status subresource, retrying on conflict with the latest object. */
  writeStatus(final: boolean): void {
    if (this.gone) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = this.deps.api.tryGet('pods', this.pod.metadata.namespace, this.pod.metadata.name!);
      if (!cur || cur.metadata.uid !== this.pod.metadata.uid) return;
      const status = podStatus(this, cur, final);
      if (JSON.stringify(status) === JSON.stringify(cur.status)) return;
      try {
        const updated = this.deps.api.update(
          'pods',
          cur.metadata.namespace,
          { ...cur, status },
          { subresource: 'status' },
        );
        this.pod = { ...this.pod, status: updated.status };
        return;
      } catch (e) {
        if (e instanceof ApiError && e.code === 409) continue;
        if (e instanceof ApiError && e.code === 404) return;
        throw e;
      }
    }
  }
}
