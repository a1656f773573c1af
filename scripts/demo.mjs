// `npm run demo`: Devlane in a real VS Code against the sandbox's demo shop, with nothing to
// configure. `npm run demo -- --real` runs it on the real cluster instead (upstream Kubernetes
// built here; Linux and root). Builds and packages the extension, starts the cluster (kubeconfig in
// .devlane/sandbox/ or .devlane/cluster/), installs code-server on first run, starts it with Devlane installed and
// the demo shop's source as the workspace (a copy in .devlane/demo-workspace/, so edits never
// touch the repository), and prints the URL. Ctrl+C stops everything it started, by PID.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const say = (line) => console.log(`demo: ${line}`);
const fail = (message) => {
  console.error(`demo: ${message}`);
  process.exit(1);
};

const real = process.argv.includes('--real');
const unknown = process.argv.slice(2).filter((a) => a !== '--real');
if (unknown.length) fail(`unknown argument ${unknown.join(' ')}; nothing was started. Usage: npm run demo [-- --real]`);
const clusterName = real ? 'real cluster' : 'sandbox';

// 1. Can the cluster run here? The sandbox's pods are Linux processes in their own namespaces; the
// real cluster runs a kubelet, containerd and a bridge, as root.
if (real && (process.platform !== 'linux' || process.getuid?.() !== 0)) {
  fail('the real cluster needs Linux and root (it runs a kubelet, containerd and network namespaces); nothing was started.\n'
    + 'Run `npm run demo` for the sandbox, which needs neither.');
}
if (process.platform !== 'linux') {
  fail(`the sandbox needs Linux (this is ${process.platform}); nothing was started.\n`
    + 'Use Devlane against a real cluster instead: install devlane.vsix (`npm run package`) in VS Code and set `devlane.kubeconfig` '
    + '(or KUBECONFIG) to its kubeconfig; the README section "Use it against your own cluster" says how.');
}
if (!real && !['/usr/bin/bwrap', '/bin/bwrap'].some(existsSync)) {
  fail('the sandbox needs bubblewrap (bwrap) for its pods\' namespaces; nothing was started.\n'
    + 'Install it (Debian/Ubuntu: apt-get install bubblewrap) and run `npm run demo` again, '
    + 'or use Devlane against a real cluster (README: "Use it against your own cluster").');
}

// 2. Build and package, as a user would install it.
const run = (cmd, args, quiet = false) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  if (r.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed; nothing was started.`);
};
say('building and packaging the extension');
run(process.execPath, [join(root, 'scripts/build.mjs')]);
if (real) run(process.execPath, [join(root, 'scripts/build.mjs'), '--only', 'cluster']);
run('npm', ['run', '--silent', 'package'], true);

const harness = createRequire(import.meta.url)(join(root, 'out/test/e2e/harness/index.js'));

// 3. Real VS Code: installed once into .devlane/e2e-tools/.
let tools = harness.findTools();
if ('missing' in tools) {
  say('first run: installing code-server and Node 24 into .devlane/e2e-tools/ (about 3 minutes, once)');
  try {
    tools = await harness.installTools(say);
  } catch (err) {
    fail(`${err.message}\nNothing was started.`);
  }
}

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
say(`starting the ${clusterName} with the demo shop (log: ${sandboxLog}); ${real ? 'the first run builds Kubernetes from source (many minutes, once)' : 'the demo pods can take a while'}`);
const sandbox = harness.spawnGroup(real ? 'cluster' : 'sandbox', process.execPath, ['--enable-source-maps', join(root, real ? 'out/cluster/main.js' : 'out/sandbox/main.js'), '--kubeconfig', kubeconfig], { logFile: sandboxLog, cwd: root });
// The cluster stops its pods itself on SIGTERM and removes what it made; give it time before the group is ended.
stops.push(async () => {
  if (sandbox.child.exitCode === null) process.kill(sandbox.pid, 'SIGTERM');
  await Promise.race([sandbox.exited, new Promise((r) => setTimeout(r, real ? 120_000 : 20_000))]);
  await sandbox.stop();
});
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
