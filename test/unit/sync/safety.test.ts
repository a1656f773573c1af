// What sync may touch in the container: never `/` or a system directory, never below a volume
// the synced container mounts inside remotePath, never many deletions unasked, and always the
// container the copy runs the service in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, type ServiceSync } from '../../../src/core/sync/config';
import { deleteConfirmThreshold, deletePreview, describeDeletes } from '../../../src/core/sync/deletes';
import { ignoreRules } from '../../../src/core/sync/ignore-rules';
import { listingCommand, parseListing, planInitialSync, type Tree } from '../../../src/core/sync/listing';
import { KeptPaths, mountsOfTarget } from '../../../src/core/sync/mounts';
import { proposeMapping } from '../../../src/core/sync/propose';
import { remotePathProblem } from '../../../src/core/sync/remote-root';
import { parseSyncAnnotation, syncContainer, SyncTargetError } from '../../../src/core/sync/target';

describe('sync remotePath', () => {
  it('refuses the root and system directories, saying what to set instead', () => {
    for (const p of [
      '/',
      '//',
      '/usr',
      '/usr/',
      '/etc',
      '/etc/nginx',
      '/bin',
      '/usr/bin/app',
      '/lib64',
      '/proc/1',
      '/sys/fs',
      '/dev',
      '/var',
      '/boot',
      '/sbin',
      '/root',
      '/tmp',
      '/usr/local',
      '/app/../etc',
      '/opt',
      '/home',
    ]) {
      const why = remotePathProblem(p);
      assert.ok(why, `${p} is refused`);
      assert.match(why, /Set remotePath to the folder that holds only the service's code/);
    }
    assert.match(remotePathProblem('/')!, /the root of the container/);
  });

  it('allows the folders images keep code in', () => {
    for (const p of [
      '/app',
      '/usr/src/app',
      '/usr/share/nginx/html',
      '/var/www/html',
      '/home/node/app',
      '/opt/app',
      '/srv',
      '/workspace',
      '/root/app',
      '/usr/local/app',
    ])
      assert.equal(remotePathProblem(p), undefined, p);
  });

  it('is checked when .vscode/devlane.json is read, naming the field', () => {
    for (const remotePath of ['/', '/usr', '/etc/app']) {
      assert.throws(
        () => parseConfig(JSON.stringify({ version: 1, services: { r: { remotePath } } })),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.field === 'services.r.remotePath' &&
          /system directory|root of the container/.test(e.message) &&
          /such as \/app/.test(e.message),
      );
    }
  });

  it('is not proposed when the working directory is a system directory', () => {
    const local = [{ path: '.', entries: ['server.js'] }];
    const p = proposeMapping('ratings', '/', ['bin', 'etc', 'server.js'], local);
    assert.match(p.problem ?? '', /^The container's working directory is the root of the container: .*Set remotePath/);
    assert.equal(proposeMapping('ratings', '/app', ['server.js'], local).problem, undefined);
  });
});

const podSpec = {
  containers: [
    { name: 'sidecar', volumeMounts: [{ name: 'shared', mountPath: '/app/other' }] },
    {
      name: 'app',
      volumeMounts: [
        { name: 'settings', mountPath: '/app/config/' },
        { name: 'uploads', mountPath: '/app/public/uploads' },
        { name: 'nfs', mountPath: '/app/nfs' },
        { name: 'host', mountPath: '/app/host' },
        { name: 'token', mountPath: '/app/secret.json', subPath: 'token' },
        { name: 'cache', mountPath: '/app/cache' },
        { name: 'devlane-run', mountPath: '/app/.devlane-run' },
        { name: 'logs', mountPath: '/var/log/app' },
        { name: 'code', mountPath: '/srv' },
      ],
    },
  ],
  volumes: [
    { name: 'shared', persistentVolumeClaim: { claimName: 'x' } },
    { name: 'settings', configMap: { name: 'settings' } },
    { name: 'uploads', persistentVolumeClaim: { claimName: 'uploads' } },
    { name: 'nfs', nfs: { server: 'nfs', path: '/' } },
    { name: 'host', hostPath: { path: '/data' } },
    { name: 'token', secret: { secretName: 'token' } },
    { name: 'cache', emptyDir: {} },
    { name: 'devlane-run', emptyDir: {} },
    { name: 'logs', persistentVolumeClaim: { claimName: 'logs' } },
    { name: 'code', emptyDir: {} },
  ],
};

describe('sync and mounted volumes', () => {
  it("lists the synced container's volumes inside remotePath, of every kind but Devlane's own", () => {
    const m = mountsOfTarget(podSpec, 'app', '/app', ['devlane-run']);
    assert.deepEqual(
      m.inside.map((x) => `${x.rel} ${x.kind} ${x.volume}`),
      [
        'cache emptyDir cache',
        'config configMap settings',
        'host hostPath host',
        'nfs nfs nfs',
        'public/uploads persistentVolumeClaim uploads',
        'secret.json secret token',
      ],
    );
    assert.equal(m.shared, undefined);
    assert.deepEqual(
      mountsOfTarget(podSpec, 'sidecar', '/app', []).inside.map((x) => x.rel),
      ['other'],
    );
  });

  it("refuses a remotePath on a shared volume, and syncs one on the pod's own emptyDir", () => {
    assert.equal(mountsOfTarget(podSpec, 'app', '/var/log/app/x', []).shared?.volume, 'logs');
    assert.equal(mountsOfTarget(podSpec, 'app', '/app/public/uploads', []).shared?.kind, 'persistentVolumeClaim');
    assert.deepEqual(mountsOfTarget(podSpec, 'app', '/srv', []), { inside: [] });
  });

  it('plans neither deletes nor writes below a mount, and empties a folder around one', () => {
    const remote: Tree = new Map([
      ['config', { hash: '', dir: true }],
      ['config/app.yaml', { hash: 'c1' }],
      ['public', { hash: '', dir: true }],
      ['public/uploads', { hash: '', dir: true }],
      ['public/uploads/photo.jpg', { hash: 'p1' }],
      ['public/old.css', { hash: 'o1' }],
      ['stray.txt', { hash: 's1' }],
    ]);
    const local: Tree = new Map([
      ['server.js', { hash: 'x' }],
      ['config', { hash: '', dir: true }],
      ['config/app.yaml', { hash: 'mine' }],
    ]);
    const kept = new KeptPaths(['config', 'public/uploads']);
    const plan = planInitialSync(local, { algo: 'sha256', tree: remote }, ignoreRules({}), kept);
    assert.deepEqual(plan, { writes: ['server.js'], deletes: ['public/old.css', 'stray.txt'] });
    // Without the mounts, the same plan deletes the volumes' files.
    assert.deepEqual(planInitialSync(local, { algo: 'sha256', tree: remote }, ignoreRules({})).deletes, [
      'public',
      'stray.txt',
    ]);
  });

  it('the listing script does not descend into a mount point', { skip: process.platform === 'win32' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'devlane-list-'));
    try {
      mkdirSync(join(dir, 'conf[1]/sub'), { recursive: true });
      writeFileSync(join(dir, 'conf[1]/sub/a'), 'a');
      writeFileSync(join(dir, 'conf[1]/b'), 'b');
      writeFileSync(join(dir, 'top'), 't');
      const [cmd, ...args] = listingCommand(dir, [], ['conf[1]/sub']);
      const listing = parseListing(spawnSync(cmd, args, { encoding: 'utf8' }).stdout);
      assert.ok(listing !== 'no-root');
      assert.deepEqual([...listing.tree.keys()].sort(), ['conf[1]', 'conf[1]/b', 'top']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sync deletions past the threshold', () => {
  const tree = (n: number): Tree =>
    new Map(Array.from({ length: n }, (_, i) => [`f${String(i).padStart(2, '0')}`, { hash: 'h' }] as const));
  const where = { pod: 'ratings-dev', remotePath: '/app' };

  it('go ahead unasked up to the threshold', () => {
    const t = tree(deleteConfirmThreshold);
    assert.equal(deletePreview([...t.keys()], t, where), undefined);
  });

  it("past it, name the first paths and count all of them, folders' contents included", () => {
    const t = tree(deleteConfirmThreshold + 1);
    const p = deletePreview([...t.keys()], t, where);
    assert.deepEqual(p && { count: p.count, shown: p.paths.length, first: p.paths[0], more: p.more }, {
      count: 21,
      shown: 10,
      first: 'f00',
      more: 11,
    });
    assert.match(
      describeDeletes(p!),
      /^The first sync would delete 21 paths in \/app of ratings-dev that are not in your local folder:\n {2}f00\n/,
    );
    assert.match(describeDeletes(p!), /… and 11 more$/);
    const nested: Tree = new Map([
      ['vendor', { hash: '', dir: true }],
      ...[...tree(25)].map(([k, v]) => [`vendor/${k}`, v] as const),
    ]);
    assert.deepEqual(deletePreview(['vendor'], nested, where)?.paths, ['vendor/']);
    assert.equal(deletePreview(['vendor'], nested, where)?.count, 26);
  });
});

describe('sync target container', () => {
  const mapping = parseConfig(JSON.stringify({ version: 1, services: { s: { remotePath: '/app' } } })).services.s;
  const pod = (annotation?: string) => ({
    metadata: { name: 'shop-dev-1', ...(annotation ? { annotations: { 'devlane.dev/sync': annotation } } : {}) },
    spec: { containers: [{ name: 'proxy' }, { name: 'app' }] },
  });
  const sync = (a: string | undefined, m: ServiceSync = mapping, fallback?: string) =>
    syncContainer(pod(a), parseSyncAnnotation(a, 'shop-dev-1'), m, fallback);

  it("is the one the copy was made for (the Service's), not the first", () => {
    assert.equal(sync('{"container":"app","remotePath":"/app","action":"restart"}'), 'app');
    assert.equal(sync(undefined, mapping, 'app'), 'app');
    assert.equal(sync(undefined, { ...mapping, container: 'app' }), 'app');
  });

  it('refuses to guess, or to follow a config that disagrees with the copy', () => {
    assert.throws(
      () => sync(undefined),
      (e: unknown) => e instanceof SyncTargetError && /Set "container"/.test(e.message),
    );
    assert.throws(
      () => sync('{"container":"app"}', { ...mapping, container: 'proxy' }),
      /runs the program in container "app", but .*"container": "proxy".*Stop the session and start it again/,
    );
    assert.throws(() => sync('{"container":"gone"}'), /has no container "gone"/);
    assert.throws(() => sync('not json'), /annotation Devlane cannot read/);
  });
});
