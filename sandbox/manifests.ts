// Applies YAML manifests to the store as the cluster admin would with `kubectl create -f`, and waits
// for the Deployments they create to be available. Used for the demo shop at start-up.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Api, KObject } from './core/types';

export function demoManifestFiles(repoRoot: string): string[] {
  const dir = join(repoRoot, 'sandbox/demo/manifests');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

function resourceKey(api: Api, obj: KObject): string {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const info = api.resources().find((r) => r.group === group && r.version === version && r.kind === obj.kind);
  if (!info) throw new Error(`${obj.apiVersion} ${obj.kind} is not served by the sandbox`);
  return info.key;
}

/** Creates every object (namespaces and cluster roles first); returns what was created. */
export function applyManifests(api: Api, files: string[]): KObject[] {
  const objs: KObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      const o = doc.toJS() as KObject | null;
      if (o) objs.push(o);
    }
  }
  const rank = (o: KObject) => (o.kind === 'Namespace' ? 0 : o.kind.startsWith('Cluster') ? 1 : 2);
  objs.sort((a, b) => rank(a) - rank(b));
  return objs.map((o) => {
    const key = resourceKey(api, o);
    const ns = api.resource(key).namespaced ? (o.metadata.namespace ?? 'default') : undefined;
    return api.create(key, ns, o);
  });
}

/** Resolves when every created Deployment has all its replicas available; rejects with the pods' state on timeout. */
export async function waitForDeployments(
  api: Api,
  created: KObject[],
  timeoutMs: number,
  say: (m: string) => void,
): Promise<void> {
  const deployments = created.filter((o) => o.kind === 'Deployment');
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const waiting = deployments.filter((d) => {
      const cur = api.tryGet('deployments.apps', d.metadata.namespace, d.metadata.name!);
      const want = cur?.spec?.replicas ?? 1;
      return (
        !cur ||
        (cur.status?.availableReplicas ?? 0) < want ||
        cur.status?.observedGeneration !== cur.metadata.generation
      );
    });
    if (waiting.length === 0) return;
    const names = waiting.map((d) => `${d.metadata.namespace}/${d.metadata.name}`).join(', ');
    if (names !== last) {
      say(`waiting for ${names}`);
      last = names;
    }
    if (Date.now() > deadline) {
      const pods = waiting.flatMap(
        (d) => api.list('pods', d.metadata.namespace, { labelSelector: `app=${d.metadata.name}` }).items,
      );
      const state = pods
        .map(
          (p) =>
            `${p.metadata.namespace}/${p.metadata.name}: ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.map((c: { state: unknown }) => c.state) ?? [])}`,
        )
        .join('\n  ');
      throw new Error(`demo deployments not available after ${timeoutMs / 1000} s: ${names}\n  ${state}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
