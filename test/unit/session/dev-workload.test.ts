import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Json, Service } from '../../../src/core/resources';
import { buildDevWorkload, rewriteLabels } from '../../../src/core/session/dev-workload';
import { SessionError } from '../../../src/core/session/errors';
import { matchesServiceSelector } from '../../../src/core/selectors';

const svc = (
  name: string,
  selector: Record<string, string>,
  ports = [{ name: 'http', port: 80, targetPort: 'http' as number | string }],
): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
  spec: { selector, ports },
});

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'ratings', namespace: 'shop' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'ratings' } },
    template: {
      metadata: { labels: { app: 'ratings', version: 'v1', tier: 'backend' } },
      spec: {
        serviceAccountName: 'ratings-sa',
        containers: [
          { name: 'sidecar', image: 'busybox:1', env: [{ name: 'A', value: '1' }] },
          {
            name: 'ratings',
            image: 'node:22-slim',
            ports: [{ name: 'http', containerPort: 8080, hostPort: 8080 }],
            env: [{ name: 'VERSION', value: 'v1' }],
            envFrom: [{ configMapRef: { name: 'cfg' } }],
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'ratings-data' } },
          { name: 'cfg', configMap: { name: 'cfg' } },
        ],
      },
    },
  },
};

const services = [
  svc('ratings', { app: 'ratings' }),
  svc('backends', { tier: 'backend' }),
  svc('v1-only', { version: 'v1', app: 'ratings' }),
];
const base = {
  deployment,
  service: services[0],
  services,
  session: 'alice-ratings',
  record: { name: 'devlane-session-alice-ratings', uid: 'u-1' },
};

describe('dev workload', () => {
  it('copies image, env, envFrom, volumes and service account; drops liveness, makes readiness a startup probe', () => {
    const dev = buildDevWorkload({ ...base, pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteMany'] }] });
    const pod = dev.deployment.spec.template.spec;
    const main = pod.containers[1];
    assert.equal(main.image, 'node:22-slim');
    assert.deepEqual(main.envFrom, [{ configMapRef: { name: 'cfg' } }]);
    assert.deepEqual(main.env, [
      { name: 'VERSION', value: 'v1' },
      { name: 'DEVLANE_SESSION', value: 'alice-ratings' },
    ]);
    assert.equal(main.livenessProbe, undefined);
    // Once started, a copy paused at a breakpoint stays Ready: requests wait instead of failing.
    assert.equal(main.readinessProbe, undefined);
    // Checked each second while it starts, for five minutes at least.
    assert.deepEqual(main.startupProbe, {
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: 1,
      successThreshold: 1,
      failureThreshold: 300,
    });
    // No command in the spec: no debugger can be added, and nothing says there is one.
    assert.equal(dev.debug, undefined);
    assert.equal(dev.deployment.spec.template.metadata.annotations['devlane.dev/debug'], undefined);
    assert.equal(main.ports[0].hostPort, undefined);
    assert.equal(pod.serviceAccountName, 'ratings-sa');
    assert.deepEqual(pod.volumes, deployment.spec.template.spec.volumes);
    assert.equal(dev.deployment.spec.replicas, 1);
    assert.equal(dev.deployment.metadata.name, 'ratings-dl-alice-ratings');
    assert.deepEqual(dev.deployment.metadata.ownerReferences, [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'devlane-session-alice-ratings', uid: 'u-1' },
    ]);
    // The original is not touched.
    assert.ok(deployment.spec.template.spec.containers[1].livenessProbe);
  });

  it("allows a slow starter as long as the original's readiness would, checking each second", () => {
    const slow = structuredClone(deployment);
    (slow.spec.template.spec.containers[1] as Json).readinessProbe = {
      tcpSocket: { port: 8080 },
      initialDelaySeconds: 4,
      periodSeconds: 5,
      failureThreshold: 100,
    };
    const main = buildDevWorkload({ ...base, pvcs: [], deployment: slow }).deployment.spec.template.spec.containers[1];
    assert.deepEqual(main.startupProbe, {
      tcpSocket: { port: 8080 },
      initialDelaySeconds: 4,
      periodSeconds: 1,
      successThreshold: 1,
      failureThreshold: 500,
    });
  });

  it('rewrites every label a Service selects on, so no original Service selects the copy', () => {
    const dev = buildDevWorkload({
      ...base,
      pvcs: [],
      deployment: {
        ...deployment,
        spec: {
          ...deployment.spec,
          template: { ...deployment.spec.template, spec: { ...deployment.spec.template.spec, volumes: [] } },
        },
      },
    });
    const labels = dev.deployment.spec.template.metadata.labels;
    for (const s of services) assert.ok(!matchesServiceSelector(s.spec!.selector, labels), s.metadata.name);
    assert.deepEqual(dev.rewritten, { app: 'ratings', version: 'v1', tier: 'backend' });
    assert.equal(labels['devlane.dev/session'], 'alice-ratings');
    assert.ok(matchesServiceSelector(dev.service.spec!.selector, labels), 'the dev Service selects the copy');
    assert.equal(dev.service.metadata.name, 'ratings-dl-alice-ratings');
    assert.deepEqual(dev.service.spec!.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('drops a rewritten label that some Service happens to select', () => {
    const trap = svc('trap', { app: 'ratings-devlane' });
    const { labels } = rewriteLabels({ app: 'ratings', keep: 'x' }, [svc('ratings', { app: 'ratings' }), trap]);
    assert.deepEqual(labels, { keep: 'x' });
  });

  it('runs --image in the container the Service targets', () => {
    const dev = buildDevWorkload({
      ...base,
      pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteMany'] }],
      image: 'registry/ratings:pr-42',
    });
    assert.equal(dev.deployment.spec.template.spec.containers[1].image, 'registry/ratings:pr-42');
    assert.equal(dev.deployment.spec.template.spec.containers[0].image, 'busybox:1');
  });

  it('refuses ReadWriteOnce claims, naming them, and offers emptyDir', () => {
    assert.throws(
      () => buildDevWorkload({ ...base, pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteOnce'] }] }),
      (err: unknown) =>
        err instanceof SessionError &&
        err.code === 'volume' &&
        /ratings-data/.test(err.message) &&
        /emptyDir|rwo-as-emptydir/i.test(err.hint),
    );
    const dev = buildDevWorkload({
      ...base,
      pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteOnce'] }],
      rwoAsEmptyDir: true,
    });
    assert.deepEqual(dev.deployment.spec.template.spec.volumes[0], { name: 'data', emptyDir: {} });
    assert.match(dev.warnings[0], /ratings-data/);
  });
});

describe('dev workload: debugger and sync', () => {
  const withCommand = (container: Record<string, unknown>) => ({
    ...deployment,
    spec: {
      ...deployment.spec,
      template: {
        ...deployment.spec.template,
        spec: {
          ...deployment.spec.template.spec,
          volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
          containers: [
            deployment.spec.template.spec.containers[0],
            { ...deployment.spec.template.spec.containers[1], volumeMounts: [], ...container },
          ],
        },
      },
    },
  });
  const build = (container: Record<string, unknown>, extra: Partial<Parameters<typeof buildDevWorkload>[0]> = {}) =>
    buildDevWorkload({ ...base, deployment: withCommand(container), pvcs: [], ...extra });
  const annotationsOf = (dev: ReturnType<typeof buildDevWorkload>) =>
    dev.deployment.spec.template.metadata.annotations as Record<string, string>;
  const mapping = {
    localPath: 'ratings',
    remotePath: '/app',
    exclude: [],
    action: 'restart' as const,
    signal: 'SIGHUP',
  };

  it('runs node with the inspector on 127.0.0.1 only, and says so on the pod template', () => {
    const dev = build({ command: ['node', 'server.js'] });
    const main = dev.deployment.spec.template.spec.containers[1];
    assert.deepEqual(main.command, ['node', '--inspect=127.0.0.1:9229', 'server.js']);
    assert.equal(main.args, undefined);
    assert.deepEqual(dev.debug, { runtime: 'node', port: 9229, container: 'ratings' });
    assert.deepEqual(JSON.parse(annotationsOf(dev)['devlane.dev/debug']), {
      runtime: 'node',
      port: 9229,
      container: 'ratings',
    });
    assert.equal(dev.deployment.spec.template.spec.containers[0].command, undefined, 'the sidecar is untouched');
  });

  it('runs python under debugpy, keeping interpreter options before -m debugpy', () => {
    const dev = build({ image: 'python:3.11-slim', command: ['python', '-u'], args: ['app.py', '--port', '8080'] });
    const main = dev.deployment.spec.template.spec.containers[1];
    assert.deepEqual(main.command, [
      'python',
      '-u',
      '-m',
      'debugpy',
      '--listen',
      '127.0.0.1:5678',
      'app.py',
      '--port',
      '8080',
    ]);
    assert.deepEqual(dev.debug, { runtime: 'python', port: 5678, container: 'ratings' });
  });

  it('runs a Go binary under dlv exec on a golang image, with the debug port the supervisor waits for', () => {
    const dev = build({ image: 'golang:1.26', command: ['/stock'], args: ['--port', '8080'] });
    const main = dev.deployment.spec.template.spec.containers[1];
    assert.deepEqual(main.command.slice(0, 2), ['sh', '-c']);
    assert.deepEqual(main.command.slice(3, 8), ['devlane-dlv', 'dlv', 'exec', '--headless', '--listen=127.0.0.1:2345']);
    assert.deepEqual(main.command.slice(-4), ['/stock', '--', '--port', '8080']);
    assert.deepEqual(dev.debug, { runtime: 'go', port: 2345, container: 'ratings' });
    assert.ok(
      main.env.some((e: { name: string; value: string }) => e.name === 'DEVLANE_DEBUG_PORT' && e.value === '2345'),
    );
  });

  it("runs a build mapping's program under dlv, built for the debugger, whatever image the copy runs on", () => {
    const dev = build(
      { image: 'registry.example/stock:1.4', args: ['--port', '8080'] },
      {
        sync: {
          ...mapping,
          remotePath: '/src',
          action: 'build',
          build: 'go build -o /tmp/devlane/bin/app .',
          binary: '/tmp/devlane/bin/app',
          devImage: 'registry.example/toolchains/go-dev:1.26',
        },
      },
    );
    const main = dev.deployment.spec.template.spec.containers[1];
    assert.equal(main.command[3], 'devlane-supervisor');
    assert.deepEqual(main.args.slice(3, 6), ['devlane-dlv', 'dlv', 'exec']);
    assert.deepEqual(main.args.slice(-4), ['/tmp/devlane/bin/app', '--', '--port', '8080']);
    assert.deepEqual(dev.debug, { runtime: 'go', port: 2345, container: 'ratings' });
    const env = (name: string) => main.env.find((e: { name: string }) => e.name === name)?.value;
    assert.equal(env('GOFLAGS'), "'-gcflags=all=-N -l'");
    assert.equal(env('DEVLANE_PROGRAM'), '/tmp/devlane/bin/app');
  });

  it('honours debug "off" and a chosen port', () => {
    assert.equal(build({ command: ['node', 'server.js'] }, { debug: { runtime: 'off' } }).debug, undefined);
    assert.deepEqual(
      build({ command: ['node', 'server.js'] }, { debug: { runtime: 'node', port: 9300 } }).debug?.port,
      9300,
    );
  });

  it('runs a synced program under the restart supervisor, with the debugger, and a run dir on an emptyDir', () => {
    const dev = build({ command: ['node', 'server.js'], workingDir: '/app' }, { sync: mapping });
    const pod = dev.deployment.spec.template.spec;
    const main = pod.containers[1];
    assert.equal(main.command[0], 'sh');
    assert.equal(main.command[1], '-c');
    assert.equal(main.command[3], 'devlane-supervisor');
    assert.deepEqual(main.args, ['node', '--inspect=127.0.0.1:9229', 'server.js']);
    assert.ok(pod.volumes.some((v: { name: string; emptyDir?: object }) => v.name === 'devlane-run' && v.emptyDir));
    assert.ok(
      main.volumeMounts.some(
        (m: { name: string; mountPath: string }) => m.name === 'devlane-run' && m.mountPath === '/tmp/devlane',
      ),
    );
    assert.deepEqual(JSON.parse(annotationsOf(dev)['devlane.dev/sync']), {
      container: 'ratings',
      remotePath: '/app',
      action: 'restart',
      ownVolumes: ['devlane-run'],
    });
  });

  it("refuses a remotePath on a volume other pods may share, and syncs one on the pod's own emptyDir", () => {
    const withVolume = (volume: Record<string, unknown>) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const d: any = structuredClone(
        withCommand({ command: ['node', 'server.js'], volumeMounts: [{ name: 'code', mountPath: '/app' }] }),
      );
      d.spec.template.spec.volumes = [{ name: 'code', ...volume }];
      return d;
    };
    assert.throws(
      () =>
        buildDevWorkload({
          ...base,
          deployment: withVolume({ persistentVolumeClaim: { claimName: 'shared' } }),
          pvcs: [{ name: 'shared', accessModes: ['ReadWriteMany'] }],
          sync: mapping,
        }),
      (e: unknown) =>
        e instanceof SessionError &&
        /\/app in container "ratings" is on the volume \/app \(persistentVolumeClaim "code"\)/.test(e.message) &&
        /^Nothing was created/.test(e.hint),
    );
    assert.doesNotThrow(() =>
      buildDevWorkload({ ...base, deployment: withVolume({ emptyDir: {} }), pvcs: [], sync: mapping }),
    );
  });

  it('uses "run" from the mapping when the spec names no command, and refuses restart without either', () => {
    const dev = build({}, { sync: { ...mapping, run: ['node', 'server.js'] } });
    assert.deepEqual(dev.deployment.spec.template.spec.containers[1].args, [
      'node',
      '--inspect=127.0.0.1:9229',
      'server.js',
    ]);
    assert.throws(
      () => build({}, { sync: mapping }),
      (e: unknown) =>
        e instanceof SessionError &&
        /names no command/.test(e.message) &&
        /"run"/.test(e.message) &&
        /Nothing was created/.test(e.full),
    );
    // The app reloads itself: without a command, the copy runs unchanged.
    const none = build({}, { sync: { ...mapping, action: 'none' } });
    assert.equal(none.deployment.spec.template.spec.containers[1].command, undefined);
  });

  it("runs a build mapping's program (made by the first build) with the original arguments, env, ports and volumes, on devImage, without a startup probe", () => {
    const dev = build(
      {
        image: 'registry.example/stock:1.4',
        args: ['--port', '8080'],
        env: [{ name: 'DB_URL', value: 'postgres://db' }],
        ports: [{ containerPort: 8080, name: 'http' }],
        volumeMounts: [{ name: 'config', mountPath: '/etc/stock' }],
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      },
      {
        sync: {
          ...mapping,
          remotePath: '/src',
          action: 'build',
          build: 'go build -o /tmp/devlane/bin/app .',
          binary: '/tmp/devlane/bin/app',
          devImage: 'golang:1.26',
          debug: { runtime: 'off' },
        },
      },
    );
    const main = dev.deployment.spec.template.spec.containers[1];
    assert.equal(main.image, 'golang:1.26');
    assert.equal(main.command[3], 'devlane-supervisor');
    assert.deepEqual(main.args, ['/tmp/devlane/bin/app', '--port', '8080']);
    assert.deepEqual(
      main.env.filter((e: { name: string }) => e.name !== 'DEVLANE_SESSION'),
      [
        { name: 'DB_URL', value: 'postgres://db' },
        { name: 'DEVLANE_PROGRAM', value: '/tmp/devlane/bin/app' },
      ],
    );
    assert.deepEqual(main.ports, [{ containerPort: 8080, name: 'http' }]);
    assert.ok(main.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/etc/stock'));
    assert.ok(main.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/tmp/devlane'));
    assert.equal(main.readinessProbe, undefined);
    assert.equal(main.startupProbe, undefined, 'the start does not wait for a program that the first sync builds');
  });

  it('syncs into the named container, and names the containers when it does not exist', () => {
    const dev = build(
      { command: ['node', 'server.js'] },
      { sync: { ...mapping, container: 'sidecar', action: 'none' } },
    );
    assert.equal(dev.container, 'sidecar');
    assert.throws(
      () => build({ command: ['node', 'server.js'] }, { sync: { ...mapping, container: 'nope' } }),
      /names container "nope".*"sidecar", "ratings"/,
    );
  });

  it('makes a read-only root writable when the synced path is on it, and says so', () => {
    const dev = build(
      { command: ['node', 'server.js'], securityContext: { readOnlyRootFilesystem: true } },
      { sync: mapping },
    );
    assert.equal(dev.deployment.spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem, false);
    assert.match(dev.warnings.join('\n'), /read-only root filesystem and \/app is on it/);
  });

  it('runs the dev image from the mapping', () => {
    assert.equal(
      build({ command: ['node', 'server.js'] }, { sync: { ...mapping, devImage: 'node:22' } }).deployment.spec.template
        .spec.containers[1].image,
      'node:22',
    );
  });
});
