// Reads both sides for a mapping proposal (src/core/sync/propose.ts): the working directory and
// its entries in a running pod of the service's original workload (a short exec; `ls` is enough),
// and the workspace's folders two levels down, without ignored folders.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import type { Json, Pod, Service } from '../core/resources';
import { labels } from '../core/session/route-contract';
import { mainContainerIndex } from '../core/session/dev-workload';
import {
  type BuildSettings,
  describeSettings,
  goMainPackage,
  goSettings,
  type LocalCandidate,
  type MappingProposal,
  proposeMapping,
} from '../core/sync/propose';
import { findDeployment } from '../session/target';
import { selectorString } from '../core/selectors';

const skipped = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  'dist',
  'out',
  'build',
  'target',
  '.venv',
  'venv',
  '__pycache__',
  '.devlane',
]);

export async function localCandidates(workspaceFolder: string, maxDepth = 2): Promise<LocalCandidate[]> {
  const out: LocalCandidate[] = [];
  const walk = async (rel: string, depth: number) => {
    let dirents;
    try {
      dirents = await readdir(rel === '.' ? workspaceFolder : join(workspaceFolder, rel), { withFileTypes: true });
    } catch {
      return;
    }
    out.push({ path: rel, entries: dirents.map((d) => d.name) });
    if (depth >= maxDepth) return;
    for (const d of dirents)
      if (d.isDirectory() && !skipped.has(d.name) && !d.name.startsWith('.'))
        await walk(rel === '.' ? d.name : `${rel}/${d.name}`, depth + 1);
  };
  await walk('.', 0);
  return out;
}

/** The container side: its working directory and what is in it, from a running original pod. */
export async function remoteWorkingDir(
  api: ObjectApi,
  namespace: string,
  service: string,
  signal: AbortSignal,
): Promise<{ dir: string; entries?: string[]; container: string; image?: string }> {
  const svc = await api.get<Service>(apiTypes.service, namespace, service, signal);
  const dep = await findDeployment(api, svc, signal);
  const containers: Json[] = dep.spec?.template?.spec?.containers ?? [];
  const c = containers[mainContainerIndex(containers, svc)];
  const specDir = c?.workingDir as string | undefined;
  const selector = selectorString((dep.spec?.selector?.matchLabels ?? {}) as Record<string, string>);
  const pods = selector ? await api.list<Pod>(apiTypes.pod, namespace, { labelSelector: selector }, signal) : [];
  const pod = pods.find((p) => p.status?.phase === 'Running' && !p.metadata.labels?.[labels.role]);
  if (pod && c) {
    try {
      const r = await api.exec(
        namespace,
        pod.metadata.name,
        c.name,
        ['sh', '-c', 'cd "${1:-.}" 2>/dev/null; pwd; ls -A', 'devlane-propose', specDir ?? ''],
        signal,
      );
      const [dir, ...entries] = r.stdout.split('\n').filter(Boolean);
      if (r.exitCode === 0 && dir?.startsWith('/')) return { dir, entries, container: c.name, image: c.image };
    } catch {
      // No shell in the image, or exec not allowed: the spec's working directory is all we know.
    }
  }
  return { dir: specDir ?? '/app', container: c?.name ?? '', image: c?.image };
}

export async function proposeFor(
  api: ObjectApi,
  namespace: string,
  service: string,
  workspaceFolder: string,
  signal: AbortSignal,
): Promise<MappingProposal> {
  const [remote, local] = await Promise.all([
    remoteWorkingDir(api, namespace, service, signal),
    localCandidates(workspaceFolder),
  ]);
  const proposal = { ...proposeMapping(service, remote.dir, remote.entries, local), image: remote.image };
  const go = await goSettingsFor(workspaceFolder, proposal.localPath, service, remote.image);
  return go ? { ...proposal, reason: `${proposal.reason}; ${describeSettings(go, remote.image)}` } : proposal;
}

/** What a mapping of the local folder `localPath` sets when it is a Go module (its go.mod, its program's package). */
export async function goSettingsFor(
  workspaceFolder: string,
  localPath: string,
  service: string,
  image: string | undefined,
): Promise<BuildSettings | undefined> {
  const goMod = await readGoMod(workspaceFolder, localPath);
  if (goMod === undefined) return undefined;
  return goSettings(goMod, image, goMainPackage(service, await localCandidates(join(workspaceFolder, localPath))));
}

/** The go.mod of a local folder (relative to the workspace), or undefined. */
function readGoMod(workspaceFolder: string, localPath: string): Promise<string | undefined> {
  return readFile(join(workspaceFolder, localPath, 'go.mod'), 'utf8').catch(() => undefined);
}
