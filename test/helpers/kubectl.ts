// Runs the real kubectl against the cluster under test (the sandbox, or any cluster named by
// DEVLANE_TEST_KUBECONFIG), and creates throw-away namespaces that are deleted afterwards.

import './target';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const kubeconfig = (): string => {
  const k = process.env.DEVLANE_TEST_KUBECONFIG;
  if (!k)
    throw new Error(
      'DEVLANE_TEST_KUBECONFIG is not set: run the integration tests with `npm test -- integration` (it starts a sandbox), or set it to a kubeconfig',
    );
  return k;
};
export const isSandbox = (): boolean => process.env.DEVLANE_TEST_SANDBOX === '1';

/** Context names: the sandbox's, or a real cluster's given by environment (an admin and two developers bound to Devlane's Role). */
export const contexts = {
  admin: process.env.DEVLANE_TEST_CONTEXT_ADMIN ?? 'sandbox-admin',
  alice: process.env.DEVLANE_TEST_CONTEXT_ALICE ?? 'sandbox-alice',
  bob: process.env.DEVLANE_TEST_CONTEXT_BOB ?? 'sandbox-bob',
};

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl as the admin unless `--context` is among the args. Never throws; look at `code`. */
export function kubectl(args: string[], opts: { input?: string; context?: string; timeoutMs?: number } = {}): Result {
  const ctx = opts.context ?? contexts.admin;
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig(), '--context', ctx, ...args], {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** kubectl that must succeed; throws with its stderr otherwise. */
export function kubectlOk(args: string[], opts: { input?: string; context?: string; timeoutMs?: number } = {}): string {
  const r = kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kubectlJson<T = any>(args: string[], opts: { context?: string } = {}): T {
  return JSON.parse(kubectlOk([...args, '-o', 'json'], opts)) as T;
}

/** A running kubectl (get -w, logs -f): collect its output until stopped. */
export function kubectlStream(args: string[], context = contexts.admin) {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig(), '--context', context, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return {
    output: () => out,
    errors: () => err,
    /** Resolves when the output satisfies `test`; rejects after timeoutMs with what was seen. */
    waitFor(test: (out: string) => boolean, timeoutMs = 60_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const t = setInterval(() => {
          if (test(out)) {
            clearInterval(t);
            resolve();
          } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
            clearInterval(t);
            reject(new Error(`kubectl ${args.join(' ')}: expected output not seen.\nstdout: ${out}\nstderr: ${err}`));
          }
        }, 100);
      });
    },
    stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      });
    },
  };
}

/**
 * Binds the developers alice and bob in `namespace` to exactly the Role Devlane ships (the demo's
 * devlane-developer ClusterRole, sandbox/demo/manifests/rbac.yaml, the README's "Permissions"), so
 * that the product runs under test with the rights a user is told to grant, no more.
 */
export function bindDevelopers(namespace: string): void {
  kubectlOk([
    'create',
    'rolebinding',
    'devlane-developer',
    '-n',
    namespace,
    '--clusterrole=devlane-developer',
    '--user=alice',
    '--user=bob',
  ]);
}

/** Creates a namespace with a random name; returns it and a cleanup that deletes it and waits. */
export function tempNamespace(prefix = 'dl-test'): { name: string; cleanup: () => void } {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  kubectlOk(['create', 'namespace', name]);
  return {
    name,
    cleanup: () => void kubectl(['delete', 'namespace', name, '--wait=true', '--timeout=120s'], { timeoutMs: 130_000 }),
  };
}

/** Polls `check` until it returns a truthy value; throws with `what` after timeoutMs. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
