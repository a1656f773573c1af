// The one test command: `npm test` (every suite) or `npm test -- unit|integration|e2e`.
// Builds the bundles, starts a sandbox cluster unless DEVLANE_TEST_KUBECONFIG names a real one,
// runs every selected test file in ONE `node --test` run (so the output ends with one summary),
// then stops the sandbox by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length ? wanted : ['unit', 'integration', 'e2e'];
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.test.js') ? [p] : [];
  }).sort();
}

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
// The end-to-end suite installs the packaged extension, as a user does: package it from this build.
if (suites.includes('e2e')) {
  const pack = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (pack.status !== 0) process.exit(pack.status ?? 1);
}

const testFiles = suites.flatMap((s) => files(join(root, 'out/test', s)));
if (testFiles.length === 0) {
  console.error(`no test files for ${suites.join(', ')} under out/test/`);
  process.exit(1);
}

const env = { ...process.env };
let sandbox;
let sandboxDir;
const needsCluster = suites.some((s) => s !== 'unit');
if (needsCluster && !env.DEVLANE_TEST_KUBECONFIG) {
  sandboxDir = mkdtempSync(join(tmpdir(), 'devlane-test-sandbox-'));
  const kubeconfig = join(sandboxDir, 'kubeconfig');
  // The sandbox's own output goes to a file, so that the runner's summary stays the last thing printed.
  mkdirSync(join(root, 'test-results'), { recursive: true });
  const logPath = join(root, 'test-results/sandbox.log');
  const log = openSync(logPath, 'w');
  console.log(`starting a sandbox for the integration tests (its log: ${logPath})`);
  sandbox = spawn(process.execPath, ['--enable-source-maps', join(root, 'out/sandbox/main.js'), '--kubeconfig', kubeconfig, '--state-dir', join(sandboxDir, 'state')], {
    stdio: ['ignore', log, log],
  });
  await new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (readFileSync(logPath, 'utf8').includes('sandbox ready:')) {
        clearInterval(poll);
        resolve();
      }
    }, 100);
    sandbox.on('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`the sandbox exited (${code}) before it was ready:\n${readFileSync(logPath, 'utf8').slice(-4000)}`));
    });
  }).catch((e) => { console.error(e.message); process.exit(1); });
  env.DEVLANE_TEST_KUBECONFIG = kubeconfig;
  env.DEVLANE_TEST_SANDBOX = '1';
}

const stopSandbox = async () => {
  if (!sandbox || sandbox.exitCode !== null) return;
  const exited = new Promise((r) => sandbox.once('exit', r));
  sandbox.kill('SIGTERM');
  const timer = setTimeout(() => sandbox.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
  if (sandboxDir) rmSync(sandboxDir, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stopSandbox().then(() => process.exit(130)));

// A test file whose tests are done but which leaves a handle open would otherwise hang the run,
// and a hung test would hold CI until its deadline: force the exit and bound each test.
const runner = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-force-exit', '--test-timeout=600000', ...passthrough, ...testFiles], { stdio: 'inherit', env, cwd: root });
const code = await new Promise((r) => runner.on('exit', (c, s) => r(c ?? (s ? 1 : 0))));
await stopSandbox();
process.exit(code);
