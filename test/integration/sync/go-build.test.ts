// Hot rebuild of a Go service in a routed session (the `build` action). The demo's stock ships as
// its binary alone (no shell, no toolchain), so its copy runs on devImage golang:1.26 with the
// original's environment and ports, as the demo workspace's .vscode/devlane.json says; the first
// sync lands, the copy builds, and only then does the program start. A saved change is built in
// the copy and answers through the route; a save that does not compile leaves the previous program
// answering and reports the compiler's error at the local file and line (what the Problems view
// shows); the next good save clears it. Without devImage Devlane says the image has no Go
// toolchain and names one: before anything stays for stock (no sh), from the first build for an
// image with a shell but no go. Runs against any cluster given by kubeconfig.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { Emitter } from '../../../src/core/events';
import { SessionError } from '../../../src/core/session/errors';
import type { CopyTrouble } from '../../../src/core/sync/copy-trouble';
import { syncCopy } from '../../../src/sync/copy-sync';
import { findMapping } from '../../../src/sync/service-sync';
import { kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
import { bindDevelopers, kubectl, kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { REPO } from '../../helpers/sandbox';
import { aliceSessions, eventually, expectRestored, getFromPod, snapshot, startClientPod } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe("hot rebuild of the demo's Go service: save, build in the copy, and the route answers", needsCluster, () => {
  let shop: Shop;
  let client = '';
  let workspace = '';
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  before(async () => {
    shop = await createShop('dl-go', { istio: false });
    client = await startClientPod(shop.namespace);
    workspace = mkdtempSync(join(tmpdir(), 'devlane-go-ws-'));
    cpSync(join(REPO, 'sandbox/demo/src'), workspace, { recursive: true });
  });
  after(() => {
    clusters.dispose();
    shop?.cleanup();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  /** Which copy of stock answered for p-1, its version and units. */
  const units = (headers: Record<string, string> = {}) => {
    const r = getFromPod(shop.namespace, client, 'http://stock/stock/p-1', headers);
    return r.status === 200 ? `${r.body.copy} ${r.body.version} ${r.body.units}` : `status ${r.status}`;
  };

  it('builds after the first sync, rebuilds on save, and keeps the old program serving through a compile error', async () => {
    const ns = shop.namespace;
    const before = snapshot(ns);
    const { conn, logger, sessions } = aliceSessions(clusters, ns);
    const signal = AbortSignal.timeout(600_000);
    const mapping = await findMapping(workspace, 'stock');
    assert.deepEqual(mapping && [mapping.action, mapping.devImage, mapping.build, mapping.binary], [
      'build',
      'golang:1.26',
      'go build -o /tmp/devlane/bin/app .',
      '/tmp/devlane/bin/app',
    ]);
    const started = await sessions.start({ service: 'stock', session: 'gb', sync: mapping }, signal);
    const saves = new Emitter<string>();
    const troubles: { trouble: CopyTrouble | undefined; source: string }[] = [];
    const sync = syncCopy(
      { conn, namespace: ns, session: 'gb', service: 'stock', workspace, logger, onDidSave: saves.event },
      {
        trouble: (trouble, source) => troubles.push({ trouble, source }),
        failed: (e) => logger.error(`sync did not start: ${e.message}`),
      },
      signal,
    );
    const file = join(workspace, 'stock/main.go');
    const source = readFileSync(file, 'utf8');
    const save = (text: string) => {
      writeFileSync(file, text);
      saves.fire(file);
    };
    try {
      const handle = await sync.ready;
      assert.ok(handle, `the sync started (${logger.lines.join('\n')})`);
      const key = { 'x-devlane-route': started.routeKey };
      // The first build in a new pod is cold (the standard library is compiled once, then cached in the copy).
      await eventually(
        'the first build to answer through the route',
        () => units(key) === 'devlane:gb v1 12',
        300_000,
        1000,
      );
      assert.equal(units(), 'original v1 12', 'a request without the key still reaches the original');

      save(source.replace('"p-1": 12', '"p-1": 5'));
      await eventually('the saved change to answer through the route', () => units(key) === 'devlane:gb v1 5', 120_000);

      const broken = source.replace('"p-1": 12', '"p-1": five');
      save(broken);
      const failed = await eventually(
        'the compile error to be reported',
        () => troubles.find((t) => t.source === 'build' && t.trouble)?.trouble,
        120_000,
      );
      const line = broken.split('\n').findIndex((l) => l.includes('"p-1": five')) + 1;
      assert.deepEqual(
        failed.problems.map((p) => [p.localPath, p.line, p.message]),
        [[file, line, 'undefined: five']],
        'the error is at the local file and line',
      );
      assert.match(
        handle!.syncer.current.failures.at(-1)?.message ?? '',
        new RegExp(
          `the build failed \\(exit code 1\\); the previous program keeps running\\n {2}.*main\\.go:${line}:\\d+: undefined: five`,
        ),
        'the CLI prints it whole',
      );
      assert.equal(units(key), 'devlane:gb v1 5', 'the previous program still answers');

      save(source.replace('"p-1": 12', '"p-1": 7'));
      await eventually('the fixed code to answer through the route', () => units(key) === 'devlane:gb v1 7', 120_000);
      await eventually('the next good build to clear the report', () => {
        const last = troubles.filter((t) => t.source === 'build').at(-1);
        return last && last.trouble === undefined;
      });
      const pod = (
        kubectlJson(['get', 'pods', '-n', ns, '-l', 'devlane.dev/session=gb,devlane.dev/role=dev']).items as any[]
      ).find((p) => !p.metadata.deletionTimestamp);
      assert.equal(pod.spec.containers[0].image, 'golang:1.26');
      assert.equal(pod.status.containerStatuses[0].restartCount, 0, 'only the program was restarted');
    } finally {
      sync.dispose();
      started.heartbeat.dispose();
      writeFileSync(file, source);
      await sessions.stop('gb', AbortSignal.timeout(120_000));
    }
    await expectRestored(ns, before);
  });

  it('refuses a build copy of the shell-less image without devImage, naming a Go toolchain image, and leaves nothing', async () => {
    const ns = shop.namespace;
    const before = snapshot(ns);
    const { sessions } = aliceSessions(clusters, ns);
    const mapping = { ...(await findMapping(workspace, 'stock'))! };
    delete mapping.devImage;
    await assert.rejects(
      sessions.start({ service: 'stock', session: 'nd', sync: mapping }, AbortSignal.timeout(240_000)),
      (e: unknown) =>
        e instanceof SessionError && /no Go toolchain/.test(e.hint) && /"devImage".*"golang:1\.26"/.test(e.hint),
    );
    await expectRestored(ns, before);
  });
});

/** The service as it runs in production: not Go at all here, only something that answers "original" (its image has no `go`). */
const original = `require('http').createServer((q, s) => s.end('original')).listen(Number(process.env.PORT))`;
const deployment = (ns: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'quote', namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'quote' } },
    template: {
      metadata: { labels: { app: 'quote' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'quote',
            image: 'node:20',
            command: ['node', '-e', original],
            env: [
              { name: 'PORT', value: '8080' },
              { name: 'GREETING', value: 'hello' },
            ],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 2 },
          },
        ],
      },
    },
  },
});
const service = (ns: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'quote', namespace: ns },
  spec: { selector: { app: 'quote' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
});

describe('a build copy on an image with a shell but no go', needsCluster, () => {
  let ns = '';
  let workspace = '';
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  before(async () => {
    ns = `dl-nogo-${Math.random().toString(16).slice(2, 8)}`;
    kubectlOk(['create', 'namespace', ns]);
    kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment(ns), service(ns)] }),
    });
    bindDevelopers(ns);
    await eventually(
      'quote to be ready',
      () => (kubectlJson(['get', 'deployment', 'quote', '-n', ns]).status?.readyReplicas ?? 0) >= 1,
      120_000,
    );
    workspace = mkdtempSync(join(tmpdir(), 'devlane-go-ws-'));
    mkdirSync(join(workspace, 'quote'), { recursive: true });
    mkdirSync(join(workspace, '.vscode'));
    writeFileSync(join(workspace, 'quote/go.mod'), 'module example.com/quote\n\ngo 1.26\n');
    writeFileSync(join(workspace, 'quote/main.go'), 'package main\n\nfunc main() {}\n');
  });
  after(() => {
    clusters.dispose();
    if (ns) kubectl(['delete', 'namespace', ns, '--wait=false']);
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('says that the image has no Go toolchain, and which image to set as devImage, when the build finds no go', async () => {
    const before = snapshot(ns);
    const { conn, logger, sessions } = aliceSessions(clusters, ns);
    const signal = AbortSignal.timeout(300_000);
    writeFileSync(
      join(workspace, '.vscode/devlane.json'),
      JSON.stringify({
        version: 1,
        services: { quote: { localPath: 'quote', remotePath: '/src/quote', action: 'build' } },
      }),
    );
    const started = await sessions.start(
      { service: 'quote', session: 'ng', sync: await findMapping(workspace, 'quote') },
      signal,
    );
    const sync = syncCopy({ conn, namespace: ns, session: 'ng', service: 'quote', workspace, logger }, {}, signal);
    try {
      const handle = await sync.ready;
      assert.ok(handle, `the sync started (${logger.lines.join('\n')})`);
      const said = await eventually(
        'the first build to fail for want of go',
        () => handle!.syncer.current.failures.find((f) => /Go toolchain/.test(f.message))?.message,
        120_000,
      );
      assert.match(
        said,
        /the copy's image node:20 has no Go toolchain to build with: set "devImage" for this service in \.vscode\/devlane\.json \(e\.g\. "golang:1\.26"\)/,
      );
      assert.equal(programStarted(ns, 'ng'), false, 'the program never started: there is nothing to run');
    } finally {
      sync.dispose();
      started.heartbeat.dispose();
      await sessions.stop('ng', AbortSignal.timeout(120_000));
    }
    await expectRestored(ns, before);
  });
});

/** Whether the copy's program was started (the supervisor waits for the first build that makes it). */
function programStarted(ns: string, session: string): boolean {
  const pod = (
    kubectlJson(['get', 'pods', '-n', ns, '-l', `devlane.dev/session=${session},devlane.dev/role=dev`]).items as any[]
  ).find((p) => !p.metadata.deletionTimestamp);
  const logs = kubectlOk(['logs', '-n', ns, pod.metadata.name]);
  return !logs.includes('[devlane] waiting for the first build');
}
