import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goMainPackage, goSettings, proposeMapping } from '../../../src/core/sync/propose';

const shop = [
  { path: '.', entries: ['.vscode', 'README.md', 'catalog', 'ratings', 'web'] },
  { path: 'catalog', entries: ['app.py'] },
  { path: 'ratings', entries: ['server.js', 'package.json'] },
  { path: 'web', entries: ['server.js', 'package.json', 'public'] },
];

describe('mapping proposal', () => {
  it('picks the folder whose files the container has, naming what matched', () => {
    const p = proposeMapping('catalog', '/app', ['app.py', 'README.md'], shop);
    assert.deepEqual(
      { localPath: p.localPath, remotePath: p.remotePath, matched: p.matched },
      { localPath: 'catalog', remotePath: '/app', matched: 1 },
    );
    assert.match(p.reason, /app\.py/);
  });

  it('breaks a tie by the service name', () => {
    assert.equal(proposeMapping('ratings', '/app', ['server.js', 'package.json'], shop).localPath, 'ratings');
    assert.equal(proposeMapping('web', '/app', ['server.js', 'package.json'], shop).localPath, 'web');
  });

  it('falls back to a folder named like the service, then to the workspace folder, and says so', () => {
    const named = proposeMapping('ratings', '/srv', undefined, shop);
    assert.equal(named.localPath, 'ratings');
    assert.match(named.reason, /named like the service/);
    const none = proposeMapping('billing', '/srv', ['main.go'], shop);
    assert.equal(none.localPath, '.');
    assert.match(none.reason, /no local folder matches \/srv/);
  });

  it('does not count files every project has', () => {
    assert.equal(proposeMapping('x', '/app', ['README.md', '.git'], shop).matched, 0);
  });

  it('builds a Go module in the copy, on a toolchain image unless the service runs one', () => {
    // The go line is the oldest Go that builds the module: an older one gets the current toolchain, a newer one its own.
    assert.deepEqual(goSettings('module x\n\ngo 1.22\n', 'registry.example/stock:1.4'), {
      action: 'build',
      devImage: 'golang:1.26',
    });
    assert.deepEqual(goSettings('module x\n\ngo 1.27.1\n', 'registry.example/stock:1.4'), {
      action: 'build',
      devImage: 'golang:1.27',
    });
    assert.deepEqual(goSettings('module x\n\ngo 2.0\n', 'registry.example/stock:1.4'), {
      action: 'build',
      devImage: 'golang:2.0',
    });
    assert.deepEqual(goSettings('module x\n', 'gcr.io/distroless/static'), {
      action: 'build',
      devImage: 'golang:1.26',
    });
    assert.deepEqual(goSettings('module x\n\ngo 1.26\n', 'docker.io/library/golang:1.26'), { action: 'build' });
    assert.equal(goSettings(undefined, 'node:22'), undefined);
  });

  // go-httpbin's layout, as most Go repositories: go.mod at the root, a library package named like
  // the service, the program under cmd/.
  const httpbin = [
    { path: '.', entries: ['go.mod', 'README.md', 'cmd', 'httpbin', 'internal', 'examples'] },
    { path: 'cmd', entries: ['go-httpbin'] },
    { path: 'cmd/go-httpbin', entries: ['main.go'] },
    { path: 'httpbin', entries: ['handlers.go', 'httpbin.go'] },
    { path: 'internal', entries: ['testing'] },
  ];

  it('proposes the Go module that holds a package folder named like the service, not the package alone', () => {
    const p = proposeMapping('httpbin', '/app', undefined, httpbin);
    assert.equal(p.localPath, '.');
    assert.match(p.reason, /httpbin is a package of the Go module in the workspace folder \(its go\.mod\)/);
    // A folder that is a module of its own stays as it is.
    const own = proposeMapping('stock', '/app', undefined, [
      { path: '.', entries: ['go.mod', 'stock'] },
      { path: 'stock', entries: ['go.mod', 'main.go'] },
    ]);
    assert.equal(own.localPath, 'stock');
  });

  it("builds the module's program from cmd/ when the root is not one, named like the service or the only one", () => {
    assert.equal(goMainPackage('httpbin', httpbin), './cmd/go-httpbin');
    const two = [
      { path: '.', entries: ['go.mod', 'cmd'] },
      { path: 'cmd/api', entries: ['main.go'] },
      { path: 'cmd/worker', entries: ['main.go'] },
    ];
    assert.equal(goMainPackage('worker', two), './cmd/worker');
    assert.equal(
      goMainPackage('billing', two),
      undefined,
      'two programs, neither named like the service: the default build',
    );
    assert.equal(goMainPackage('stock', [{ path: '.', entries: ['go.mod', 'main.go', 'cmd'] }]), undefined);
    assert.deepEqual(goSettings('module x\n\ngo 1.26\n', 'docker.io/mccutchen/go-httpbin:v2', './cmd/go-httpbin'), {
      action: 'build',
      build: 'go build -o /tmp/devlane/bin/app ./cmd/go-httpbin',
      devImage: 'golang:1.26',
    });
  });
});
