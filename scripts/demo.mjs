// `npm run demo`: Devlane in a real VS Code against the sandbox's demo shop, with nothing to
// configure. `npm run demo -- --real` runs it on the real cluster instead (upstream Kubernetes
// built here; Linux and root). Builds and packages the extension, starts the cluster (kubeconfig in
// .devlane/sandbox/ or .devlane/cluster/), installs code-server on first run, starts it with Devlane installed and
// the demo shop's source as the workspace (a copy in .devlane/demo-workspace/, so edits never
// touch the repository), and prints the URL with the time each phase took. Missing system packages
// are named together first (as root it offers to install them; --yes or DEVLANE_DEMO_INSTALL=1
// installs without asking); no browser is needed. Ctrl+C stops everything it started, by PID.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as readline from 'node:readline/promises';
import { installDecision, missingLines, missingPackages, missingText } from './lib/host-packages.mjs';
import { phaseClock } from './lib/phases.mjs';

const root = new URL('..', import.meta.url).pathname;
const say = (line) => console.log(`demo: ${line}`);
const fail = (message) => {
  console.error(`demo: ${message}`);
  process.exit(1);
};

const real = process.argv.includes('--real');
const yes = process.argv.includes('--yes') || process.env.DEVLANE_DEMO_INSTALL === '1';
const unknown = process.argv.slice(2).filter((a) => a !== '--real' && a !== '--yes');
if (unknown.length)
  fail(`unknown argument ${unknown.join(' ')}; nothing was started. Usage: npm run demo [-- --real] [-- --yes]`);
const clusterName = real ? 'real cluster' : 'sandbox';
const phases = phaseClock();

// 1. Can the cluster run here? The sandbox's pods are Linux processes in their own namespaces; the
// real cluster runs a kubelet, containerd and a bridge, as root.
const isRoot = process.getuid?.() === 0;
if (real && (process.platform !== 'linux' || !isRoot)) {
  fail(
    'the real cluster needs Linux and root (it runs a kubelet, containerd and network namespaces); nothing was started.\n' +
      'Run `npm run demo` for the sandbox, which needs neither.',
  );
}
if (process.platform !== 'linux') {
  fail(
    `the sandbox needs Linux (this is ${process.platform}); nothing was started.\n` +
      'Use Devlane against a real cluster instead: install devlane.vsix (`npm run package`) in VS Code and set `devlane.kubeconfig` ' +
      '(or KUBECONFIG) to its kubeconfig; the README section "Use it against your own cluster" says how.',
  );
}
await ensurePackages();

// 2. Build and package, as a user would install it.
const run = (cmd, args, quiet = false) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  if (r.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed; nothing was started.`);
};
// Only what the demo runs: the packaged extension, the cluster program and the harness that starts
// the editor; skipped when none of their sources changed since they were last built.
const built = phases.start('build');
const outputs = ['devlane.vsix', real ? 'out/cluster/main.js' : 'out/sandbox/main.js', 'out/test/e2e/harness/index.js'];
const sources = [
  'src',
  'webview',
  'media',
  real ? 'cluster' : 'sandbox',
  'test/e2e/harness',
  'test/helpers',
  'scripts',
  'package.json',
  'package-lock.json',
];
if (upToDate(outputs, sources)) {
  say('the extension, the cluster program and the editor harness are up to date: nothing to build');
} else {
  say('building and packaging the extension');
  run(process.execPath, [join(root, 'scripts/build.mjs'), '--only', `${real ? 'cluster' : 'sandbox'},harness`]);
  run('npm', ['run', '--silent', 'package'], true);
}
say(built());

const harness = createRequire(import.meta.url)(join(root, 'out/test/e2e/harness/index.js'));

// 3. Real VS Code: installed once into .devlane/e2e-tools/. No browser: you open the URL in yours.
let tools = harness.findTools({ browser: false });
if ('missing' in tools) {
  say('first run: installing code-server and Node 24 into .devlane/e2e-tools/ (about 3 minutes, once)');
  const installing = phases.start('code-server install');
  try {
    tools = await harness.installTools(say, { browser: false });
  } catch (err) {
    fail(`${err.message}\nNothing was started.`);
  }
  say(installing());
} else phases.skip('code-server install', 'installed');

// 4. The sandbox with the demo shop, stopped by its PID on the way out.
const stops = [];
let stopping;
const stopAll = async (code) => {
  stopping ??= (async () => {
    say('stopping');
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        console.error(`demo: while stopping: ${err.message}`);
      }
    }
    process.exit(code);
  })();
  return stopping;
};
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const sandboxDir = join(root, real ? '.devlane/cluster' : '.devlane/sandbox');
const kubeconfig = join(sandboxDir, 'kubeconfig');
mkdirSync(sandboxDir, { recursive: true });
const sandboxLog = join(sandboxDir, real ? 'cluster.log' : 'sandbox.log');
rmSync(sandboxLog, { force: true });
say(
  `starting the ${clusterName} with the demo shop (log: ${sandboxLog}); ${real ? 'the first run builds Kubernetes from source (many minutes, once)' : 'the demo pods can take a while'}`,
);
const sandbox = harness.spawnGroup(
  real ? 'cluster' : 'sandbox',
  process.execPath,
  [
    '--enable-source-maps',
    join(root, real ? 'out/cluster/main.js' : 'out/sandbox/main.js'),
    '--kubeconfig',
    kubeconfig,
  ],
  { logFile: sandboxLog, cwd: root },
);
// The cluster stops its pods itself on SIGTERM and removes what it made; give it time before the group is ended.
stops.push(async () => {
  if (sandbox.child.exitCode === null) process.kill(sandbox.pid, 'SIGTERM');
  await Promise.race([sandbox.exited, new Promise((r) => setTimeout(r, real ? 120_000 : 20_000))]);
  await sandbox.stop();
});
const clusterReady = phases.start(`${clusterName} ready`);
const ready = await new Promise((resolve) => {
  const poll = setInterval(() => {
    const log = existsSync(sandboxLog) ? readFileSync(sandboxLog, 'utf8') : '';
    if (log.includes(real ? 'cluster ready:' : 'sandbox ready:')) {
      clearInterval(poll);
      resolve(true);
    }
  }, 200);
  void sandbox.exited.then(() => {
    clearInterval(poll);
    resolve(false);
  });
});
if (ready) say(clusterReady());
if (!ready) {
  console.error(readFileSync(sandboxLog, 'utf8').split('\n').slice(-30).join('\n'));
  say(`the ${clusterName} stopped before it was ready (its log above and in ${sandboxLog})`);
  await stopAll(1);
}

// 5. A workspace holding the demo shop's source: copied once, then kept with your edits.
const workspace = join(root, '.devlane/demo-workspace');
if (existsSync(workspace)) say(`workspace ${workspace} kept from an earlier run (delete it for a fresh copy)`);
else cpSync(join(root, 'sandbox/demo/src'), workspace, { recursive: true });

// 6. code-server with Devlane installed and pointed at the sandbox.
const port = Number(process.env.DEVLANE_DEMO_PORT ?? 8080);
let server;
const editorReady = phases.start('editor ready');
try {
  server = await harness.startCodeServer({
    tools,
    vsix: join(root, 'devlane.vsix'),
    workspace,
    kubeconfig,
    stateDir: join(root, '.devlane/demo-code-server'),
    port: (await portIsFree(port)) ? port : undefined,
    say,
  });
} catch (err) {
  say(err.message);
  await stopAll(1);
}
stops.push(() => server.stop());
say(editorReady());
say(phases.summary());
console.log(`
Devlane demo is running. Open this in your browser:

    ${server.url}

The Devlane view (activity bar) shows the ${clusterName}'s contexts; the demo shop is in namespaces
"shop" and "shop-plain". kubectl works too: KUBECONFIG=${kubeconfig} kubectl get pods -A
Press Ctrl+C to stop the ${clusterName} and code-server.
`);
void server.process.exited.then((code) => {
  if (stopping) return; // we stopped it
  say(`code-server exited (${code}); see ${server.logFile}`);
  void stopAll(1);
});

async function portIsFree(p) {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Every missing system package named at once, in one apt-get line; as root on a terminal the demo
 * offers to install them, and with --yes (or DEVLANE_DEMO_INSTALL=1) installs them without asking.
 */
async function ensurePackages() {
  const pins = JSON.parse(readFileSync(join(root, 'test/e2e/harness/tools.json'), 'utf8'));
  const toolsDir = process.env.DEVLANE_E2E_TOOLS
    ? resolve(process.env.DEVLANE_E2E_TOOLS)
    : join(root, '.devlane/e2e-tools');
  const installed = (() => {
    try {
      return (
        JSON.parse(readFileSync(join(toolsDir, 'node_modules/code-server/package.json'), 'utf8')).version ===
        pins.codeServer
      );
    } catch {
      return false;
    }
  })();
  const missing = missingPackages({ real, codeServerInstalled: installed, exists: existsSync });
  const apt = existsSync('/usr/bin/apt-get');
  const decision = installDecision({
    missing,
    root: isRoot,
    terminal: !!(process.stdin.isTTY && process.stdout.isTTY),
    yes,
    apt,
  });
  if (decision.action === 'none') return;
  if (decision.action === 'tell') fail(missingText(missing, decision.command, apt));
  if (decision.action === 'ask') {
    console.log(`demo: missing system packages:\n${missingLines(missing)}`);
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Run \`${decision.command}\` now? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) fail('nothing was installed or started.');
  }
  const pkgs = missing.map((n) => n.pkg);
  say(`installing ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', ...pkgs]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0)
      fail(
        `\`apt-get ${args.join(' ')}\` failed; nothing was started. Install the packages yourself: ${decision.command}`,
      );
  }
  const still = missingPackages({ real, codeServerInstalled: installed, exists: existsSync });
  if (still.length)
    fail(`after installing, still missing: ${still.map((n) => n.pkg).join(', ')}; nothing was started.`);
}

/**
 * Every output exists and is newer than every source file under `sources` (paths from the
 * repository root): the files git tracks or would track, so that what running pods write into
 * ignored folders (the sandbox's image trees) does not count.
 */
function upToDate(outputs, sources) {
  const mtime = (p) => statSync(join(root, p)).mtimeMs;
  if (!outputs.every((o) => existsSync(join(root, o)))) return false;
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...sources], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0) return false;
  const oldest = Math.min(...outputs.map(mtime));
  // A link's own time (the sandbox's images link log files to /dev/stdout, which changes all the time).
  return listed.stdout
    .split('\0')
    .filter(Boolean)
    .every((f) => (lstatSync(join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? 0) < oldest);
}
