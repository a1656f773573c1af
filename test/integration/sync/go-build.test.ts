// Hot rebuild of a Go service in a routed session (the `build` action): the service's image has
// no Go toolchain, so its copy runs on devImage golang:1.26 with the original's environment and
// ports; the first sync lands, the copy builds, and only then does the program start. A saved
// change is built in the copy and answers through the route; a save that does not compile leaves
// the previous program answering and reports the compiler's error at the local file and line (what
// the Problems view shows); the next good save clears it. Runs against any cluster given by kubeconfig.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { Emitter } from '../../../src/core/events';
import type { CopyTrouble } from '../../../src/core/sync/copy-trouble';
import { Sessions } from '../../../src/session/sessions';
import { syncCopy } from '../../../src/sync/copy-sync';
import { findMapping } from '../../../src/sync/service-sync';
import { kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
import { bindDevelopers, contexts, kubectl, kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { eventually, expectRestored, getFromPod, snapshot, startClientPod } from '../../helpers/session';

/* eslint-disable @typescript-eslint/no-explicit-any */

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

const mainGo = `package main

import (
	"fmt"
	"net/http"
	"os"

	"example.com/quote/words"
)

func main() {
	greeting := os.Getenv("GREETING")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", greeting, words.Word)
	})
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
`;
const wordsGo = (word: string) => `package words\n\n// Word is what the service says.\nconst Word = ${word}\n`;

describe('hot rebuild of a Go service: save, build in the copy, and the route answers', needsCluster, () => {
  let ns = '';
  let client = '';
  let workspace = '';
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  before(async () => {
    ns = `dl-go-${Math.random().toString(16).slice(2, 8)}`;
    kubectlOk(['create', 'namespace', ns]);
    kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment(ns), service(ns)] }),
    });
    bindDevelopers(ns);
    client = await startClientPod(ns);
    await eventually(
      'quote to be ready',
      () => (kubectlJson(['get', 'deployment', 'quote', '-n', ns]).status?.readyReplicas ?? 0) >= 1,
      120_000,
    );
    workspace = mkdtempSync(join(tmpdir(), 'devlane-go-ws-'));
    mkdirSync(join(workspace, 'quote/words'), { recursive: true });
    mkdirSync(join(workspace, '.vscode'));
    writeFileSync(join(workspace, 'quote/go.mod'), 'module example.com/quote\n\ngo 1.26\n');
    writeFileSync(join(workspace, 'quote/main.go'), mainGo);
    writeFileSync(join(workspace, 'quote/words/words.go'), wordsGo('"one"'));
    writeFileSync(
      join(workspace, '.vscode/devlane.json'),
      JSON.stringify({
        version: 1,
        services: {
          quote: { localPath: 'quote', remotePath: '/src/quote', action: 'build', devImage: 'golang:1.26' },
        },
      }),
    );
  });
  after(() => {
    clusters.dispose();
    if (ns) kubectl(['delete', 'namespace', ns, '--wait=false']);
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  const answer = (headers: Record<string, string> = {}) => {
    const r = getFromPod(ns, client, 'http://quote/', headers);
    return r.status === 200 ? String(r.body) : `status ${r.status}: ${JSON.stringify(r.body)}`;
  };

  it('builds after the first sync, rebuilds on save, and keeps the old program serving through a compile error', async () => {
    const before = snapshot(ns);
    const conn = clusters.connection(contexts.alice);
    const logger = new MemoryLogger();
    const sessions = new Sessions({
      api: conn.objects,
      context: contexts.alice,
      namespace: ns,
      participant: conn.context.user,
      logger,
    });
    const signal = AbortSignal.timeout(600_000);
    const mapping = await findMapping(workspace, 'quote');
    assert.deepEqual(mapping && [mapping.action, mapping.build, mapping.binary], [
      'build',
      'go build -o /tmp/devlane/bin/app .',
      '/tmp/devlane/bin/app',
    ]);
    const started = await sessions.start({ service: 'quote', session: 'gb', sync: mapping }, signal);
    const saves = new Emitter<string>();
    const troubles: { trouble: CopyTrouble | undefined; source: string }[] = [];
    const sync = syncCopy(
      { conn, namespace: ns, session: 'gb', service: 'quote', workspace, logger, onDidSave: saves.event },
      {
        trouble: (trouble, source) => troubles.push({ trouble, source }),
        failed: (e) => logger.error(`sync did not start: ${e.message}`),
      },
      signal,
    );
    try {
      const handle = await sync.ready;
      assert.ok(handle, `the sync started (${logger.lines.join('\n')})`);
      const key = { 'x-devlane-route': started.routeKey };
      // The first build is cold (the standard library is compiled once, then cached in the copy).
      await eventually('the first build to answer through the route', () => answer(key) === 'hello one', 300_000, 1000);
      assert.equal(answer(), 'original', 'a request without the key still reaches the original');

      const words = join(workspace, 'quote/words/words.go');
      writeFileSync(words, wordsGo('"two"'));
      saves.fire(words);
      await eventually('the saved change to answer through the route', () => answer(key) === 'hello two', 120_000);

      writeFileSync(words, wordsGo('two'));
      saves.fire(words);
      const failed = await eventually(
        'the compile error to be reported',
        () => troubles.find((t) => t.source === 'build' && t.trouble)?.trouble,
        120_000,
      );
      assert.deepEqual(
        failed.problems.map((p) => [p.localPath, p.line, p.column, p.message]),
        [[words, 4, 14, 'undefined: two']],
        'the error is at the local file and line',
      );
      assert.match(
        handle!.syncer.current.failures.at(-1)?.message ?? '',
        /the build failed \(exit code 1\); the previous program keeps running\n {2}.*words\.go:4:14: undefined: two/,
        'the CLI prints it whole',
      );
      assert.equal(answer(key), 'hello two', 'the previous program still answers');

      writeFileSync(words, wordsGo('"three"'));
      saves.fire(words);
      await eventually('the fixed code to answer through the route', () => answer(key) === 'hello three', 120_000);
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
      await sessions.stop('gb', AbortSignal.timeout(120_000));
    }
    await expectRestored(ns, before);
  });

  it('says that the image has no Go toolchain, and which image to set as devImage, when the build finds no go', async () => {
    const before = snapshot(ns);
    const conn = clusters.connection(contexts.alice);
    const logger = new MemoryLogger();
    const sessions = new Sessions({
      api: conn.objects,
      context: contexts.alice,
      namespace: ns,
      participant: conn.context.user,
      logger,
    });
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
