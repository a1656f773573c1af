// Where Trace Route's probe enters when the user names none (the Service an Ingress sends the path
// to, else the exposed Service, else the one no other workload names), and what a named entry
// (`SERVICE`, `ingress/NAME`) resolves to; every refusal lists the choices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseEntry,
  type EntryFacts,
  inferEntry,
  namesService,
  type TemplateWorkload,
} from '../../../src/doctor/entry';
import type { IngressObject } from '../../../src/core/ingress';
import type { Service } from '../../../src/core/resources';

const service = (name: string, type?: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
  spec: { type, clusterIP: '10.0.0.1', selector: { app: name } },
});

const deployment = (app: string, env: Record<string, string> = {}): TemplateWorkload => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: app, namespace: 'shop' },
  spec: {
    template: {
      metadata: { labels: { app } },
      spec: { containers: [{ env: Object.entries(env).map(([name, value]) => ({ name, value })) }] },
    },
  },
});

const ingress = (name: string, paths: [path: string, service: string][], host?: string): IngressObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'shop' },
  spec: {
    rules: [
      {
        host,
        http: {
          paths: paths.map(([path, svc]) => ({
            path,
            pathType: 'Prefix',
            backend: { service: { name: svc, port: { number: 80 } } },
          })),
        },
      },
    ],
  },
});

/** The demo shop: web calls catalog, catalog calls ratings, by URLs in their environment. */
const shop = (o: Partial<EntryFacts> = {}): EntryFacts => ({
  namespace: 'shop',
  services: [service('web'), service('catalog'), service('ratings')],
  ingresses: [],
  workloads: [
    deployment('web', { CATALOG_URL: 'http://catalog' }),
    deployment('catalog', { RATINGS_URL: 'ratings.shop.svc.cluster.local:80' }),
    deployment('ratings', { VERSION: 'v1' }),
  ],
  ...o,
});

describe('trace entry', () => {
  it('reads an env value as naming a Service only where the name stands as a host', () => {
    for (const v of [
      'http://catalog',
      'catalog',
      'catalog:8080',
      'catalog.shop.svc',
      'http://u:p@catalog/x',
      'a,catalog',
    ])
      assert.ok(namesService(v, 'catalog'), v);
    for (const v of ['http://catalog-v2', 'mycatalog', 'http://x/catalogs', ''])
      assert.ok(!namesService(v, 'catalog'), v);
  });

  it('without an Ingress or an exposed Service, infers the one Service no other workload names', () => {
    const r = inferEntry(shop(), '/api/products');
    assert.equal(r.entry?.service, 'web');
    assert.match(r.entry!.reason, /no other workload in the namespace names/);
  });

  it('prefers the Service an Ingress sends the path to, and says which Ingress', () => {
    const facts = shop({
      ingresses: [
        ingress(
          'front',
          [
            ['/api', 'catalog'],
            ['/', 'web'],
          ],
          'shop.example.com',
        ),
      ],
    });
    assert.deepEqual(inferEntry(facts, '/api/products').entry, {
      service: 'catalog',
      ingress: 'front',
      reason: 'Ingress front sends /api/products to it',
    });
    assert.equal(inferEntry(facts, '/cart').entry?.service, 'web');
  });

  it('then a LoadBalancer or NodePort Service', () => {
    const facts = shop({ services: [service('web'), service('catalog', 'NodePort'), service('ratings')] });
    assert.equal(inferEntry(facts, '/').entry?.service, 'catalog');
  });

  it('narrows several exposed Services to the one nothing calls', () => {
    const facts = shop({
      services: [service('web', 'LoadBalancer'), service('catalog', 'LoadBalancer'), service('ratings')],
    });
    assert.equal(inferEntry(facts, '/').entry?.service, 'web');
  });

  it('fails listing the choices when no single Service stands out, and when a named entry is unknown', () => {
    const two = shop({
      workloads: [deployment('web'), deployment('catalog'), deployment('ratings', { U: 'http://catalog' })],
    });
    assert.throws(
      () => chooseEntry(two, undefined, '/'),
      (e: Error & { hint?: string }) => {
        assert.match(e.message, /Cannot tell where the probe should enter: web, ratings could each be/);
        assert.match(e.hint ?? '', /Nothing was changed\. Pass --entry with one of: web, ratings\./);
        return true;
      },
    );
    const facts = shop({ ingresses: [ingress('front', [['/', 'web']])] });
    assert.throws(
      () => chooseEntry(facts, 'nope', '/'),
      (e: Error & { hint?: string }) => {
        assert.match(e.message, /Service nope does not exist in namespace shop/);
        assert.match(e.hint ?? '', /one of: web, catalog, ratings, ingress\/front\./);
        return true;
      },
    );
    assert.throws(() => chooseEntry(facts, 'ingress/back', '/'), /Ingress back does not exist in namespace shop/);
  });

  it('resolves a named Service or Ingress', () => {
    const facts = shop({
      ingresses: [
        ingress('front', [
          ['/api', 'catalog'],
          ['/', 'web'],
        ]),
        ingress('split', [['/', 'web']], 'a.example.com'),
      ],
    });
    assert.equal(chooseEntry(facts, 'service/ratings', '/').service, 'ratings');
    assert.deepEqual(chooseEntry(facts, 'ingress/front', '/api/x'), {
      service: 'catalog',
      ingress: 'front',
      reason: 'Ingress front sends /api/x to it',
    });
    facts.ingresses[1].spec!.rules!.push({
      host: 'b.example.com',
      http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'catalog' } } }] },
    });
    assert.throws(
      () => chooseEntry(facts, 'ingress/split', '/'),
      /Ingress split sends \/ to web or catalog, depending on the host/,
    );
  });
});
