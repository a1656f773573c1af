// One container of a pod across its restarts: image "pull", environment, filesystem, process,
// probes, and the state the kubelet reports for it (waiting / running / terminated, lastState,
// restartCount, ready, started).

import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Api, KObject } from '../core/types';
import type { Json } from './json';
import { Backoff, goDuration } from './backoff';
import { ConfigError, expand, mergeEnv, podEnv } from './env';
import {
  ImageNotFound,
  containerArgv,
  defaultPullPolicy,
  imageHostFiles,
  resolveImage,
  type ResolvedImage,
} from './images';
import { LogWriter } from './logs';

/** The pod's own files (hosts) in its directory, seen by its containers at `podFilesMount`. */
export const podFilesDir = 'pod-files';
export const podFilesMount = '/run/devlane-pod';
import { runHandler, runProbe, type ProbeContext } from './probes';
import { startProcess, type ContainerProcess, type Exit } from './process';
import { RootFs } from './rootfs';
import { MountError, mountSource, type PodVolumes } from './volumes';
import { execCapture } from './execproc';

export interface PodContext {
  api: Api;
  pod(): KObject;
  podIP: string;
  infraPid: number;
  dir: string;
  hostsPath: string;
  resolvPath: string;
  imagesDir: string;
  vols: PodVolumes;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  changed(): void;
  connect(host: string, port: number): Promise<Duplex>;
  unreadyForced(): boolean;
  /** Service ports that collide with a wildcard listener, for a clearer message when a container fails to bind. */
  servicePortHint(exitLog: string): string | undefined;
}

export type State =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt: string;
        finishedAt: string;
        containerID?: string;
      };
    };

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ContainerRunner {
  state: State;
  lastState: State | Record<string, never> = {};
  /** The termination before the current one: lastState while the current state is itself terminated. */
  private priorTerminated: State | Record<string, never> = {};
  restartCount = 0;
  ready = false;
  started = false;
  containerID?: string;
  image?: ResolvedImage;
  env: Record<string, string> = {};
  workingDir = '/';
  proc?: ContainerProcess;
  /** Log file of each instance, by instance number (0-based). */
  readonly logs: string[] = [];
  instanceRunning = false;
  private readonly restartBackoff = new Backoff();
  private readonly pullBackoff = new Backoff();
  private probeTimers: NodeJS.Timeout[] = [];
  private stopping = false;
  private wake?: () => void;
  private instanceListeners = new Set<() => void>();

  constructor(
    private readonly ctx: PodContext,
    readonly spec: KObject,
    readonly isInit: boolean,
  ) {
    this.state = {
      waiting: { reason: isInit || !ctx.pod().spec?.initContainers?.length ? 'ContainerCreating' : 'PodInitializing' },
    };
  }

  get name(): string {
    return this.spec.name;
  }

  private setState(s: State): void {
    this.state = s;
    this.ctx.changed();
  }

  /** Resolves when the current instance exits, or at once if none runs. */
  onInstanceEnd(cb: () => void): () => void {
    this.instanceListeners.add(cb);
    return () => this.instanceListeners.delete(cb);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  /**
   * Runs the container until it exits for good (per restartPolicy) or the pod is stopping.
   * Returns the last exit, or undefined if it never ran.
   */
  async run(): Promise<Exit | undefined> {
    const podPolicy: string = this.ctx.pod().spec?.restartPolicy ?? 'Always';
    // Init containers run to completion: under a pod policy of Always they restart only on failure.
    const policy = this.isInit && podPolicy === 'Always' ? 'OnFailure' : podPolicy;
    let last: Exit | undefined;
    for (;;) {
      if (this.stopping) return last;
      const proc = await this.startInstance();
      if (this.stopping) {
        proc?.kill('SIGKILL');
        if (proc) last = await this.finish(proc);
        return last;
      }
      if (!proc) continue; // waiting (image, config, mounts): startInstance slept already
      const exit = await this.finish(proc);
      last = exit;
      if (this.stopping) return last;
      const restart = policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
      if (!restart) return last;
      const ranMs = exit.finishedAt.getTime() - proc.startedAt.getTime();
      const delay = this.restartBackoff.delay(ranMs);
      if (delay > 0) {
        const pod = this.ctx.pod();
        const podRef = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
        this.setState({
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${goDuration(delay)} restarting failed container=${this.name} pod=${podRef}`,
          },
        });
        this.ctx.event('Warning', 'BackOff', `Back-off restarting failed container ${this.name} in pod ${podRef}`);
        await this.sleep(delay);
      }
    }
  }

  private async waitRetry(reason: string, message: string, ms: number): Promise<undefined> {
    this.setState({ waiting: { reason, message } });
    await this.sleep(ms);
    return undefined;
  }

  private async pull(): Promise<{ img: ResolvedImage; hostFiles: [string, string][] } | undefined> {
    const ref: string = this.spec.image ?? '';
    const policy: string = this.spec.imagePullPolicy ?? defaultPullPolicy(ref);
    if (policy === 'Always') this.ctx.event('Normal', 'Pulling', `Pulling image "${ref}"`);
    try {
      const img = resolveImage(this.ctx.imagesDir, ref);
      // A Go program the image carries is built on first use (and cached), as a first pull takes time.
      const hostFiles = await imageHostFiles(img, (m) => console.log(`sandbox: image ${img.name}: ${m}`));
      if (this.stopping) return undefined;
      if (policy === 'Always')
        this.ctx.event(
          'Normal',
          'Pulled',
          `Successfully pulled image "${ref}" in 1ms (1ms including waiting). Image size: 0 bytes.`,
        );
      else this.ctx.event('Normal', 'Pulled', `Container image "${ref}" already present on machine`);
      this.pullBackoff.reset();
      return { img, hostFiles };
    } catch (e) {
      if (!(e instanceof ImageNotFound)) throw e;
      if (policy === 'Never') {
        const msg = `Container image "${ref}" is not present with pull policy of Never`;
        this.ctx.event('Warning', 'ErrImageNeverPull', msg);
        return this.waitRetry('ErrImageNeverPull', msg, 10_000);
      }
      this.ctx.event('Warning', 'Failed', `Failed to pull image "${ref}": ${e.message}`);
      this.ctx.event('Warning', 'Failed', 'Error: ErrImagePull');
      this.setState({ waiting: { reason: 'ErrImagePull', message: e.message } });
      let delay = this.pullBackoff.delay();
      if (delay === 0) delay = this.pullBackoff.delay();
      // As the kubelet: a short while in ErrImagePull, then ImagePullBackOff until the next attempt.
      await this.sleep(Math.min(1000, delay));
      if (this.stopping) return undefined;
      this.ctx.event('Normal', 'BackOff', `Back-off pulling image "${ref}"`);
      this.ctx.event('Warning', 'Failed', 'Error: ImagePullBackOff');
      return this.waitRetry('ImagePullBackOff', `Back-off pulling image "${ref}": ErrImagePull: ${e.message}`, delay);
    }
  }

  private async startInstance(): Promise<ContainerProcess | undefined> {
    const pulled = await this.pull();
    if (!pulled || this.stopping) return undefined;
    const img = pulled.img;
    this.image = img;
    const pod = this.ctx.pod();
    let podVars: [string, string][];
    try {
      const services = this.ctx.api
        .list('services', undefined)
        .items.filter(
          (s) =>
            s.metadata.namespace === pod.metadata.namespace ||
            (s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes'),
        );
      podVars = podEnv({ api: this.ctx.api, pod, podIP: this.ctx.podIP, hostIP: '127.0.0.1' }, this.spec, services);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.ctx.event('Warning', 'Failed', `Error: ${e.message}`);
      return this.waitRetry('CreateContainerConfigError', e.message, 2000);
    }
    const env = mergeEnv(img.config.env, podVars, pod.metadata.name!);
    const lookup = (n: string) => Object.fromEntries(podVars)[n];
    const argv = containerArgv(
      img.config,
      this.spec.command?.map((s: string) => expand(s, lookup)),
      this.spec.args?.map((s: string) => expand(s, lookup)),
    );
    if (argv.length === 0) {
      const msg = 'failed to create containerd task: no command specified: unknown';
      this.ctx.event('Warning', 'Failed', `Error: ${msg}`);
      return this.waitRetry('CreateContainerError', msg, 10_000);
    }
    const workingDir: string = this.spec.workingDir || img.config.workingDir || '/';
    const instance = this.logs.length;
    const cdir = join(this.ctx.dir, 'containers', this.name);
    const layer = join(cdir, `layer-${instance}`);
    let fsArgs: string[];
    try {
      // A fresh writable copy of the image's files for each instance, as a new container gets.
      rmSync(join(cdir, `layer-${instance - 1}`), { recursive: true, force: true });
      mkdirSync(cdir, { recursive: true });
      cpSync(img.rootfs, layer, { recursive: true, verbatimSymlinks: true });
      fsArgs = this.filesystem(layer, img.config.scratch, pulled.hostFiles, workingDir, lookup);
    } catch (e) {
      const msg = (e as Error).message;
      const reason = e instanceof MountError ? 'CreateContainerConfigError' : 'CreateContainerError';
      this.ctx.event('Warning', 'Failed', `Error: ${msg}`);
      return this.waitRetry(reason, msg, 5000);
    }
    const logPath = join(cdir, `${instance}.log`);
    this.logs.push(logPath);
    const log = new LogWriter(logPath);
    this.containerID = randomBytes(32).toString('hex');
    this.env = env;
    this.workingDir = workingDir;
    this.ctx.event('Normal', 'Created', `Created container: ${this.name}`);
    const proc = await startProcess({
      infraPid: this.ctx.infraPid,
      fsArgs,
      workingDir,
      hostname: pod.metadata.name!,
      argv,
      env,
      log,
      stdin: !!this.spec.stdin,
      fifoDir: cdir,
    });
    if (this.logs.length > 1) this.restartCount++;
    this.proc = proc;
    this.instanceRunning = true;
    this.started = false;
    this.ready = false;
    this.setState({ running: { startedAt: iso(proc.startedAt) } });
    if (proc.pid) this.ctx.event('Normal', 'Started', `Started container ${this.name}`);
    this.afterStart(proc);
    return proc;
  }

  private filesystem(
    layer: string,
    scratch: boolean,
    hostFiles: [string, string][],
    workingDir: string,
    lookup: (n: string) => string | undefined,
  ): string[] {
    const fs = new RootFs({ host: !scratch });
    fs.overlayImage(layer);
    for (const [src, dest] of hostFiles) fs.bind(src, dest, true);
    // /etc/hosts is replaced whole on every Service change (pod.ts): the directory is bound, and
    // /etc/hosts links into it, so a new file is seen at once and a half-written one never.
    fs.bind(dirname(this.ctx.hostsPath), podFilesMount, true);
    fs.symlink(`${podFilesMount}/${basename(this.ctx.hostsPath)}`, '/etc/hosts');
    fs.bind(this.ctx.resolvPath, '/etc/resolv.conf', true);
    const mounts = [...((this.spec.volumeMounts ?? []) as KObject[])].sort(
      (a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length,
    );
    for (const m of mounts) {
      const src = mountSource(this.ctx.vols, m, (s) => expand(s, lookup));
      const vol = ((this.ctx.pod().spec?.volumes ?? []) as KObject[]).find((v) => v.name === m.name);
      const projected = !!(vol && (vol.configMap || vol.secret || vol.downwardAPI || vol.projected));
      fs.bind(src, m.mountPath, !!m.readOnly || projected);
    }
    if (!fs.exists('/tmp')) fs.dir('/tmp');
    fs.dir(workingDir);
    // /dev/shm is world-writable, as a real runtime mounts it (PostgreSQL keeps its shared memory there).
    return ['--dev', '/dev', '--proc', '/proc', ...fs.args(), '--chmod', '1777', '/tmp', '--chmod', '1777', '/dev/shm'];
  }

  private afterStart(proc: ContainerProcess): void {
    const lifecycle = this.spec.lifecycle;
    const probes = {
      startup: this.spec.startupProbe,
      readiness: this.spec.readinessProbe,
      liveness: this.spec.livenessProbe,
    };
    if (this.isInit) return;
    if (lifecycle?.postStart) {
      void runHandler(lifecycle.postStart, this.probeContext(), 30_000).then((r) => {
        if (!r.ok && this.proc === proc) {
          this.ctx.event('Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.output}`);
          proc.kill('SIGKILL');
        }
      });
    }
    const startMain = () => {
      this.started = true;
      this.ctx.changed();
      if (probes.readiness)
        this.loop('Readiness', probes.readiness, proc, false, (ok) => {
          this.ready = ok;
          this.ctx.changed();
        });
      else {
        this.ready = true;
        this.ctx.changed();
      }
      if (probes.liveness)
        this.loop('Liveness', probes.liveness, proc, true, (ok) => {
          if (!ok) this.killForProbe(proc, 'liveness');
        });
    };
    if (probes.startup) {
      let done = false;
      this.loop('Startup', probes.startup, proc, false, (ok) => {
        if (done) return;
        if (ok) {
          done = true;
          this.stopLoop('Startup');
          startMain();
        } else this.killForProbe(proc, 'startup');
      });
    } else startMain();
  }

  private readonly loops = new Map<string, { stop: boolean }>();

  private stopLoop(kind: string): void {
    const l = this.loops.get(kind);
    if (l) l.stop = true;
  }

  /** One probe's schedule: initialDelaySeconds, then every periodSeconds; reports threshold crossings. */
  private loop(
    kind: 'Readiness' | 'Liveness' | 'Startup',
    probe: KObject,
    proc: ContainerProcess,
    initial: boolean,
    onChange: (ok: boolean) => void,
  ): void {
    const handle = { stop: false };
    this.loops.set(kind, handle);
    const period = (probe.periodSeconds ?? 10) * 1000;
    const successThreshold = probe.successThreshold ?? 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    let result = initial;
    let successes = 0;
    let failures = 0;
    const tick = async () => {
      if (handle.stop || this.proc !== proc || !this.instanceRunning) return;
      const r = await runProbe(probe, this.probeContext());
      if (handle.stop || this.proc !== proc || !this.instanceRunning) return;
      if (r.ok) {
        successes++;
        failures = 0;
        if (!result && successes >= successThreshold) {
          result = true;
          onChange(true);
        } else if (kind === 'Startup' && successes >= successThreshold) onChange(true);
      } else {
        failures++;
        successes = 0;
        this.ctx.event('Warning', 'Unhealthy', `${kind} probe failed: ${r.output}`);
        if ((result || kind === 'Startup') && failures >= failureThreshold) {
          result = false;
          onChange(false);
        }
      }
      if (handle.stop) return;
      this.probeTimers.push(setTimeout(tick, period));
    };
    this.probeTimers.push(setTimeout(tick, (probe.initialDelaySeconds ?? 0) * 1000));
  }

  private killForProbe(proc: ContainerProcess, which: 'liveness' | 'startup'): void {
    if (this.proc !== proc || !this.instanceRunning) return;
    this.ctx.event('Normal', 'Killing', `Container ${this.name} failed ${which} probe, will be restarted`);
    for (const l of this.loops.values()) l.stop = true;
    this.ready = false;
    this.ctx.changed();
    void this.terminate(this.gracePeriodMs(), false);
  }

  private gracePeriodMs(): number {
    return (this.ctx.pod().spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  probeContext(): ProbeContext {
    return {
      podIP: this.ctx.podIP,
      ports: (this.spec.ports ?? []) as KObject[],
      connect: (host, port) => this.ctx.connect(host, port),
      exec: (argv, timeoutMs) => {
        if (!this.proc?.pid) return Promise.resolve({ code: -1, output: 'container is not running' });
        return execCapture(this.proc.pid, this.env, this.workingDir, argv, timeoutMs);
      },
    };
  }

  private async finish(proc: ContainerProcess): Promise<Exit> {
    const exit = await proc.exited;
    for (const t of this.probeTimers) clearTimeout(t);
    this.probeTimers = [];
    for (const l of this.loops.values()) l.stop = true;
    this.loops.clear();
    this.instanceRunning = false;
    this.ready = false;
    this.started = false;
    let reason = exit.startError ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error';
    let message = exit.startError;
    if (!message && exit.exitCode !== 0) {
      const hint = this.ctx.servicePortHint(this.logs[this.logs.length - 1]);
      if (hint) {
        message = hint;
        this.ctx.event('Warning', 'PortConflict', hint);
      }
    }
    if (exit.startError) this.ctx.event('Warning', 'Failed', `Error: ${exit.startError}`);
    if (exit.exitCode === 0 && this.isInit) reason = 'Completed';
    const terminated: State = {
      terminated: {
        exitCode: exit.exitCode,
        ...(exit.signal ? { signal: exit.signal } : {}),
        reason,
        ...(message ? { message } : {}),
        startedAt: iso(proc.startedAt),
        finishedAt: iso(exit.finishedAt),
        containerID: `sandbox://${this.containerID}`,
      },
    };
    if (this.isInit && exit.exitCode === 0) this.ready = true;
    this.priorTerminated = this.lastState;
    this.lastState = terminated;
    this.setState(terminated);
    for (const l of this.instanceListeners) l();
    return exit;
  }

  /** Stops the current instance: preStop hook, SIGTERM, SIGKILL after the grace period. */
  async terminate(graceMs: number, runPreStop: boolean): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.instanceRunning) return;
    const deadline = Date.now() + graceMs;
    const ended = proc.exited.then(() => true);
    if (runPreStop && this.spec.lifecycle?.preStop) {
      const r = await Promise.race([
        runHandler(this.spec.lifecycle.preStop, this.probeContext(), graceMs),
        ended.then(() => undefined),
      ]);
      if (r && !r.ok) this.ctx.event('Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.output}`);
    }
    proc.kill('SIGTERM');
    const left = Math.max(0, deadline - Date.now());
    const done = await Promise.race([ended, new Promise<false>((r) => setTimeout(() => r(false), left))]);
    if (!done) proc.kill('SIGKILL');
    await proc.exited;
  }

  /** The pod is going away: no more restarts; returns when the process has ended. */
  async stop(graceMs: number, runPreStop: boolean): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.instanceRunning) {
      this.ctx.event('Normal', 'Killing', `Stopping container ${this.name}`);
      await this.terminate(graceMs, runPreStop);
    }
  }

  /** Fault injection: the process dies as if it crashed. */
  crash(): boolean {
    if (!this.proc || !this.instanceRunning) return false;
    this.proc.kill('SIGKILL');
    return true;
  }

  /** Status entry as the kubelet writes it in containerStatuses / initContainerStatuses. */
  status(): Json {
    const running = 'running' in this.state;
    const waitingNeverRan = 'waiting' in this.state && this.logs.length === 0;
    return {
      name: this.name,
      image: this.image?.fullName ?? this.spec.image,
      imageID: this.image && !waitingNeverRan ? this.image.imageID : '',
      ...(this.containerID && this.logs.length > 0 ? { containerID: `sandbox://${this.containerID}` } : {}),
      ready: this.isInit ? this.ready : running && this.ready && !this.ctx.unreadyForced(),
      started: running && this.started,
      restartCount: this.restartCount,
      state: this.state,
      lastState: 'terminated' in this.state ? this.priorTerminated : this.lastState,
    };
  }
}
