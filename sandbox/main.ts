// The sandbox: a local cluster that speaks the Kubernetes API, for Devlane's tests, benchmarks
// and demo. It is its own program; src/ never imports it and reaches it only through a kubeconfig.
//
//   npm run sandbox [-- --kubeconfig PATH] [--state-dir DIR] [--empty]
//   npm run sandbox -- fault KIND [ARGS] [--kubeconfig PATH]     (see usage below)

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startApiServer } from './apiserver/server';
import { kubeconfigYaml } from './apiserver/kubeconfig';
import { Store } from './apiserver/store';
import { startControllers } from './controllers/index';
import type { Fault, PodNetwork } from './core/types';
import { applyManifests, demoManifestFiles, waitForDeployments } from './manifests';
import { sendFault, faultUsage, parseFault } from './fault-client';
import { acquireInstance } from './instance';
import { startNodeAgent } from './node/agent';
import { startServiceNetwork } from './net/services';
import { goVersion } from '../scripts/lib/go-build.mjs';

const REPO_ROOT = resolve(__dirname, '..', '..');
const NODE_NAME = 'sandbox-node';

interface Options {
  kubeconfig: string;
  stateDir?: string;
  empty: boolean;
}

function parseOptions(args: string[]): Options {
  const o: Options = { kubeconfig: resolve('.devlane/sandbox/kubeconfig'), empty: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--kubeconfig') o.kubeconfig = resolve(args[++i] ?? '');
    else if (a === '--state-dir') o.stateDir = resolve(args[++i] ?? '');
    else if (a === '--empty') o.empty = true;
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: sandbox [--kubeconfig PATH] [--state-dir DIR] [--empty]\n       sandbox fault KIND ...\n' +
          faultUsage(),
      );
      process.exit(0);
    } else {
      console.error(`sandbox: unknown argument "${a}". Nothing was started. Run with --help for the options.`);
      process.exit(2);
    }
  }
  return o;
}

function checkHost(empty: boolean): void {
  if (process.platform !== 'linux') {
    console.error(
      'sandbox: pods run as Linux processes in their own namespaces (bubblewrap), so the sandbox needs Linux.\n' +
        'Nothing was started. Use Devlane against a real cluster instead: point KUBECONFIG (or the devlane.kubeconfig setting) at it.',
    );
    process.exit(1);
  }
  if (!['/usr/bin/bwrap', '/bin/bwrap'].some(existsSync)) {
    console.error(
      'sandbox: bubblewrap (bwrap) is not installed; pods need it for their own network and mount namespaces.\n' +
        'Nothing was started. Install it (Debian/Ubuntu: apt-get install bubblewrap) and try again.',
    );
    process.exit(1);
  }
  if (!empty) {
    try {
      goVersion();
    } catch {
      console.error(
        "sandbox: Go is not installed; the demo shop's stock service is built from its source with it (sandbox/demo/src/stock).\n" +
          'Nothing was started. Install Go 1.22 or newer (https://go.dev/dl/, in /usr/local/go) and try again, or start with --empty.',
      );
      process.exit(1);
    }
  }
}

async function run(opts: Options): Promise<void> {
  checkHost(opts.empty);
  const stateDir = opts.stateDir ?? join(dirname(opts.kubeconfig), 'state');
  const instance = acquireInstance(stateDir);
  const stops: (() => Promise<void> | void)[] = [() => instance.release()];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const s of stops.reverse()) {
        try {
          await s();
        } catch (err) {
          console.error(`sandbox: while stopping: ${(err as Error).message}`);
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stop().then(() => process.exit(0));
    });
  }

  try {
    const store = new Store();
    // Late-bound: the Service network and the node agent each need the other.
    const pods: { agent?: PodNetwork } = {};
    const podNetwork: PodNetwork = {
      connect: (ip, host, port) => {
        if (!pods.agent)
          return Promise.reject(Object.assign(new Error('node agent not started'), { code: 'EHOSTUNREACH' }));
        return pods.agent.connect(ip, host, port);
      },
    };
    let nodeFault: (f: Fault) => void = () => {};
    const streams = { current: undefined as undefined | import('./core/types').PodStreams };
    const api = await startApiServer({
      store,
      nodeName: NODE_NAME,
      stateDir: join(stateDir, 'apiserver'),
      onFault: (f) => nodeFault(f),
      pods: {
        log: (...a) => streams.current!.log(...a),
        exec: (...a) => streams.current!.exec(...a),
        portforward: (...a) => streams.current!.portforward(...a),
      },
    });
    stops.push(() => api.close());
    // Written at once, so that the cluster can be looked at with kubectl while the demo starts.
    mkdirSync(dirname(opts.kubeconfig), { recursive: true });
    writeFileSync(opts.kubeconfig, kubeconfigYaml(api), { mode: 0o600 });
    const services = await startServiceNetwork({
      store,
      stateDir: join(stateDir, 'net'),
      block: instance.block,
      pods: podNetwork,
    });
    stops.push(() => services.stop());
    const agent = await startNodeAgent({
      api: store,
      nodeName: NODE_NAME,
      stateDir: join(stateDir, 'node'),
      imagesDir: join(REPO_ROOT, 'sandbox/images'),
      block: instance.block,
      services,
    });
    pods.agent = agent;
    streams.current = agent.streams;
    nodeFault = (f) => agent.fault(f);
    stops.push(() => agent.stop());
    const controllers = startControllers(store, {
      apiserver: { host: '127.0.0.1', port: Number(new URL(api.url).port) },
      caCertPem: api.caCertPem,
    });
    stops.push(() => controllers.stop());

    if (!opts.empty) {
      const files = demoManifestFiles(REPO_ROOT);
      const created = applyManifests(store, files);
      await waitForDeployments(store, created, 180_000, (msg) => console.log(`sandbox: ${msg}`));
    }
    console.log(`sandbox ready: kubeconfig=${opts.kubeconfig}`);
  } catch (err) {
    console.error(`sandbox: could not start: ${(err as Error).stack ?? err}\nEverything it had started was stopped.`);
    await stop();
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === 'fault') {
    const rest = args.slice(1);
    let kubeconfig = resolve('.devlane/sandbox/kubeconfig');
    const i = rest.indexOf('--kubeconfig');
    if (i >= 0) {
      kubeconfig = resolve(rest[i + 1] ?? '');
      rest.splice(i, 2);
    }
    const fault = parseFault(rest);
    await sendFault(kubeconfig, fault);
    console.log(`fault ${fault.kind} injected`);
    return;
  }
  await run(parseOptions(args));
}

main().catch((err) => {
  console.error(`sandbox: ${(err as Error).message}`);
  process.exit(1);
});
