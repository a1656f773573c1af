// The one test command: `npm test` (every suite) or `npm test -- unit|integration|e2e`.
// Builds the bundles and, for the integration and end-to-end suites, starts two clusters: the
// sandbox, and the real cluster (upstream Kubernetes, `npm run cluster`; it needs Linux and root).
// Every integration and end-to-end file runs against each: as built (out/test/…) against the
// sandbox, and as a copy under out/test/real/ against the real cluster (test/helpers/target.ts).
// The two clusters' runs go side by side (the real cluster's output is printed when the sandbox's
// is done); the output ends with each run's counts — the product's tests on each cluster and the
// sandbox's own tests apart — and their sum. Both clusters are stopped by their PIDs. Where both
// clusters run, the differential check (test/differential/) compares them first, in one file.
//   DEVLANE_TEST_KUBECONFIG=PATH   run against that cluster only (no cluster is started)
//   DEVLANE_TEST_CLUSTERS=sandbox|real|both   which clusters to start (default both; on CI both)
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length ? wanted : ['unit', 'integration', 'e2e'];
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.test.js') ? [p] : [];
    })
    .sort();
}

// A test file deleted or moved in the source leaves its old bundle behind; it must not run.
rmSync(join(root, 'out/test'), { recursive: true, force: true });
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
// The end-to-end suite installs the packaged extension, as a user does: package it from this build.
if (suites.includes('e2e')) {
  const pack = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (pack.status !== 0) process.exit(pack.status ?? 1);
}

const env = { ...process.env };
const needsCluster = suites.some((s) => s !== 'unit');
const given = !!env.DEVLANE_TEST_KUBECONFIG;
const which = env.DEVLANE_TEST_CLUSTERS ?? 'both';
let runSandbox = needsCluster && !given && which !== 'real';
let runReal = needsCluster && !given && which !== 'sandbox';
if (runReal && (process.platform !== 'linux' || process.getuid?.() !== 0)) {
  const why = 'the real cluster needs Linux and root (it runs a kubelet, containerd and network namespaces)';
  if (env.CI === 'true') {
    console.error(`${why}; on CI every suite runs on both clusters. Nothing was tested.`);
    process.exit(1);
  }
  console.log(`not starting the real cluster: ${why}. The integration and end-to-end suites run on the sandbox only.`);
  runReal = false;
}

mkdirSync(join(root, 'test-results'), { recursive: true });
const started = [];

/** Starts a cluster program whose output goes to a log file, and waits for its `… ready:` line. */
function startCluster(name, script, readyLine, timeoutMs) {
  const dir = mkdtempSync(join(tmpdir(), `devlane-test-${name}-`));
  const kubeconfig = join(dir, 'kubeconfig');
  const logPath = join(root, `test-results/${name}.log`);
  const log = openSync(logPath, 'w');
  console.log(`starting the ${name} for the tests (its log: ${logPath})`);
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', join(root, script), '--kubeconfig', kubeconfig, '--state-dir', join(dir, 'state')],
    {
      stdio: ['ignore', log, log],
    },
  );
  const c = { name, child, dir, kubeconfig };
  started.push(c);
  const ready = new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = setInterval(() => {
      if (readFileSync(logPath, 'utf8').includes(readyLine)) {
        clearInterval(poll);
        resolve(c);
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        reject(
          new Error(
            `the ${name} was not ready after ${timeoutMs / 1000} s:\n${readFileSync(logPath, 'utf8').slice(-4000)}`,
          ),
        );
      }
    }, 200);
    child.on('exit', (code) => {
      clearInterval(poll);
      reject(
        new Error(`the ${name} exited (${code}) before it was ready:\n${readFileSync(logPath, 'utf8').slice(-4000)}`),
      );
    });
  });
  return ready;
}

async function stopClusters() {
  await Promise.all(
    started.map(async (c) => {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        const exited = new Promise((r) => c.child.once('exit', r));
        c.child.kill('SIGTERM');
        const timer = setTimeout(() => c.child.kill('SIGKILL'), 180_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(c.dir, { recursive: true, force: true });
    }),
  );
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stopClusters().then(() => process.exit(130)));

try {
  const waits = [];
  if (runSandbox) waits.push(startCluster('sandbox', 'out/sandbox/main.js', 'sandbox ready:', 300_000));
  if (runReal) {
    const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--only', 'cluster'], { stdio: 'inherit' });
    if (b.status !== 0) throw new Error('could not build the real cluster program');
    waits.push(startCluster('cluster', 'out/cluster/main.js', 'cluster ready:', 1_800_000));
  }
  for (const c of await Promise.all(waits)) {
    if (c.name === 'sandbox') {
      env.DEVLANE_TEST_KUBECONFIG = c.kubeconfig;
      env.DEVLANE_TEST_SANDBOX = '1';
    } else {
      env.DEVLANE_TEST_REAL_KUBECONFIG = c.kubeconfig;
      env.DEVLANE_TEST_REAL_CLUSTER_PID = String(c.child.pid);
      env.DEVLANE_TEST_REAL_CLUSTER_STATE = join(c.dir, 'state');
      if (!runSandbox) env.DEVLANE_TEST_KUBECONFIG = c.kubeconfig;
    }
  }
} catch (e) {
  console.error(e.message);
  await stopClusters();
  process.exit(1);
}

// The real cluster's copies: every integration and end-to-end file but the sandbox's own tests.
const realRoot = join(root, 'out/test/real');
rmSync(realRoot, { recursive: true, force: true });
const realSuites = runReal ? suites.filter((s) => s !== 'unit') : [];
const copy = (s) => {
  const from = join(root, 'out/test', s);
  if (existsSync(from))
    cpSync(from, join(realRoot, s), { recursive: true, filter: (src) => !src.startsWith(join(from, 'sandbox')) });
};
for (const s of realSuites) copy(s);
// The sandbox's own tests (test/*/sandbox/) are counted apart from the product's.
const isSandboxOwn = (f) =>
  f.includes(`${join('out/test')}/unit/sandbox/`) || f.includes(`${join('out/test')}/integration/sandbox/`);
const localSuites = runSandbox || given || !needsCluster ? suites : suites.filter((s) => s === 'unit');
const localFiles = localSuites.flatMap((s) => files(join(root, 'out/test', s)));
const target = runSandbox ? 'the sandbox' : given ? 'DEVLANE_TEST_KUBECONFIG' : 'no cluster';
// The differential check (test/differential/) compares the sandbox with the real cluster in one
// file, so it needs both. It goes first on the sandbox's lane, before any test injects a fault into
// the sandbox, and the real cluster is not stopped (teardown) until it is done.
const differential =
  runSandbox && runReal && suites.includes('integration') ? files(join(root, 'out/test/differential')) : [];
let differentialDone;
const afterDifferential = new Promise((r) => (differentialDone = r));
if (differential.length === 0) differentialDone();
const lanes = [];
const productLocal = localFiles.filter((f) => !isSandboxOwn(f));
const sandboxOwn = localFiles.filter(isSandboxOwn);
if (productLocal.length || sandboxOwn.length) {
  lanes.push({
    log: 'local',
    runs: [
      { name: 'differential check: the sandbox against the real cluster', files: differential, done: differentialDone },
      ...(productLocal.length
        ? [{ name: needsCluster ? `product tests on ${target}` : 'unit tests', files: productLocal }]
        : []),
      ...(sandboxOwn.length ? [{ name: "the sandbox's own tests", files: sandboxOwn }] : []),
    ],
  });
}
if (realSuites.length) {
  lanes.push({
    log: 'real-cluster',
    runs: [
      { name: 'product tests on the real cluster', files: realSuites.flatMap((s) => files(join(realRoot, s))) },
      // Its teardown test stops the cluster and checks that nothing is left: a run of its own, after
      // every file that used the cluster (node --test does not keep the order of the files given).
      ...(realSuites.includes('integration')
        ? [
            {
              name: 'stopping the real cluster',
              after: afterDifferential,
              files: () => (copy('teardown'), files(join(realRoot, 'teardown'))),
            },
          ]
        : []),
    ],
  });
}
if (lanes.flatMap((l) => l.runs).every((r) => Array.isArray(r.files) && r.files.length === 0)) {
  console.error(`no test files for ${suites.join(', ')} under out/test/`);
  await stopClusters();
  process.exit(1);
}

/**
 * One `node --test` run; its output goes to `out` and its summary counts are kept.
 * A test file whose tests are done but which leaves a handle open would otherwise hang the run,
 * and a hung test would hold CI until its deadline: force the exit and bound each test. Files of
 * one run go one at a time on purpose: several share the demo namespaces and the sandbox's fault
 * injection. Runs on different clusters share nothing, so the two clusters' lanes run side by side.
 */
async function nodeTest(list, out) {
  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--test',
      '--test-reporter=spec',
      '--test-force-exit',
      '--test-concurrency=1',
      '--test-timeout=600000',
      ...passthrough,
      ...list,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: root },
  );
  let tail = '';
  child.stdout.on('data', (d) => {
    out.write(d);
    tail = (tail + d.toString()).slice(-8192);
  });
  child.stderr.on('data', (d) => out.write(d));
  const code = await new Promise((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 1 : 0))));
  const count = (what) => Number(new RegExp(`^ℹ ${what} (\\d+)$`, 'm').exec(tail)?.[1] ?? 0);
  return { code, pass: count('pass'), fail: count('fail') + count('cancelled'), skipped: count('skipped') };
}

/** Output of the first lane goes straight to the terminal; a later lane's is kept and printed when the ones before it are done. */
function laneOutput(i) {
  if (i === 0) return { write: (d) => process.stdout.write(d), flush: async () => {} };
  const path = join(root, `test-results/tests-${lanes[i].log}.log`);
  const fd = openSync(path, 'w');
  return {
    write: (d) => writeSync(fd, d),
    flush: async () => {
      closeSync(fd);
      process.stdout.write(readFileSync(path));
    },
  };
}

const outputs = lanes.map((_, i) => laneOutput(i));
const laneResults = lanes.map(async ({ runs }, i) => {
  const results = [];
  for (const r of runs) {
    if (r.after) await r.after;
    const list = typeof r.files === 'function' ? r.files() : r.files;
    if (list.length) {
      outputs[i].write(`\n== ${r.name} (${list.length} files)\n`);
      results.push({ name: r.name, ...(await nodeTest(list, outputs[i])) });
    }
    r.done?.();
  }
  return results;
});
const results = [];
for (let i = 0; i < lanes.length; i++) {
  results.push(...(await laneResults[i]));
  await outputs[i].flush();
}
await stopClusters();
const line = (r) => `${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped`;
console.log('');
for (const r of results) console.log(`${r.name}: ${line(r)}`);
const total = results.reduce(
  (a, r) => ({ pass: a.pass + r.pass, fail: a.fail + r.fail, skipped: a.skipped + r.skipped }),
  { pass: 0, fail: 0, skipped: 0 },
);
console.log(`all runs: ${line(total)}`);
process.exit(results.find((r) => r.code !== 0)?.code ?? 0);
