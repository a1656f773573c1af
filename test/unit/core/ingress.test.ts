import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hostMatches,
  ingressBackend,
  ingressHosts,
  ingressServices,
  type IngressObject,
} from '../../../src/core/ingress';

const be = (name: string, port: number | string = 80) => ({
  service: { name, port: typeof port === 'number' ? { number: port } : { name: port } },
});
const ing: IngressObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'shop', namespace: 'shop' },
  spec: {
    defaultBackend: be('fallback'),
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: be('web', 'http') },
            { path: '/api/ratings', pathType: 'Prefix', backend: be('ratings') },
            { path: '/api/ratings/top', pathType: 'Exact', backend: be('top') },
          ],
        },
      },
      { host: '*.admin.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('admin') }] } },
      { http: { paths: [{ path: '/healthz', pathType: 'Exact', backend: be('health') }] } },
    ],
  },
};

describe('Ingress rules', () => {
  it("takes the longest matching path of the host's rules, Prefix by whole elements", () => {
    const h = 'shop.example.com';
    assert.deepEqual(ingressBackend(ing, h, '/'), { service: 'web', portName: 'http' });
    assert.deepEqual(ingressBackend(ing, h, '/api/ratings/p-1?x=1'), { service: 'ratings', port: 80 });
    assert.deepEqual(ingressBackend(ing, h, '/api/ratings'), { service: 'ratings', port: 80 });
    assert.equal(ingressBackend(ing, h, '/api/ratingsX')?.service, 'web', '/api/ratings does not match /api/ratingsX');
    assert.equal(ingressBackend(ing, h, '/api/ratings/top')?.service, 'top', 'Exact');
    assert.equal(ingressBackend(ing, h, '/api/ratings/top/1')?.service, 'ratings');
  });

  it('matches wildcard hosts on exactly one label, host-less rules for every host, and falls back to the default backend', () => {
    assert.equal(ingressBackend(ing, 'eu.admin.example.com', '/x')?.service, 'admin');
    assert.equal(ingressBackend(ing, 'a.eu.admin.example.com', '/x')?.service, 'fallback');
    assert.equal(ingressBackend(ing, 'SHOP.example.com:8443', '/')?.service, 'web');
    assert.equal(ingressBackend(ing, 'other.example.com', '/healthz')?.service, 'health');
    assert.equal(ingressBackend(ing, undefined, '/nothing')?.service, 'fallback');
    assert.equal(hostMatches('*.example.com', 'example.com'), false);
  });

  it('lists hosts and services', () => {
    assert.deepEqual(ingressHosts(ing), ['shop.example.com', '*.admin.example.com']);
    assert.deepEqual(ingressServices(ing), ['fallback', 'web', 'ratings', 'top', 'admin', 'health']);
  });
});
