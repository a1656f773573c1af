// Releasing a router races with sessions starting on the same Service and with people editing it:
// the selector goes back only while the Service still selects the router pods, and a route added
// while the router drained keeps the config and the origin Service in place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectApi } from '../../../src/cluster/api';
import type { ApiType } from '../../../src/core/api-types';
import { nullLogger } from '../../../src/core/logger';
import { addRouterRoute, routerConfigMap } from '../../../src/routing/router';
import { releaseRouter } from '../../../src/session/release-router';
import { routerPodLabels } from '../../../src/core/session/route-contract';

/* eslint-disable @typescript-eslint/no-explicit-any */
const spec = {
  namespace: 'shop',
  service: 'ratings',
  ports: [{ name: 'http', port: 80, listen: 8080, protocol: 'http' as const }],
  adminPort: 15021,
};
const createdFor = { 'devlane.dev/created-for': 'ratings' };

/** A namespace in memory; `onRead` may change it when an object is read (another session acting). */
function cluster(objects: Record<string, any>, onRead: (key: string, n: number) => void = () => {}) {
  const deleted: string[] = [];
  const reads: Record<string, number> = {};
  const key = (t: ApiType, name: string) => `${t.kind}/${name}`;
  const api = {
    tryGet: async (t: ApiType, _ns: string, name: string) => {
      const k = key(t, name);
      reads[k] = (reads[k] ?? 0) + 1;
      onRead(k, reads[k]);
      return objects[k] ? structuredClone(objects[k]) : undefined;
    },
    list: async () => [],
    update: async (t: ApiType, obj: any) => (objects[key(t, obj.metadata.name)] = obj),
    delete: async (t: ApiType, _ns: string, name: string) => {
      deleted.push(key(t, name));
      delete objects[key(t, name)];
    },
  };
  return { api: api as unknown as ObjectApi, deleted, objects };
}
const ctx = (api: ObjectApi) => ({ api, logger: nullLogger, signal: AbortSignal.timeout(10_000), report: () => {} });
const meta = (name: string, extra: any = {}) => ({
  name,
  namespace: 'shop',
  resourceVersion: '1',
  uid: `uid-${name}`,
  annotations: createdFor,
  ...extra,
});

function routerObjects(serviceSelector: Record<string, string>) {
  const cm = routerConfigMap(spec);
  cm.metadata = { ...cm.metadata, resourceVersion: '1' };
  return {
    'ConfigMap/ratings-devlane-router': cm,
    'Deployment/ratings-devlane-router': { metadata: meta('ratings-devlane-router') },
    'PodDisruptionBudget/ratings-devlane-router': { metadata: meta('ratings-devlane-router') },
    'Service/ratings-devlane-origin': { metadata: meta('ratings-devlane-origin') },
    'Service/ratings': {
      metadata: {
        name: 'ratings',
        namespace: 'shop',
        resourceVersion: '1',
        annotations: { 'devlane.dev/original-selector': '{"app":"ratings"}' },
      },
      spec: { selector: serviceSelector },
    },
  };
}

describe('releasing a router', () => {
  it('puts the selector back and removes every router object when nothing uses it', async () => {
    const c = cluster(routerObjects(routerPodLabels('ratings')));
    await releaseRouter(ctx(c.api), 'shop', 'ratings');
    assert.deepEqual(c.objects['Service/ratings'].spec.selector, { app: 'ratings' });
    assert.deepEqual(c.deleted.sort(), [
      'ConfigMap/ratings-devlane-router',
      'Deployment/ratings-devlane-router',
      'PodDisruptionBudget/ratings-devlane-router',
      'Service/ratings-devlane-origin',
    ]);
  });

  it('leaves a selector someone pointed elsewhere as it is', async () => {
    const c = cluster(routerObjects({ app: 'ratings-v2' }));
    await releaseRouter(ctx(c.api), 'shop', 'ratings');
    assert.deepEqual(c.objects['Service/ratings'].spec.selector, { app: 'ratings-v2' });
  });

  it('keeps the config and the origin Service for a session that added its route during the drain', async () => {
    const objects = routerObjects(routerPodLabels('ratings'));
    const c = cluster(objects, (k, n) => {
      // The third read of the config is the one after the drain: by then another session routes through it.
      if (k === 'ConfigMap/ratings-devlane-router' && n === 3) {
        const withRoute = (
          addRouterRoute(objects['ConfigMap/ratings-devlane-router'], {
            session: 'late',
            routeKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1',
            devService: 'ratings-dl-late',
          }) as { object: any }
        ).object;
        objects['ConfigMap/ratings-devlane-router'] = {
          ...withRoute,
          metadata: { ...withRoute.metadata, resourceVersion: '2' },
        };
      }
    });
    await releaseRouter(ctx(c.api), 'shop', 'ratings');
    assert.ok(c.objects['ConfigMap/ratings-devlane-router'], 'the config stays');
    assert.ok(c.objects['Service/ratings-devlane-origin'], 'the origin Service stays');
  });
});
