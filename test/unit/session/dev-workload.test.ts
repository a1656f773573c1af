import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../../src/core/resources';
import { buildDevWorkload, rewriteLabels } from '../../../src/core/session/dev-workload';
import { SessionError } from '../../../src/core/session/errors';
import { matchesServiceSelector } from '../../../src/core/selectors';

const svc = (name: string, selector: Record<string, string>, ports = [{ name: 'http', port: 80, targetPort: 'http' as number | string }]): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { selector, ports },
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
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'ratings-data' } }, { name: 'cfg', configMap: { name: 'cfg' } }],
      },
    },
  },
};

const services = [svc('ratings', { app: 'ratings' }), svc('backends', { tier: 'backend' }), svc('v1-only', { version: 'v1', app: 'ratings' })];
const base = { deployment, service: services[0], services, session: 'alice-ratings', record: { name: 'devlane-session-alice-ratings', uid: 'u-1' } };

describe('dev workload', () => {
  it('copies image, env, envFrom, volumes and service account; drops liveness, keeps readiness', () => {
    const dev = buildDevWorkload({ ...base, pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteMany'] }] });
    const pod = dev.deployment.spec.template.spec;
    const main = pod.containers[1];
    assert.equal(main.image, 'node:22-slim');
    assert.deepEqual(main.envFrom, [{ configMapRef: { name: 'cfg' } }]);
    assert.deepEqual(main.env, [{ name: 'VERSION', value: 'v1' }, { name: 'DEVLANE_SESSION', value: 'alice-ratings' }]);
    assert.equal(main.livenessProbe, undefined);
    assert.deepEqual(main.readinessProbe, deployment.spec.template.spec.containers[1].readinessProbe);
    assert.equal(main.ports[0].hostPort, undefined);
    assert.equal(pod.serviceAccountName, 'ratings-sa');
    assert.deepEqual(pod.volumes, deployment.spec.template.spec.volumes);
    assert.equal(dev.deployment.spec.replicas, 1);
    assert.equal(dev.deployment.metadata.name, 'ratings-dl-alice-ratings');
    assert.deepEqual(dev.deployment.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'devlane-session-alice-ratings', uid: 'u-1' }]);
    // The original is not touched.
    assert.ok(deployment.spec.template.spec.containers[1].livenessProbe);
  });

  it('rewrites every label a Service selects on, so no original Service selects the copy', () => {
    const dev = buildDevWorkload({ ...base, pvcs: [] , deployment: { ...deployment, spec: { ...deployment.spec, template: { ...deployment.spec.template, spec: { ...deployment.spec.template.spec, volumes: [] } } } } });
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
    const dev = buildDevWorkload({ ...base, pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteMany'] }], image: 'registry/ratings:pr-42' });
    assert.equal(dev.deployment.spec.template.spec.containers[1].image, 'registry/ratings:pr-42');
    assert.equal(dev.deployment.spec.template.spec.containers[0].image, 'busybox:1');
  });

  it('refuses ReadWriteOnce claims, naming them, and offers emptyDir', () => {
    assert.throws(
      () => buildDevWorkload({ ...base, pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteOnce'] }] }),
      (err: unknown) => err instanceof SessionError && err.code === 'volume' && /ratings-data/.test(err.message) && /emptyDir|rwo-as-emptydir/i.test(err.hint),
    );
    const dev = buildDevWorkload({ ...base, pvcs: [{ name: 'ratings-data', accessModes: ['ReadWriteOnce'] }], rwoAsEmptyDir: true });
    assert.deepEqual(dev.deployment.spec.template.spec.volumes[0], { name: 'data', emptyDir: {} });
    assert.match(dev.warnings[0], /ratings-data/);
  });
});
