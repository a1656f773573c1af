// Talks to the sandbox itself: fault injection, and starting extra instances for tests that
// need their own (lifecycle, a second instance). Tests using these skip on a real cluster.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Fault } from '../../sandbox/core/types';
import { sendFault } from '../../sandbox/fault-client';
import { kubeconfig } from './kubectl';

export function fault(f: Fault, kubeconfigPath = kubeconfig()): Promise<void> {
  return sendFault(kubeconfigPath, f);
}

/** The repository root: the nearest folder above this (bundled) test with Devlane's package.json. */
export const REPO = ((): string => {
  for (let dir = __dirname; dir !== resolve(dir, '..'); dir = resolve(dir, '..')) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'devlane') return dir;
    } catch {
      // not here
    }
  }
  throw new Error(`cannot find the Devlane repository above ${__dirname}`);
})();

export interface SandboxProcess {
  child: ChildProcess;
  kubeconfig: string;
  dir: string;
  output: () => string;
  stop(): Promise<number | null>;
}

/** Starts `out/sandbox/main.js` with its own kubeconfig and state dir; resolves once it prints its ready line. */
export async function startSandbox(args: string[] = ['--empty'], timeoutMs = 120_000): Promise<SandboxProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'devlane-sandbox-test-'));
  const kc = join(dir, 'kubeconfig');
  const child = spawn(
    process.execPath,
    [join(REPO, 'out/sandbox/main.js'), '--kubeconfig', kc, '--state-dir', join(dir, 'state'), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const proc: SandboxProcess = {
    child,
    kubeconfig: kc,
    dir,
    output: () => out,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r(child.exitCode);
        child.once('exit', (code) => {
          rmSync(dir, { recursive: true, force: true });
          r(code);
        });
        child.kill('SIGTERM');
      }),
  };
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`sandbox not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      if (out.includes('sandbox ready:')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`sandbox exited (${code}) before it was ready:\n${out}`));
    });
  }).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return proc;
}
