// For integration tests of src/cluster/ against an API server: `npm test` runs them on the sandbox
// and on a real upstream Kubernetes cluster (see target.ts), or on the one cluster
// DEVLANE_TEST_KUBECONFIG names. Fixtures are
// made with client-node directly (independent of the code under test) in a namespace per test,
// and everything a test creates is deleted with that namespace.
import { onRealCluster } from './target';
import * as https from 'node:https';
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { KubeClusters } from '../../src/cluster/clusters';
import type { Logger } from '../../src/core/logger';
import { bindDevelopers } from './kubectl';
import { prerequisite } from './prerequisite';
import type { Fault } from '../../sandbox/core/types';

export const kubeconfigPath = process.env.DEVLANE_TEST_KUBECONFIG;
export const isSandbox = process.env.DEVLANE_TEST_SANDBOX === '1';
/** The context fixtures are made as; the sandbox's admin unless a real cluster names another. */
export const testContext = process.env.DEVLANE_TEST_CONTEXT_ADMIN ?? 'sandbox-admin';
/** The context the product runs as: a developer bound to exactly Devlane's shipped Role (bindDevelopers). */
export const developerContext = process.env.DEVLANE_TEST_CONTEXT_ALICE ?? 'sandbox-alice';

/**
 * Why there is no cluster to test against, or false. On a developer's machine the tests that need
 * one skip with this reason; under CI=true, where `npm test` always starts one, it throws
 * (test/helpers/prerequisite.ts), so a run that tested nothing on a cluster cannot pass.
 */
export function clusterMissing(path: string | undefined = kubeconfigPath): string | false {
  return prerequisite(path ? false : 'DEVLANE_TEST_KUBECONFIG is not set (npm test -- integration sets it)');
}

/** `it(name, needsCluster, ...)`: skipped, saying why, when no cluster is configured (asked when the test is declared). */
export const needsCluster = {
  get skip(): string | false {
    return clusterMissing();
  },
};
/** Fault injection exists only in the sandbox. */
export const needsSandbox = {
  get skip(): string | false {
    return clusterMissing() || (isSandbox ? false : 'needs the sandbox (fault injection)');
  },
};
/**
 * The routing strategy Devlane picks for a shop made with `{ istio }`. The sandbox emulates Istio's
 * mesh in a namespace labelled for injection; the real cluster serves Istio's CRDs but runs no
 * sidecars, so there Devlane rightly routes a labelled namespace with its own router.
 */
export const expectedStrategy = (istio: boolean): 'istio' | 'router' => (istio && !onRealCluster ? 'istio' : 'router');
/**
 * For a test's Istio variant: the sandbox emulates the mesh; on the real cluster (Istio's CRDs, no
 * sidecars) a labelled namespace gets the router, which the router variant already covers.
 */
export const needsMesh = {
  get skip(): string | false {
    return (
      clusterMissing() ||
      (onRealCluster
        ? "Istio's routing: the sandbox emulates the mesh; the real cluster has Istio's CRDs but no data plane (its labelled namespaces get the router, as the router variant tests)"
        : false)
    );
  },
};

/** A logger that keeps its lines, so a test can assert on what the code reported. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  trace(m: string) {
    this.lines.push(`trace ${m}`);
  }
  debug(m: string) {
    this.lines.push(`debug ${m}`);
  }
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string | Error) {
    this.lines.push(`error ${String(m)}`);
  }
}

/** The code under test, reading the test kubeconfig as the devlane.kubeconfig setting would. */
export function openClusters(
  logger: Logger = new MemoryLogger(),
  informer: { batchMs?: number } = { batchMs: 5 },
): KubeClusters {
  if (!kubeconfigPath) throw new Error('DEVLANE_TEST_KUBECONFIG is not set');
  return new KubeClusters({ setting: () => kubeconfigPath, env: {} }, { logger, idleMs: 0, informer });
}

export function adminConfig(): KubeConfig {
  if (!kubeconfigPath) throw new Error('DEVLANE_TEST_KUBECONFIG is not set');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  kc.setCurrentContext(testContext);
  return kc;
}

export function coreApi(): CoreV1Api {
  return adminConfig().makeApiClient(CoreV1Api);
}

/** The sandbox's own fault type, so that a fault it adds is one the tests can ask for. */
export type { Fault };

/** Injects a sandbox fault, as the admin user (POST <server>/sandbox/v1/faults). */
export async function fault(f: Fault): Promise<void> {
  const kc = adminConfig();
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(`${kc.getCurrentCluster()!.server.replace(/\/+$/, '')}/sandbox/v1/faults`);
  const body = JSON.stringify(f);
  const mod = url.protocol === 'https:' ? https : http;
  await new Promise<void>((resolve, reject) => {
    const req = mod.request(
      url,
      { ...opts, method: 'POST', headers: { ...opts.headers, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`fault ${f.kind}: the sandbox answered ${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A namespace for one test; `dispose()` deletes it and so everything created in it. */
export class TestNamespace {
  private constructor(
    readonly name: string,
    private readonly api: CoreV1Api,
  ) {}

  static async create(prefix = 'dl-it'): Promise<TestNamespace> {
    const api = coreApi();
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await api.createNamespace({ body: { metadata: { name, labels: { 'devlane.dev/test': 'true' } } } });
    bindDevelopers(name);
    return new TestNamespace(name, api);
  }

  createService(name: string, selector: Record<string, string>, port = 80): Promise<V1Service> {
    return this.api.createNamespacedService({
      namespace: this.name,
      body: { metadata: { name }, spec: { selector, ports: [{ port, targetPort: 8080 }] } },
    });
  }

  deleteService(name: string): Promise<unknown> {
    return this.api.deleteNamespacedService({ name, namespace: this.name });
  }

  async serviceNames(): Promise<string[]> {
    const list = await this.api.listNamespacedService({ namespace: this.name });
    return list.items.map((s) => s.metadata!.name!).sort();
  }

  /** A pod running `node -e SCRIPT` (image node:20; the sandbox runs the host's node for it). */
  createNodePod(
    name: string,
    script: string,
    labels: Record<string, string> = { app: name },
    port?: number,
  ): Promise<V1Pod> {
    return this.api.createNamespacedPod({
      namespace: this.name,
      body: {
        metadata: { name, labels },
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: 'node:20',
              command: ['node', '-e', script],
              ...(port ? { ports: [{ containerPort: port }] } : {}),
            },
          ],
        },
      },
    });
  }

  readPod(name: string): Promise<V1Pod> {
    return this.api.readNamespacedPod({ name, namespace: this.name });
  }

  async dispose(): Promise<void> {
    await this.api.deleteNamespace({ name: this.name }).catch(() => {});
  }
}

/** Polls until `check` returns something truthy; fails with `what` and the last error after timeoutMs. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
