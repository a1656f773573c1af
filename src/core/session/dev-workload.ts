// The developer copy of a workload, computed from the original Deployment: same image, env,
// envFrom, volumes and service account, one replica, and the labels any Service selects on
// rewritten so that no original Service ever sends it ordinary traffic. The main container (the
// one the Service targets) is changed for development:
// - no liveness probe, and its readiness probe becomes a startup probe: once the copy has started,
//   a process paused at a breakpoint is neither killed nor taken out of its Service, so requests
//   that reach it wait instead of failing. It checks every second (the original's period is for a
//   pod already serving), which is what a start waits on, for at least as long as the original's
//   readiness would allow and no less than five minutes;
// - the debugger listens on 127.0.0.1 in the pod (src/core/debug/runtime.ts), announced in the
//   pod template's `devlane.dev/debug` annotation;
// - when the service is synced (.vscode/devlane.json), the program runs under the restart
//   supervisor (src/core/sync/supervisor.ts), with an emptyDir for its small files, so a sync
//   restarts the process and not the pod. A `build` mapping runs the program its build makes
//   (src/core/sync/build.ts), which exists only after the first sync: it has no startup probe.
// Pure: the caller reads the objects.
import { SessionError } from './errors';
import { annotations, devServiceName, devWorkloadName, type Role } from './names';
import { keyPrefix, labels, managedBy } from './route-contract';
import {
  debugAnnotation,
  debugAnnotationValue,
  debugLaunch,
  defaultDebugPort,
  detectRuntime,
  type DebugSpec,
} from '../debug/runtime';
import type { Json, KubeObject, Service } from '../resources';
import { pointAtBranch, type DatabaseSource } from '../data/branch';
import { matchesServiceSelector } from '../selectors';
import type { DebugConfig, ServiceSync } from '../sync/config';
import { defaultRunDir } from '../sync/receiver';
import { describeMount, mountsOfTarget } from '../sync/mounts';
import { syncAnnotationValue } from '../sync/target';
import { SupervisorError, supervisedContainer } from '../sync/supervisor';
import { builtProgram, defaultBinary } from '../sync/build';

export interface OwnerRecord {
  name: string;
  uid: string;
}

export interface PvcInfo {
  name: string;
  accessModes: string[];
}

export interface DevWorkloadInput {
  deployment: KubeObject & { spec?: Json };
  /** The Service being taken over. */
  service: Service;
  /** Every Service in the namespace: their selectors decide which labels are rewritten. */
  services: Service[];
  session: string;
  record: OwnerRecord;
  /** Runs this image in the main container instead of the original one (CI jobs testing a build). */
  image?: string;
  /** Claims the pod template mounts, as found in the namespace. */
  pvcs: PvcInfo[];
  /** Replace ReadWriteOnce claims by emptyDir volumes instead of refusing. */
  rwoAsEmptyDir?: boolean;
  /** The service's sync mapping, when it is synced: the copy runs under the restart supervisor. */
  sync?: ServiceSync;
  /** The debugger; `sync.debug` when absent, else detected. */
  debug?: DebugConfig;
  /** The session's data branch: the copy's database variables point at it instead of the original. */
  dataBranch?: DatabaseSource;
}

export interface DevWorkload {
  deployment: KubeObject & { spec: Json };
  service: Service;
  /** Labels changed on the copy's pods, with their original values. */
  rewritten: Record<string, string>;
  /** The debugger the copy runs with, when there is one. */
  debug?: DebugSpec;
  /** The container that runs the service's program (synced, debugged). */
  container: string;
  warnings: string[];
}

export function sessionLabels(session: string, role: Role, service?: string): Record<string, string> {
  return {
    [labels.session]: session,
    [labels.role]: role,
    ...(service ? { [labels.service]: service } : {}),
    [labels.managedBy]: managedBy,
  };
}

export function ownerReference(record: OwnerRecord) {
  return { apiVersion: 'v1', kind: 'ConfigMap', name: record.name, uid: record.uid };
}

/** Label keys that some Service in the namespace selects on. */
export function selectedLabelKeys(services: Service[]): Set<string> {
  const keys = new Set<string>();
  for (const s of services) for (const k of Object.keys(s.spec?.selector ?? {})) keys.add(k);
  return keys;
}

const copyValue = (value: string) => `${value.slice(0, 55).replace(/[-_.]+$/, '')}-devlane`;

/** Template labels with every selected key given a value no selector uses; keys that still match something are dropped. */
export function rewriteLabels(
  template: Record<string, string>,
  services: Service[],
): { labels: Record<string, string>; rewritten: Record<string, string> } {
  const keys = selectedLabelKeys(services);
  const out: Record<string, string> = {};
  const rewritten: Record<string, string> = {};
  for (const [k, v] of Object.entries(template)) {
    if (k.startsWith(keyPrefix)) continue;
    if (keys.has(k)) {
      rewritten[k] = v;
      out[k] = copyValue(v);
    } else out[k] = v;
  }
  // A Service that happens to select the rewritten values: drop the keys it uses.
  for (const s of services)
    if (matchesServiceSelector(s.spec?.selector, out)) for (const k of Object.keys(s.spec!.selector!)) delete out[k];
  return { labels: out, rewritten };
}

/** The container the Service sends traffic to (by target port number or name), else the first. */
export function mainContainerIndex(containers: Json[], service: Service): number {
  for (const p of service.spec?.ports ?? []) {
    const target = p.targetPort ?? p.port;
    const i = containers.findIndex((c) =>
      (c.ports ?? []).some(
        (cp: Json) => cp.containerPort === target || (typeof target === 'string' && cp.name === target),
      ),
    );
    if (i >= 0) return i;
  }
  return 0;
}

function devVolumes(
  volumes: Json[],
  pvcs: PvcInfo[],
  rwoAsEmptyDir: boolean,
  deploymentName: string,
): { volumes: Json[]; warnings: string[] } {
  const warnings: string[] = [];
  const blocked: string[] = [];
  const out = volumes.map((v) => {
    const claim = v.persistentVolumeClaim?.claimName as string | undefined;
    if (!claim) return v;
    const modes = pvcs.find((p) => p.name === claim)?.accessModes ?? [];
    // A claim that many pods may mount is shared as it is; only single-writer claims are a problem.
    if (modes.includes('ReadWriteMany') || modes.includes('ReadOnlyMany')) return v;
    if (!modes.includes('ReadWriteOnce') && !modes.includes('ReadWriteOncePod')) return v;
    if (!rwoAsEmptyDir) {
      blocked.push(`volume "${v.name}" (claim ${claim}, ${modes.join(', ')})`);
      return v;
    }
    warnings.push(
      `volume "${v.name}" uses claim ${claim} (${modes.join(', ')}), which ${deploymentName} holds; the copy gets an empty emptyDir instead`,
    );
    return { name: v.name, emptyDir: {} };
  });
  if (blocked.length) {
    throw new SessionError(
      'volume',
      `${deploymentName} mounts ReadWriteOnce storage that its own pod holds, so a copy cannot share it: ${blocked.join('; ')}`,
      'Nothing was created. Start again with an empty volume in its place (--rwo-as-emptydir, or "Use emptyDir" in the editor), or give the claim ReadWriteMany access.',
      { volumes: blocked },
    );
  }
  return { volumes: out, warnings };
}

export function buildDevWorkload(input: DevWorkloadInput): DevWorkload {
  const { deployment, service, session, record } = input;
  const name = deployment.metadata.name;
  const ns = deployment.metadata.namespace!;
  const svcName = service.metadata.name;
  const template: Json = structuredClone(deployment.spec?.template ?? {});
  const podSpec: Json = template.spec ?? {};
  if (!Array.isArray(podSpec.containers) || podSpec.containers.length === 0) {
    throw new SessionError(
      'unsupported',
      `Deployment ${ns}/${name} has no containers to copy`,
      'Nothing was created. Check the Deployment.',
    );
  }
  const { labels: copyLabels, rewritten } = rewriteLabels(template.metadata?.labels ?? {}, input.services);
  const own = sessionLabels(session, 'dev', svcName);
  const podLabels = { ...copyLabels, ...own };
  const warnings: string[] = [];

  const main = input.sync?.container
    ? namedContainerIndex(podSpec.containers, input.sync.container, `Deployment ${ns}/${name}`)
    : mainContainerIndex(podSpec.containers, service);
  podSpec.containers = podSpec.containers.map((c: Json, i: number) => {
    const copy: Json = { ...c };
    delete copy.livenessProbe;
    // Host ports would collide with the original pod on the same node.
    if (copy.ports) copy.ports = copy.ports.map((p: Json) => ({ ...p, hostPort: undefined }));
    copy.env = [
      ...(c.env ?? []).filter((e: Json) => e.name !== 'DEVLANE_SESSION'),
      { name: 'DEVLANE_SESSION', value: session },
    ];
    if (i === main && (input.image ?? input.sync?.devImage)) copy.image = input.image ?? input.sync?.devImage;
    return JSON.parse(JSON.stringify(copy));
  });
  if (input.dataBranch) podSpec.containers = pointAtBranch(podSpec.containers, input.dataBranch, session);
  if (podSpec.volumes) {
    const v = devVolumes(podSpec.volumes, input.pvcs, !!input.rwoAsEmptyDir, `Deployment ${ns}/${name}`);
    podSpec.volumes = v.volumes;
    warnings.push(...v.warnings);
  }
  delete podSpec.nodeName;
  const dev = developContainer(podSpec, main, input, warnings);
  if (input.sync) refuseSharedRemotePath(podSpec, dev, input.sync.remotePath, `Deployment ${ns}/${name}`);

  const meta = (role: Role) => ({
    namespace: ns,
    labels: sessionLabels(session, role, svcName),
    ownerReferences: [ownerReference(record)],
  });
  const devName = devWorkloadName(svcName, session);
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: devName,
      ...meta('dev'),
      annotations: {
        [annotations.copyOf]: `Deployment/${name}`,
        [annotations.rewrittenLabels]: JSON.stringify(rewritten),
      },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: own },
      // A developer restarts often; do not keep old ReplicaSets around.
      revisionHistoryLimit: 0,
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            ...Object.fromEntries(
              Object.entries((template.metadata?.annotations ?? {}) as Record<string, string>).filter(
                ([k]) => k !== debugAnnotation && k !== annotations.sync,
              ),
            ),
            [annotations.copyOf]: `Deployment/${name}`,
            ...(dev.debug ? { [debugAnnotation]: debugAnnotationValue(dev.debug) } : {}),
            ...(input.sync
              ? {
                  [annotations.sync]: syncAnnotationValue({
                    container: dev.container,
                    remotePath: input.sync.remotePath,
                    action: input.sync.action,
                    ownVolumes: dev.ownVolumes,
                  }),
                }
              : {}),
          },
        },
        spec: podSpec,
      },
    },
  };
  const devSvc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: devServiceName(svcName, session), ...meta('dev-service') },
    spec: {
      selector: own,
      ports: (service.spec?.ports ?? []).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: p.protocol ?? 'TCP',
      })),
    },
  };
  return {
    deployment: dep,
    service: devSvc,
    rewritten,
    warnings,
    container: dev.container,
    ...(dev.debug ? { debug: dev.debug } : {}),
  };
}

function namedContainerIndex(containers: Json[], name: string, what: string): number {
  const i = containers.findIndex((c) => c.name === name);
  if (i < 0)
    throw new SessionError(
      'invalid',
      `.vscode/devlane.json names container "${name}", but ${what} has ${containers.map((c) => `"${c.name}"`).join(', ')}`,
      'Nothing was created. Fix "container" in .vscode/devlane.json, or remove it to use the container the Service targets.',
    );
  return i;
}

/** The program the container runs, as written in the pod spec; `run` from the config when the spec names none. */
function programOf(c: Json, run: string[] | undefined): string[] | undefined {
  if (Array.isArray(c.command) && c.command.length) return [...c.command, ...(c.args ?? [])];
  return run?.length ? [...run] : undefined;
}

/** Changes the main container for development (see the header); returns the debugger it runs with. */
function developContainer(
  podSpec: Json,
  main: number,
  input: DevWorkloadInput,
  warnings: string[],
): { debug?: DebugSpec; container: string; ownVolumes: string[] } {
  const c: Json = podSpec.containers[main];
  const cname = c.name as string;
  const build = input.sync?.action === 'build';
  // A built program runs only after the first sync and build, which follow the start: the copy is
  // Ready once its container runs (the start cannot wait on a program that is not there yet).
  if (build) delete c.startupProbe;
  if (c.readinessProbe && !build) {
    if (!c.startupProbe) {
      // Checked each second, so the copy is Ready within a second of listening; allow a slow start
      // as long as the original's readiness would, and no less than five minutes.
      const period = c.readinessProbe.periodSeconds ?? 10;
      c.startupProbe = {
        ...c.readinessProbe,
        periodSeconds: 1,
        successThreshold: 1,
        failureThreshold: Math.max((c.readinessProbe.failureThreshold ?? 3) * period, 300),
      };
    }
  }
  delete c.readinessProbe;
  let argv = build ? builtProgram(c, input.sync!) : programOf(c, input.sync?.run);
  if (build) setEnv(c, 'DEVLANE_PROGRAM', input.sync?.binary ?? defaultBinary);
  let debug: DebugSpec | undefined;
  const ownVolumes: string[] = [];
  const cfg = input.debug ?? input.sync?.debug ?? { runtime: 'auto' };
  const runtime =
    cfg.runtime === 'off'
      ? undefined
      : cfg.runtime === 'auto'
        ? detectRuntime(c.image, argv, { builtBinary: build ? (input.sync?.binary ?? defaultBinary) : undefined })
        : cfg.runtime;
  if (runtime) {
    const port = cfg.port ?? defaultDebugPort(runtime);
    const env: Json[] = c.env ?? [];
    const launch = argv
      ? debugLaunch(runtime, argv, port, (name) => {
          const e = env.find((v) => v.name === name);
          const fromElsewhere = e?.valueFrom ? 'valueFrom' : !e && (c.envFrom ?? []).length ? 'envFrom' : undefined;
          return { value: e?.value, fromElsewhere };
        })
      : {
          problem:
            'the container names no command (the image\'s entrypoint is not visible in the pod spec); set "run" for this service in .vscode/devlane.json',
        };
    if (launch.problem) {
      if (cfg.runtime !== 'auto') warnings.push(`No debugger in the copy of container "${cname}": ${launch.problem}`);
    } else {
      argv = launch.argv;
      for (const [k, v] of Object.entries(launch.env ?? {}))
        c.env = [...(c.env ?? []).filter((e: Json) => e.name !== k), { name: k, value: v }];
      debug = { runtime, port, container: cname };
      // The restart supervisor waits for this port to be free before it starts the program again.
      c.env = [
        ...(c.env ?? []).filter((e: Json) => e.name !== 'DEVLANE_DEBUG_PORT'),
        { name: 'DEVLANE_DEBUG_PORT', value: String(port) },
      ];
    }
  }
  const action = input.sync?.action;
  if (input.sync && (argv || action === 'restart' || action === 'signal')) {
    let sup: { command: string[]; args: string[] };
    try {
      sup = supervisedContainer(argv ? { command: argv } : {});
    } catch (err) {
      if (err instanceof SupervisorError)
        throw new SessionError(
          'invalid',
          `${input.deployment.metadata.name}: ${err.message.replace(/\.$/, '')}`,
          'Nothing was created.',
        );
      throw err;
    }
    c.command = sup.command;
    c.args = sup.args;
    const mounts: Json[] = c.volumeMounts ?? [];
    if (!mounts.some((m) => m.mountPath === defaultRunDir)) {
      const vol = uniqueVolumeName(podSpec.volumes ?? [], 'devlane-run');
      podSpec.volumes = [...(podSpec.volumes ?? []), { name: vol, emptyDir: {} }];
      ownVolumes.push(vol);
      c.volumeMounts = [...mounts, { name: vol, mountPath: defaultRunDir }];
    }
    const remote = input.sync.remotePath;
    const onVolume = mounts.some(
      (m) => remote === m.mountPath || remote.startsWith(`${m.mountPath.replace(/\/$/, '')}/`),
    );
    if (c.securityContext?.readOnlyRootFilesystem && !onVolume) {
      c.securityContext = { ...c.securityContext, readOnlyRootFilesystem: false };
      warnings.push(
        `Container "${cname}" has a read-only root filesystem and ${remote} is on it: the copy runs with a writable root so that sync can write there`,
      );
    }
  } else if (debug && argv) {
    c.command = argv;
    delete c.args;
  }
  return { debug, container: cname, ownVolumes };
}

/** Sync would write into a volume other pods may share (production's among them): refused before anything is created. */
function refuseSharedRemotePath(
  podSpec: Json,
  dev: { container: string; ownVolumes: string[] },
  remotePath: string,
  what: string,
): void {
  const shared = mountsOfTarget(podSpec, dev.container, remotePath, dev.ownVolumes).shared;
  if (!shared) return;
  throw new SessionError(
    'invalid',
    `${what}: ${remotePath} in container "${dev.container}" is on the volume ${describeMount(shared)}, which other pods may share, so syncing into it would change their files too`,
    'Nothing was created. Set remotePath in .vscode/devlane.json to a folder on the container\'s own file system, or start without sync (--no-sync, or "Do not sync" in the editor).',
  );
}

function setEnv(c: Json, name: string, value: string): void {
  c.env = [...(c.env ?? []).filter((e: Json) => e.name !== name), { name, value }];
}

function uniqueVolumeName(volumes: Json[], want: string): string {
  let name = want;
  for (let n = 2; volumes.some((v) => v.name === name); n++) name = `${want}-${n}`;
  return name;
}
