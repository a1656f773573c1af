// `npm run bench -- NAME`: builds, starts a sandbox when the benchmark needs a cluster (unless
// DEVLANE_BENCH_KUBECONFIG names one), runs out/bench/NAME.bench.js and stops what it started.
// A benchmark prints one JSON line per figure, then a readable table; it never asserts a time.
// A benchmark that needs a cluster says so in its first line: `// bench: needs-cluster`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const name = process.argv[2];
const available = existsSync(join(root, 'bench'))
  ? readdirSync(join(root, 'bench'))
      .filter((f) => f.endsWith('.bench.ts'))
      .map((f) => f.replace('.bench.ts', ''))
  : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME, where NAME is one of: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const env = { ...process.env };
let sandbox;
let dir;
const needsCluster = readFileSync(join(root, 'bench', `${name}.bench.ts`), 'utf8').startsWith(
  '// bench: needs-cluster',
);
if (needsCluster && !env.DEVLANE_BENCH_KUBECONFIG) {
  dir = mkdtempSync(join(tmpdir(), 'devlane-bench-'));
  const log = join(dir, 'sandbox.log');
  const fd = openSync(log, 'w');
  sandbox = spawn(
    process.execPath,
    [join(root, 'out/sandbox/main.js'), '--kubeconfig', join(dir, 'kubeconfig'), '--state-dir', join(dir, 'state')],
    { stdio: ['ignore', fd, fd] },
  );
  await new Promise((resolve, reject) => {
    const t = setInterval(
      () => readFileSync(log, 'utf8').includes('sandbox ready:') && (clearInterval(t), resolve()),
      100,
    );
    sandbox.once(
      'exit',
      (c) => (clearInterval(t), reject(new Error(`sandbox exited (${c}):\n${readFileSync(log, 'utf8')}`))),
    );
  });
  env.DEVLANE_BENCH_KUBECONFIG = join(dir, 'kubeconfig');
  env.DEVLANE_BENCH_SANDBOX = '1';
}
const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'out/bench', `${name}.bench.js`)], {
  stdio: 'inherit',
  env,
});
const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
if (sandbox && sandbox.exitCode === null) {
  const exited = new Promise((r) => sandbox.once('exit', r));
  sandbox.kill('SIGTERM');
  await exited;
}
if (dir) rmSync(dir, { recursive: true, force: true });
process.exit(code);
