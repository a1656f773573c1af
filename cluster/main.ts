// The real cluster: upstream Kubernetes (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kubelet, kube-proxy in nftables mode, CoreDNS) and Traefik as its Gateway API
// data plane, built from source here, on Debian's containerd, runc and CNI plugins, on one bridge
// of this machine. Its own program, like the sandbox: src/ never imports it and reaches it only
// through the kubeconfig it writes.
//
//   npm run cluster [-- --kubeconfig PATH] [--state-dir DIR] [--empty] [--build-only]

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildBinaries, type Binaries } from './build';
import {
  NET,
  PORTS,
  apiserverUrl,
  bootstrapManifests,
  cniConfig,
  containerdConfig,
  corefile,
  kubeProxyConfig,
  kubeconfig,
  kubeletConfig,
  NODE_NAME,
} from './config';
import { get, kubectl } from './http';
import { buildImages, PAUSE_IMAGE } from './images';
import { acquireLock, cleanUp, leftovers, type Lock } from './leftovers';
import { setUpNetwork } from './network';
import { makePki, type Pki } from './pki';
import { Procs } from './procs';
import { applyCustomResourceDefinitions } from './crds';
import { startGateway } from './gateway';

const REPO_ROOT = resolve(__dirname, '..', '..');

interface Options {
  kubeconfig: string;
  stateDir?: string;
  empty: boolean;
  buildOnly: boolean;
}

function parseOptions(args: string[]): Options {
  const o: Options = { kubeconfig: resolve('.devlane/cluster/kubeconfig'), empty: false, buildOnly: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--kubeconfig') o.kubeconfig = resolve(args[++i] ?? '');
    else if (a === '--state-dir') o.stateDir = resolve(args[++i] ?? '');
    else if (a === '--empty') o.empty = true;
    else if (a === '--build-only') o.buildOnly = true;
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: cluster [--kubeconfig PATH] [--state-dir DIR] [--empty] [--build-only]\n' +
          '  Builds (once, cached) and starts a single-node upstream Kubernetes on this machine; Ctrl+C stops it and removes everything it made.',
      );
      process.exit(0);
    } else {
      console.error(`cluster: unknown argument "${a}". Nothing was started. Run with --help for the options.`);
      process.exit(2);
    }
  }
  return o;
}

const say = (m: string) => console.log(`cluster: ${m}`);

function checkHost(): void {
  const missing: string[] = [];
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.error(
      'cluster: the real cluster runs a kubelet, containerd and network namespaces, so it needs Linux and root.\n' +
        'Nothing was started. Run it as root, or use the sandbox (npm run sandbox), which needs neither.',
    );
    process.exit(1);
  }
  const need: [string, string][] = [
    ['/usr/bin/containerd', 'containerd'],
    ['/usr/sbin/runc', 'runc'],
    ['/usr/lib/cni/bridge', 'containernetworking-plugins'],
    ['/usr/sbin/nft', 'nftables'],
    ['/usr/bin/openssl', 'openssl'],
    ['/bin/busybox', 'busybox-static'],
    ['/usr/sbin/conntrack', 'conntrack'],
    ['/usr/bin/kubectl', 'kubectl (a client of any recent release)'],
  ];
  for (const [path, pkg] of need) if (!existsSync(path)) missing.push(pkg);
  if (missing.length) {
    console.error(
      `cluster: missing: ${missing.join(', ')}. Nothing was started.\nInstall them (Debian: apt-get install ${missing.filter((m) => !m.includes(' ')).join(' ')}) and try again.`,
    );
    process.exit(1);
  }
}

async function run(opts: Options): Promise<void> {
  checkHost();
  if (opts.buildOnly) {
    const b = buildBinaries(REPO_ROOT, say);
    await buildImages(REPO_ROOT, join(dirname(b.pause), '..', 'images'), b.pause, say);
    say('every program and image is built');
    return;
  }
  const state = opts.stateDir ?? join(dirname(opts.kubeconfig), 'state');
  const lock: Lock = acquireLock(state);
  const left = leftovers(state);
  if (left.length) {
    say(`a previous run was killed and left: ${left.join('; ')}. Removing them first.`);
    await cleanUp(state, undefined);
  }
  const procs = new Procs(join(state, 'logs'));
  let stopping: Promise<void> | undefined;
  let binaries: Binaries | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      say('stopping');
      await cleanUp(state, { procs, crictl: binaries?.crictl });
      lock.release();
      say('stopped; nothing is left');
    })();
    return stopping;
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(0)));

  try {
    binaries = buildBinaries(REPO_ROOT, say);
    const images = await buildImages(REPO_ROOT, join(dirname(binaries.pause), '..', 'images'), binaries.pause, say);
    const started = Date.now();
    for (const d of ['logs', 'cni/net.d', 'etc', 'kubelet']) mkdirSync(join(state, d), { recursive: true });
    const pki = makePki(join(state, 'pki'), {
      ips: [NET.gateway, NET.kubernetesServiceIp, '127.0.0.1'],
      names: [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
    });
    const cfg = (name: string, text: string) => {
      const p = join(state, 'etc', name);
      writeFileSync(p, text, { mode: 0o600 });
      return p;
    };
    const kc = {
      admin: cfg('admin.kubeconfig', kubeconfig(pki, 'admin')),
      controllerManager: cfg('controller-manager.kubeconfig', kubeconfig(pki, 'controllerManager')),
      scheduler: cfg('scheduler.kubeconfig', kubeconfig(pki, 'scheduler')),
      kubelet: cfg('kubelet.kubeconfig', kubeconfig(pki, 'kubelet')),
      proxy: cfg('kube-proxy.kubeconfig', kubeconfig(pki, 'proxy')),
      coredns: cfg('coredns.kubeconfig', kubeconfig(pki, 'coredns')),
    };
    writeFileSync(
      join(state, 'resolv.conf'),
      '# Pods with dnsPolicy Default resolve nothing: the cluster forwards no name off this machine.\n',
    );
    writeFileSync(join(state, 'cni/net.d/10-devlane.conflist'), cniConfig(state));

    setUpNetwork(state);

    await startControlPlane(procs, binaries, pki, state, kc.admin, kc.controllerManager, kc.scheduler);
    await startNode(procs, binaries, pki, state, kc, images);

    mkdirSync(dirname(opts.kubeconfig), { recursive: true });
    writeFileSync(opts.kubeconfig, kubeconfig(pki, 'people'), { mode: 0o600 });
    await applyCustomResourceDefinitions(REPO_ROOT, kc.admin, say);
    await startGateway(procs, binaries.traefik, pki, state, kc.admin, say);
    say(`Kubernetes is up in ${((Date.now() - started) / 1000).toFixed(1)} s (build excluded)`);
    if (!opts.empty) {
      // The demo shop's manifests, unchanged: namespaces and workloads first, then the RBAC bound in them.
      const dir = join(REPO_ROOT, 'sandbox/demo/manifests');
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort((a, b) => Number(a === 'rbac.yaml') - Number(b === 'rbac.yaml'));
      for (const f of files) await kubectl(kc.admin, ['apply', '-f', join(dir, f)]);
      for (const ns of ['shop', 'shop-plain'])
        await kubectl(kc.admin, [
          '-n',
          ns,
          'wait',
          '--for=condition=Available',
          'deployment',
          '--all',
          '--timeout=300s',
        ]);
    }
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (build excluded)`);
    console.log(`cluster ready: kubeconfig=${opts.kubeconfig}`);
    // A component that dies leaves a cluster that only looks alive: say which, stop, and fail.
    procs.onUnexpectedExit((p, code) => {
      console.error(
        `cluster: ${p.name} exited (${code}) while the cluster was running. The end of its log (${p.log}):\n${procs.tail(p)}\nStopping everything.`,
      );
      void stop().then(() => process.exit(1));
    });
  } catch (err) {
    console.error(
      `cluster: could not start: ${(err as Error).message}\nEverything it had started is being stopped and removed.`,
    );
    await stop();
    process.exit(1);
  }
}

async function startControlPlane(
  procs: Procs,
  b: Binaries,
  pki: Pki,
  state: string,
  admin: string,
  kcm: string,
  sched: string,
): Promise<void> {
  const etcd = procs.start('etcd', b.etcd, [
    '--name=devlane',
    `--data-dir=${state}/etcd`,
    `--listen-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
    `--initial-cluster=devlane=http://127.0.0.1:${PORTS.etcdPeer}`,
    '--listen-metrics-urls=',
    '--log-level=warn',
    // Tests create and delete thousands of objects; a single node needs no long history.
    '--auto-compaction-retention=5m',
    '--quota-backend-bytes=2147483648',
    '--unsafe-no-fsync',
  ]);
  await procs.waitFor(
    etcd,
    'its health endpoint answered',
    async () => (await get(`http://127.0.0.1:${PORTS.etcdClient}/health`)).status === 200,
  );
  const apiserver = procs.start('kube-apiserver', b['kube-apiserver'], [
    `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
    `--bind-address=${NET.gateway}`,
    `--advertise-address=${NET.gateway}`,
    `--secure-port=${PORTS.apiserver}`,
    `--service-cluster-ip-range=${NET.serviceCidr}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.ca}`,
    `--token-auth-file=${pki.tokensFile}`,
    '--authorization-mode=Node,RBAC',
    '--anonymous-auth=false',
    `--kubelet-client-certificate=${pki.kubeletClientCert}`,
    `--kubelet-client-key=${pki.kubeletClientKey}`,
    '--kubelet-preferred-address-types=InternalIP',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--allow-privileged=true',
    '--profiling=false',
    '--enable-priority-and-fairness=false',
    '--v=1',
  ]);
  await procs.waitFor(
    apiserver,
    'it was ready',
    async () => (await get(`${apiserverUrl}/readyz`, { ca: pki.ca, token: pki.tokens.admin })).status === 200,
  );
  const manifest = join(state, 'etc/bootstrap.yaml');
  writeFileSync(manifest, bootstrapManifests);
  await kubectl(admin, ['apply', '-f', manifest]);
  const controllers = procs.start('kube-controller-manager', b['kube-controller-manager'], [
    `--kubeconfig=${kcm}`,
    `--authentication-kubeconfig=${kcm}`,
    `--authorization-kubeconfig=${kcm}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${PORTS.controllerManager}`,
    '--leader-elect=false',
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.ca}`,
    '--use-service-account-credentials=true',
    `--cluster-signing-cert-file=${pki.ca}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    `--service-cluster-ip-range=${NET.serviceCidr}`,
    '--profiling=false',
    '--v=1',
  ]);
  const scheduler = procs.start('kube-scheduler', b['kube-scheduler'], [
    `--kubeconfig=${sched}`,
    `--authentication-kubeconfig=${sched}`,
    `--authorization-kubeconfig=${sched}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${PORTS.scheduler}`,
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ]);
  const healthy = (port: number) => async () =>
    (await get(`https://127.0.0.1:${port}/healthz`, { ca: pki.ca, token: pki.tokens.admin, insecure: true })).status ===
    200;
  await procs.waitFor(controllers, 'it was healthy', healthy(PORTS.controllerManager));
  await procs.waitFor(scheduler, 'it was healthy', healthy(PORTS.scheduler));
  // Pods can be created only once the service-account controller has made a namespace's account.
  await procs.waitFor(
    controllers,
    'the default ServiceAccount existed',
    async () => !!kubectlJson(admin, ['-n', 'default', 'get', 'serviceaccount', 'default']),
  );
}

async function startNode(
  procs: Procs,
  b: Binaries,
  pki: Pki,
  state: string,
  kc: Record<string, string>,
  images: { archive: string; refs: string[] }[],
): Promise<void> {
  const sock = join(state, 'containerd/containerd.sock');
  const containerdToml = join(state, 'etc/containerd.toml');
  writeFileSync(containerdToml, containerdConfig(state, PAUSE_IMAGE));
  const containerd = procs.start('containerd', '/usr/bin/containerd', ['--config', containerdToml]);
  await procs.waitFor(
    containerd,
    'its socket answered',
    async () => existsSync(sock) && execFileSync('ctr', ['-a', sock, 'version'], { stdio: 'ignore' }) !== undefined,
  );
  for (const img of images) {
    execFileSync(
      'ctr',
      ['-a', sock, '-n', 'k8s.io', 'images', 'import', '--no-unpack=false', '--snapshotter', 'overlayfs', img.archive],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }
  const kubeletYaml = join(state, 'etc/kubelet.yaml');
  writeFileSync(kubeletYaml, kubeletConfig(pki, state));
  const kubelet = procs.start('kubelet', b.kubelet, [
    `--config=${kubeletYaml}`,
    `--kubeconfig=${kc.kubelet}`,
    `--root-dir=${state}/kubelet`,
    `--cert-dir=${state}/kubelet/pki`,
    `--hostname-override=${NODE_NAME}`,
    `--node-ip=${NET.gateway}`,
    '--v=1',
  ]);
  const proxyYaml = join(state, 'etc/kube-proxy.yaml');
  writeFileSync(proxyYaml, kubeProxyConfig(kc.proxy));
  procs.start('kube-proxy', b['kube-proxy'], [`--config=${proxyYaml}`, '--v=1']);
  const corefilePath = join(state, 'etc/Corefile');
  writeFileSync(corefilePath, corefile(kc.coredns));
  const coredns = procs.start('coredns', b.coredns, ['-conf', corefilePath]);
  await procs.waitFor(
    kubelet,
    'the node was Ready',
    async () => {
      const node = kubectlJson(kc.admin, ['get', 'node', NODE_NAME]) as
        { status?: { conditions?: { type: string; status: string }[] } } | undefined;
      return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    },
    180_000,
  );
  await procs.waitFor(
    coredns,
    'it was ready',
    async () => (await get(`http://127.0.0.1:${PORTS.dnsReady}/ready`)).status === 200,
  );
}

function kubectlJson(kubeconfigPath: string, args: string[]): unknown {
  try {
    return JSON.parse(
      execFileSync('kubectl', ['--kubeconfig', kubeconfigPath, ...args, '-o', 'json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
  } catch {
    return undefined;
  }
}

run(parseOptions(process.argv.slice(2))).catch((err) => {
  console.error(`cluster: ${(err as Error).message}`);
  process.exit(1);
});
