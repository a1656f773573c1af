// The demo shop (web → catalog → ratings and stock, web → orders → db, from sandbox/demo/manifests) in a namespace of a test's
// own, so that session tests never disturb each other or the shared demo, and run on any cluster.
// The manifests are applied as they are; only the namespace differs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { bindDevelopers, contexts, eventually, kubectl, kubectlJson, kubectlOk } from './kubectl';
import { REPO } from './sandbox';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The demo shop's objects (without its Namespace) moved into `namespace`. */
export function shopManifests(namespace: string): string {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'sandbox/demo/manifests/shop-plain.yaml'), 'utf8')).map(
    (d) => d.toJS() as any,
  );
  return docs
    .filter((d) => d.kind !== 'Namespace')
    .map((d) => stringify({ ...d, metadata: { ...d.metadata, namespace } }))
    .join('---\n');
}

/** The shop's Deployments: web, catalog, ratings, orders and the database db. */
export const SHOP_DEPLOYMENTS = ['web', 'catalog', 'ratings', 'stock', 'orders', 'db'];

export interface Shop {
  namespace: string;
  cleanup(): void;
}

/** A namespace with the shop, ready; bound to Devlane's Role for alice and bob. */
export async function createShop(prefix: string, opts: { istio: boolean }): Promise<Shop> {
  const namespace = `${prefix}-${Math.random().toString(16).slice(2, 8)}`;
  kubectlOk(['create', 'namespace', namespace]);
  if (opts.istio) kubectlOk(['label', 'namespace', namespace, 'istio-injection=enabled']);
  kubectlOk(['apply', '-f', '-'], { input: shopManifests(namespace) });
  bindDevelopers(namespace);
  await eventually(
    `the shop in ${namespace} to be ready`,
    () => {
      const deps = kubectlJson(['get', 'deployments', '-n', namespace]).items as any[];
      return deps.length === SHOP_DEPLOYMENTS.length && deps.every((d) => (d.status?.readyReplicas ?? 0) >= 1);
    },
    120_000,
  );
  return { namespace, cleanup: () => void kubectl(['delete', 'namespace', namespace, '--wait=false']) };
}

export { contexts };
