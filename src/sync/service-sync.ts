// Hot sync for one service of a session, as the editor and the CLI start it: read the mapping from
// `.vscode/devlane.json`, the ignore files of the mapped folder, find the developer copy's pod by
// its session labels (again after every reconnect), and run a Syncer fed by the watcher and the
// editor's save events. The container synced into is the one the copy was made for (its
// `devlane.dev/sync` annotation: the container the Service targets), not simply the first.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { Event } from '../core/events';
import { DisposableStore, type IDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { Pod, Service } from '../core/resources';
import { mainContainerIndex } from '../core/session/dev-workload';
import { annotations } from '../core/session/names';
import { selectors } from '../core/session/route-contract';
import {
  configFile,
  ConfigError,
  type DevlaneConfig,
  parseConfig,
  type ServiceSync,
  withService,
} from '../core/sync/config';
import type { ConfirmDeletes } from '../core/sync/deletes';
import { parseSyncAnnotation, syncContainer } from '../core/sync/target';
import { ignoreRules } from '../core/sync/ignore-rules';
import { type Platform, resolveLocalRoot } from '../core/sync/paths';
import { followSaves, watchFolder } from './sources';
import { Syncer } from './syncer';

export interface ServiceSyncRequest {
  api: ObjectApi;
  namespace: string;
  session: string;
  service: string;
  workspaceFolder: string;
  logger: Logger;
  /** Absolute paths of saved documents (the editor's onDidSaveTextDocument). */
  onDidSave?: Event<string>;
  /** Asked before the first sync deletes many paths in the container; without it they are kept. */
  confirmDeletes?: ConfirmDeletes;
}

export interface ServiceSyncHandle extends IDisposable {
  readonly syncer: Syncer;
  readonly mapping: ServiceSync;
  /** The local folder synced (absolute). */
  readonly localRoot: string;
}

const readText = (p: string) => readFile(p, 'utf8').catch(() => undefined);
const hostPlatform: Platform =
  process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';

/** The service's mapping from the workspace's config file; a ConfigError names what is missing or wrong. */
export async function readMapping(workspaceFolder: string, service: string): Promise<ServiceSync> {
  const text = await readText(join(workspaceFolder, configFile));
  if (text === undefined)
    throw new ConfigError(
      '(file)',
      `does not exist; add { "version": 1, "services": { "${service}": { "localPath": ".", "remotePath": "/app" } } }`,
    );
  const mapping = parseConfig(text).services[service];
  if (!mapping)
    throw new ConfigError(
      `services.${service}`,
      'is missing: say which local folder goes to which path in the container',
    );
  return mapping;
}

/** The workspace's config file, or undefined when it has none; an invalid file throws a ConfigError. */
export async function readWorkspaceConfig(workspaceFolder: string): Promise<DevlaneConfig | undefined> {
  const text = await readText(join(workspaceFolder, configFile));
  return text === undefined ? undefined : parseConfig(text);
}

/** The service's mapping, or undefined when the workspace has no config file or it does not name the service; an invalid file throws. */
export async function findMapping(workspaceFolder: string, service: string): Promise<ServiceSync | undefined> {
  return (await readWorkspaceConfig(workspaceFolder))?.services[service];
}

/** Saves a confirmed mapping for `service` into the workspace's config file (the others kept); returns it as read back. */
export async function saveMapping(
  workspaceFolder: string,
  config: DevlaneConfig | undefined,
  service: string,
  mapping: Pick<ServiceSync, 'localPath' | 'remotePath'> & Partial<Pick<ServiceSync, 'action' | 'devImage'>>,
): Promise<ServiceSync> {
  const saved = parseConfig(
    withService(config, service, { exclude: [], action: 'restart', signal: 'SIGHUP', ...mapping }),
  ).services[service];
  const file = join(workspaceFolder, configFile);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, withService(config, service, saved));
  return saved;
}

export async function startServiceSync(req: ServiceSyncRequest, signal: AbortSignal): Promise<ServiceSyncHandle> {
  const mapping = await readMapping(req.workspaceFolder, req.service);
  const localRoot = resolveLocalRoot(req.workspaceFolder, mapping.localPath, hostPlatform);
  const rules = ignoreRules({
    gitignore: await readText(join(localRoot, '.gitignore')),
    dockerignore: await readText(join(localRoot, '.dockerignore')),
    exclude: mapping.exclude,
    defaults: mapping.defaultExcludes,
  });
  const selector = selectors.devPods(req.session, req.service);
  const resolveTarget = async (s: AbortSignal) => {
    const pods = await req.api.list<Pod>(apiTypes.pod, req.namespace, { labelSelector: selector }, s);
    const pod = pods.find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    if (!pod)
      throw new ClusterError(
        'not-found',
        `No running developer copy of ${req.service} in session ${req.session} (pods labelled ${selector} in ${req.namespace})`,
        'Waiting for it to start.',
      );
    const annotation = parseSyncAnnotation(pod.metadata.annotations?.[annotations.sync], pod.metadata.name);
    const fallback = annotation || mapping.container ? undefined : await serviceTargeted(req, pod, s);
    return {
      namespace: req.namespace,
      pod: pod.metadata.name,
      container: syncContainer(pod, annotation, mapping, fallback),
    };
  };
  const store = new DisposableStore();
  const syncer = store.add(
    new Syncer({
      api: req.api,
      resolveTarget,
      localRoot,
      mapping,
      rules,
      logger: req.logger,
      confirmDeletes: req.confirmDeletes,
    }),
  );
  const abort = () => store.dispose();
  signal.addEventListener('abort', abort, { once: true });
  try {
    await syncer.start();
    store.add(await watchFolder(localRoot, rules, syncer, req.logger));
    if (req.onDidSave) store.add(followSaves(req.onDidSave, syncer));
  } catch (e) {
    store.dispose();
    throw e;
  } finally {
    signal.removeEventListener('abort', abort);
  }
  return { syncer, mapping, localRoot, dispose: () => store.dispose() };
}

/** For a copy made without sync (no annotation): the container the original Service sends traffic to. */
async function serviceTargeted(req: ServiceSyncRequest, pod: Pod, signal: AbortSignal): Promise<string | undefined> {
  const containers = pod.spec?.containers ?? [];
  const svc = await req.api.get<Service>(apiTypes.service, req.namespace, req.service, signal).catch(() => undefined);
  return svc ? containers[mainContainerIndex(containers, svc)]?.name : undefined;
}
