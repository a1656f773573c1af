// What a user is told when a copy cannot be debugged, against copies made by hand (the session
// labels, with or without the debug annotation): no debug port; a debugger that did not start
// although the image has debugpy; an image without debugpy; a Go copy whose image has no dlv.
// Nothing is left listening.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { openDebugTunnel, prepareDebug } from '../../../src/debug/debug-copy';
import { DebugError } from '../../../src/debug/errors';
import { MemoryLogger, needsCluster } from '../../helpers/cluster';
import {
  bindDevelopers,
  contexts,
  eventually,
  kubeconfig,
  kubectlJson,
  kubectlOk,
  tempNamespace,
} from '../../helpers/kubectl';
import { demoWorkspace, longSignal, tryConnect } from './fixtures';

const session = 'dbg-err';
/** A hand-made "copy" of catalog: labelled as Devlane labels one, running `argv` in python:3.11-slim. */
function copy(
  namespace: string,
  service: string,
  argv: string[],
  o: { annotate: boolean; fakeNoDebugpy?: boolean; runtime?: 'python' | 'go' },
): string {
  const labels = { 'devlane.dev/session': session, 'devlane.dev/role': 'dev', 'devlane.dev/service': service };
  const script =
    'import http.server as h; h.ThreadingHTTPServer(("0.0.0.0", 8080), h.SimpleHTTPRequestHandler).serve_forever()';
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: service, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          annotations: o.annotate
            ? {
                'devlane.dev/debug': JSON.stringify({
                  runtime: o.runtime ?? 'python',
                  port: o.runtime === 'go' ? 2345 : 5678,
                  container: 'app',
                }),
              }
            : {},
        },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: 'python:3.11-slim',
              command: [...argv, '-c', script],
              workingDir: '/app',
              // An image without debugpy, as far as Python can tell: a package that fails to import shadows the real one.
              ...(o.fakeNoDebugpy
                ? {
                    env: [{ name: 'PYTHONPATH', value: '/nodebugpy' }],
                    volumeMounts: [{ name: 'nodebugpy', mountPath: '/nodebugpy/debugpy' }],
                  }
                : {}),
            },
          ],
          ...(o.fakeNoDebugpy ? { volumes: [{ name: 'nodebugpy', configMap: { name: 'nodebugpy' } }] } : {}),
        },
      },
    },
  });
}

describe('when a copy cannot be debugged', needsCluster, () => {
  let ns: { name: string; cleanup: () => void };
  let clusters: KubeClusters;
  const logger = new MemoryLogger();
  before(async () => {
    ns = tempNamespace('dl-dbg-err');
    bindDevelopers(ns.name);
    kubectlOk([
      'create',
      'configmap',
      'nodebugpy',
      '-n',
      ns.name,
      '--from-literal=__init__.py=raise ModuleNotFoundError("No module named \'debugpy\'")',
    ]);
    kubectlOk(['apply', '-f', '-'], { input: copy(ns.name, 'plain', ['python', '-u'], { annotate: false }) });
    kubectlOk(['apply', '-f', '-'], { input: copy(ns.name, 'nodebug', ['python', '-u'], { annotate: true }) });
    kubectlOk(['apply', '-f', '-'], {
      input: copy(ns.name, 'nodebugpy', ['python', '-u'], { annotate: true, fakeNoDebugpy: true }),
    });
    // Said to be Go, in an image without dlv (the program itself does not matter: nothing listens).
    kubectlOk(['apply', '-f', '-'], {
      input: copy(ns.name, 'nodlv', ['python', '-u'], { annotate: true, runtime: 'go' }),
    });
    await eventually(
      'the copies to run',
      () =>
        ['plain', 'nodebug', 'nodebugpy', 'nodlv'].every(
          (d) => (kubectlJson(['get', 'deployment', d, '-n', ns.name]).status?.readyReplicas ?? 0) >= 1,
        ),
      90_000,
    );
    clusters = new KubeClusters({ setting: () => kubeconfig(), env: {} }, { logger, idleMs: 0 });
  });
  after(() => {
    clusters?.dispose();
    ns?.cleanup();
  });

  const prepare = (service: string) =>
    prepareDebug(
      {
        api: clusters.connection(contexts.alice).objects,
        copy: { namespace: ns.name, session, service },
        workspaceFolder: demoWorkspace,
        logger,
      },
      longSignal(60_000),
    );

  it('says the copy was not started with a debug port, and what to do', async () => {
    const err = await prepare('plain').catch((e: unknown) => e);
    assert.ok(err instanceof DebugError, String(err));
    assert.equal(err.code, 'no-debug-port');
    assert.match(err.full, /was not started with a debug port .*devlane\.dev\/debug.*take it over again/);
  });

  it('says debugpy did not start when the image has it, and leaves no tunnel open', async () => {
    const plan = await prepare('nodebug');
    assert.equal(plan.mapping.from, 'working-dir', 'no sync mapping for this service: the working directory');
    const before = logger.lines.length;
    const err = await openDebugTunnel(clusters.connection(contexts.alice), plan, logger).catch((e: unknown) => e);
    assert.ok(err instanceof DebugError, String(err));
    assert.equal(err.code, 'not-listening');
    assert.match(
      err.message,
      /Nothing listens on 127\.0\.0\.1:5678 in container "app".*debugpy did not start \(it is installed\)/,
    );
    const ports = logger.lines
      .slice(before)
      .flatMap((l) => [...(/forwarding 127\.0\.0\.1:(\d+) ->/.exec(l)?.slice(1) ?? [])])
      .map(Number);
    assert.equal(ports.length, 1, 'the tunnel was opened');
    assert.equal(await tryConnect(ports[0]), 'ECONNREFUSED', 'and closed again');
  });

  it('says the image has no debugpy, and how to add it', async () => {
    const plan = await prepare('nodebugpy');
    const err = await openDebugTunnel(clusters.connection(contexts.alice), plan, logger).catch((e: unknown) => e);
    assert.ok(err instanceof DebugError, String(err));
    assert.equal(err.code, 'not-listening');
    assert.match(err.message, /image has no debugpy/);
    assert.match(err.hint, /pip install debugpy.*python3-debugpy.*devImage/);
  });

  it("says a Go copy's image has no dlv, and to use a toolchain image with Delve", async () => {
    const plan = await prepare('nodlv');
    assert.equal(plan.target.spec.runtime, 'go');
    const err = await openDebugTunnel(clusters.connection(contexts.alice), plan, logger).catch((e: unknown) => e);
    assert.ok(err instanceof DebugError, String(err));
    assert.equal(err.code, 'not-listening');
    assert.match(err.message, /image has no dlv \(Delve\)/);
    assert.match(err.hint, /devImage.*go install github\.com\/go-delve\/delve\/cmd\/dlv@v1\.27\.2/);
  });
});
