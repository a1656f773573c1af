// The Go programs images carry (scripts/lib/go-build.mjs), built with this machine's Go into a cache
// of the test's own: a module folder is built once, found again while its files are unchanged,
// built anew when they change, and a failed build says why and leaves nothing in the cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { goBinary } from '../../../scripts/lib/go-build.mjs';

const hasGo = spawnSync('go', ['version']).status === 0;

describe('Go binaries for the images', { skip: !hasGo && 'Go is not installed here' }, () => {
  let dir = '';
  let saved: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'devlane-go-build-'));
    saved = process.env.DEVLANE_GO_CACHE;
    process.env.DEVLANE_GO_CACHE = join(dir, 'cache');
  });
  after(() => {
    if (saved === undefined) delete process.env.DEVLANE_GO_CACHE;
    else process.env.DEVLANE_GO_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  const module = (name: string, says: string) => {
    const src = join(dir, name);
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'go.mod'), `module example.com/${name}\n\ngo 1.22\n`);
    writeFileSync(
      join(src, 'main.go'),
      `package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("${says}") }\n`,
    );
    return src;
  };
  const run = (bin: string) => spawnSync(bin, { encoding: 'utf8' }).stdout;

  it('builds a module folder once, finds it again unchanged, and builds it anew when a file changes', async () => {
    const src = module('hello', 'one');
    const said: string[] = [];
    const first = await goBinary(src, (m) => said.push(m));
    assert.equal(run(first), 'one');
    assert.equal(said.length, 2, said.join('\n'));
    assert.match(said[0], /^building hello from .* with go1\.\d+/);
    const again = await goBinary(src, (m) => said.push(m));
    assert.equal(again, first);
    assert.equal(said.length, 2, 'nothing was built the second time');
    module('hello', 'two');
    const changed = await goBinary(src);
    assert.notEqual(changed, first);
    assert.equal(run(changed), 'two');
  });

  it('a failed build names the source and gives the compiler output, and leaves nothing in the cache', async () => {
    const src = module('broken', 'x');
    writeFileSync(join(src, 'main.go'), 'package main\n\nfunc main() { undefinedThing() }\n');
    await assert.rejects(goBinary(src), (e: Error) => {
      assert.match(e.message, /^go build of .*broken failed \(exit 1\):/);
      assert.match(e.message, /main\.go:3:\d+: undefined: undefinedThing/);
      return true;
    });
    assert.deepEqual(
      readdirSync(join(dir, 'cache')).filter((f) => f.startsWith('broken')),
      [],
    );
  });

  it('refuses a source that is neither a module folder nor PKG@VERSION', async () => {
    await assert.rejects(
      goBinary(join(dir, 'nothing-here')),
      /is neither a Go module folder \(no go\.mod\) nor PKG@VERSION/,
    );
  });
});
