// The demo shop (web → catalog → ratings, from sandbox/demo/manifests) in a namespace of a test's
// own, so that session tests never disturb each other or the shared demo, and run on any cluster.
// The pods run their source straight from the ConfigMap (no init container copying it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { contexts, eventually, kubectl, kubectlJson, kubectlOk } from './kubectl';
import { REPO } from './sandbox';

/* eslint-disable @typescript-eslint/no-explicit-any */
export function shopManifests(namespace: string, opts: { istio: boolean }): string {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'sandbox/demo/manifests/shop-plain.yaml'), 'utf8')).map((d) => d.toJS() as any);
  const out: any[] = [];
  for (const d of docs) {
    if (d.kind === 'Namespace') continue;
    d.metadata.namespace = namespace;
    if (d.kind === 'Deployment') {
      const spec = d.spec.template.spec;
      delete spec.initContainers;
      spec.terminationGracePeriodSeconds = 2;
      const source = spec.volumes.find((v: any) => v.configMap);
      spec.volumes = [{ name: 'app', configMap: source.configMap }];
    }
    out.push(d);
  }
  void opts;
  return out.map((d) => stringify(d)).join('---\n');
}

export interface Shop {
  namespace: string;
  cleanup(): void;
}

/** A namespace with the three-service shop, ready; bound to Devlane's Role for alice and bob. */
export async function createShop(prefix: string, opts: { istio: boolean }): Promise<Shop> {
  const namespace = `${prefix}-${Math.random().toString(16).slice(2, 8)}`;
  kubectlOk(['create', 'namespace', namespace]);
  if (opts.istio) kubectlOk(['label', 'namespace', namespace, 'istio-injection=enabled']);
  kubectlOk(['apply', '-f', '-'], { input: shopManifests(namespace, opts) });
  kubectlOk(['create', 'rolebinding', 'devlane-developer', '-n', namespace, '--clusterrole=devlane-developer', '--user=alice', '--user=bob']);
  await eventually(`the shop in ${namespace} to be ready`, () => {
    const deps = kubectlJson(['get', 'deployments', '-n', namespace]).items as any[];
    return deps.length === 3 && deps.every((d) => (d.status?.readyReplicas ?? 0) >= 1);
  }, 120_000);
  return { namespace, cleanup: () => void kubectl(['delete', 'namespace', namespace, '--wait=false']) };
}

export { contexts };
