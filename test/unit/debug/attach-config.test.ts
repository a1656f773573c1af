// What the editor attaches with, per runtime, and the path mapping it carries (Windows, macOS and
// Linux workspaces; a container is always POSIX).
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { debugAdapters, normalizeRemoteRoot, toNativePath } from '../../../src/debug/attach-config';
import { DebugError } from '../../../src/debug/errors';
import { debugPathMapping, mappedRoots } from '../../../src/debug/mapping';

describe('attach configurations', () => {
  it('attaches js-debug to the tunnel for Node, with the mapping, source maps and re-attach', () => {
    const node = debugAdapters.node;
    assert.equal(node.attach, 'child-session');
    const c = node.config({
      localRoot: '/home/a/shop/ratings',
      remoteRoot: '/app',
      port: 41234,
      name: 'ratings (session s)',
    });
    assert.deepEqual(
      {
        type: c.type,
        request: c.request,
        address: c.address,
        port: c.port,
        localRoot: c.localRoot,
        remoteRoot: c.remoteRoot,
        sourceMaps: c.sourceMaps,
        restart: c.restart,
        name: c.name,
      },
      {
        type: 'pwa-node',
        request: 'attach',
        address: '127.0.0.1',
        port: 41234,
        localRoot: '/home/a/shop/ratings',
        remoteRoot: '/app',
        sourceMaps: true,
        restart: true,
        name: 'ratings (session s)',
      },
    );
  });

  it('gives debugpy pathMappings and justMyCode, and no address (the editor connects to the tunnel itself)', () => {
    const py = debugAdapters.python;
    assert.equal(py.attach, 'dap-server');
    const c = py.config({ localRoot: 'c:\\Users\\a\\shop\\catalog', remoteRoot: '/app', port: 5000, name: 'x' });
    assert.deepEqual(c.pathMappings, [{ localRoot: 'c:\\Users\\a\\shop\\catalog', remoteRoot: '/app' }]);
    assert.equal(c.justMyCode, true);
    assert.equal('port' in c || 'host' in c || 'connect' in c, false);
  });

  it('joins Delve in remote mode with substitutePath from the local folder to the container, through the relay', async () => {
    const go = debugAdapters.go;
    assert.equal(go.attach, 'dap-server');
    assert.equal(go.relay, 'delve', 'leaving goes through the relay, so the copy runs on');
    const w = await debugPathMapping({
      workspaceFolder: 'C:\\Users\\a\\shop',
      service: 'stock',
      workingDir: '/src/stock/',
      platform: 'win32',
    });
    const c = go.config({ ...w, port: 5000, name: 'x' });
    assert.equal(c.mode, 'remote');
    assert.deepEqual(c.substitutePath, [{ from: 'c:\\Users\\a\\shop', to: '/src/stock' }]);
    assert.equal(c.stopOnEntry, false);
    assert.equal(
      'port' in c || 'host' in c || 'request' in c,
      false,
      'the editor connects; the configuration says attach',
    );
    const mapped = go.config({
      ...mappedRoots('/home/a/shop', { localPath: 'stock', remotePath: '/app/' }, 'linux'),
      port: 1,
      name: 'x',
    });
    assert.deepEqual(mapped.substitutePath, [{ from: '/home/a/shop/stock', to: '/app' }]);
  });

  it('says how to get Delve when the image lacks dlv, and to look at the log when it only did not start', () => {
    const missing = debugAdapters.go.notListening(false, 2345, 'stock');
    assert.match(missing.message, /no dlv/);
    assert.match(missing.hint, /devImage/);
    const exited = debugAdapters.go.notListening(true, 2345, 'stock');
    assert.match(exited.message, /127\.0\.0\.1:2345.*Delve did not start.*dlv is installed/);
    assert.match(exited.hint, /Stream Logs/);
  });

  it('says how to add debugpy when the image lacks it, and something else when it only did not start', () => {
    const missing = debugAdapters.python.notListening(false, 5678, 'catalog');
    assert.match(missing.message, /no debugpy/);
    assert.match(missing.hint, /pip install debugpy|python3-debugpy/);
    const exited = debugAdapters.python.notListening(true, 5678, 'catalog');
    assert.match(exited.message, /did not start/);
    assert.match(debugAdapters.node.notListening(undefined, 9229, 'ratings').message, /127\.0\.0\.1:9229.*inspector/);
  });
});

describe('paths', () => {
  it('turns the slash form back into native Windows paths, drive letters and UNC shares included', () => {
    assert.equal(toNativePath('c:/Users/a/shop', 'win32'), 'c:\\Users\\a\\shop');
    assert.equal(toNativePath('C:\\Users\\a\\shop', 'win32'), 'c:\\Users\\a\\shop');
    assert.equal(toNativePath('//srv/share/shop', 'win32'), '\\\\srv\\share\\shop');
    assert.equal(toNativePath('/Users/a/Shop', 'darwin'), '/Users/a/Shop');
  });

  it('keeps remote roots POSIX without a trailing slash', () => {
    assert.equal(normalizeRemoteRoot('/app/'), '/app');
    assert.equal(normalizeRemoteRoot('/'), '/');
  });

  it('maps a workspace-relative localPath on Windows, macOS and Linux', () => {
    assert.deepEqual(mappedRoots('C:\\Users\\a\\shop', { localPath: 'catalog', remotePath: '/app/' }, 'win32'), {
      localRoot: 'c:\\Users\\a\\shop\\catalog',
      remoteRoot: '/app',
    });
    assert.deepEqual(
      mappedRoots('C:\\Users\\a\\shop', { localPath: 'D:\\src\\catalog', remotePath: '/srv' }, 'win32'),
      { localRoot: 'd:\\src\\catalog', remoteRoot: '/srv' },
    );
    assert.deepEqual(mappedRoots('/Users/a/My Shop', { localPath: './ratings', remotePath: '/app' }, 'darwin'), {
      localRoot: '/Users/a/My Shop/ratings',
      remoteRoot: '/app',
    });
    assert.deepEqual(mappedRoots('/home/a/shop', { localPath: '.', remotePath: '/app' }, 'linux'), {
      localRoot: '/home/a/shop',
      remoteRoot: '/app',
    });
  });
});

describe('the debug path mapping of a workspace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'devlane-debug-map-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const workspace = (config?: string) => {
    const w = mkdtempSync(join(dir, 'ws-'));
    if (config !== undefined) {
      mkdirSync(join(w, '.vscode'));
      writeFileSync(join(w, '.vscode/devlane.json'), config);
    }
    return w;
  };

  it('comes from the sync mapping when .vscode/devlane.json has one', async () => {
    const w = workspace(
      JSON.stringify({ version: 1, services: { catalog: { localPath: 'catalog', remotePath: '/app' } } }),
    );
    const notes: string[] = [];
    const m = await debugPathMapping({
      workspaceFolder: w,
      service: 'catalog',
      workingDir: '/elsewhere',
      platform: 'linux',
      note: (l) => notes.push(l),
    });
    assert.deepEqual(m, { localRoot: join(w, 'catalog'), remoteRoot: '/app', from: 'sync-mapping' });
    assert.deepEqual(notes, []);
  });

  it('falls back to the container working directory and the workspace folder, and says so', async () => {
    for (const w of [
      workspace(),
      workspace(JSON.stringify({ version: 1, services: { web: { localPath: 'web', remotePath: '/app' } } })),
    ]) {
      const notes: string[] = [];
      const m = await debugPathMapping({
        workspaceFolder: w,
        service: 'catalog',
        workingDir: '/app/',
        platform: 'linux',
        note: (l) => notes.push(l),
      });
      assert.deepEqual(m, { localRoot: w, remoteRoot: '/app', from: 'working-dir' });
      assert.match(notes.join('\n'), /no sync mapping.*working directory \/app/);
    }
  });

  it('refuses a broken config file rather than guessing, naming the field', async () => {
    const w = workspace(JSON.stringify({ version: 1, services: { catalog: { localPath: 'catalog' } } }));
    await assert.rejects(
      debugPathMapping({ workspaceFolder: w, service: 'catalog', workingDir: '/app', platform: 'linux' }),
      /services\.catalog\.remotePath: is required/,
    );
  });

  it('asks for a mapping when there is neither a mapping nor a working directory', async () => {
    const err = await debugPathMapping({ workspaceFolder: workspace(), service: 'catalog', platform: 'linux' }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof DebugError);
    assert.equal(err.code, 'no-path-mapping');
    assert.match(err.full, /"catalog": \{ "localPath": "\.", "remotePath": "\/app" \}/);
  });
});
