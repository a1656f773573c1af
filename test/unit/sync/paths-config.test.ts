import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, syncActions, withService } from '../../../src/core/sync/config';
import { ignoreRules } from '../../../src/core/sync/ignore-rules';
import { relativePosix, remotePath, resolveLocalRoot, unsafeRelative } from '../../../src/core/sync/paths';
import { REPO } from '../../helpers/sandbox';

describe('sync paths', () => {
  it('maps Windows paths: separators, drive letter case, long-path prefix, case-insensitive root', () => {
    assert.equal(relativePosix('C:\\Users\\Ann\\shop', 'c:\\users\\ann\\shop\\src\\App.ts', 'win32'), 'src/App.ts');
    assert.equal(relativePosix('C:\\work\\shop\\', '\\\\?\\C:\\work\\shop\\a b\\ü.txt', 'win32'), 'a b/ü.txt');
    assert.equal(relativePosix('C:\\work\\shop', 'D:\\work\\shop\\x', 'win32'), undefined);
    assert.equal(relativePosix('C:\\work\\shop', 'C:\\work\\shopping\\x', 'win32'), undefined);
    assert.equal(relativePosix('C:\\work\\shop', 'C:\\work\\shop', 'win32'), '');
  });
  it('maps macOS paths case-insensitively at the root, keeping the file name case', () => {
    assert.equal(relativePosix('/Users/ann/Shop', '/users/ann/shop/Src/Index.JS', 'darwin'), 'Src/Index.JS');
  });
  it('is case-sensitive on Linux and refuses paths that climb out', () => {
    assert.equal(relativePosix('/home/a/Shop', '/home/a/shop/x', 'linux'), undefined);
    assert.equal(relativePosix('/home/a/shop', '/home/a/shop/../etc/passwd', 'linux'), undefined);
    assert.equal(relativePosix('/home/a/shop', '/home/a/shop/./src//a.ts', 'linux'), 'src/a.ts');
  });
  it('joins container paths and resolves workspace-relative local folders', () => {
    assert.equal(remotePath('/app/', 'src/a.ts'), '/app/src/a.ts');
    assert.equal(remotePath('/app', ''), '/app');
    assert.equal(resolveLocalRoot('C:\\work\\shop', 'services\\ratings', 'win32'), 'c:/work/shop/services/ratings');
    assert.equal(resolveLocalRoot('/w', '.', 'linux'), '/w');
  });
  it('names what cannot be carried', () => {
    assert.match(unsafeRelative('a\nb')!, /line break/);
    assert.equal(unsafeRelative('a b/ü'), undefined);
  });
});

describe('sync config', () => {
  const ok = (services: unknown) => parseConfig(JSON.stringify({ version: 1, services }));
  const fails = (text: unknown, field: string) =>
    assert.throws(
      () => parseConfig(typeof text === 'string' ? text : JSON.stringify(text)),
      (e: unknown) => e instanceof ConfigError && e.field === field && e.message.includes(field),
    );

  it('fills defaults', () => {
    const s = ok({ ratings: { remotePath: '/app' } }).services.ratings;
    assert.deepEqual(s, { localPath: '.', remotePath: '/app', exclude: [], action: 'restart', signal: 'SIGHUP' });
  });
  it('names the field that is wrong', () => {
    fails('{', '(file)');
    fails({ services: {} }, 'version');
    fails({ version: 2, services: {} }, 'version');
    fails({ version: 1, services: { r: { remotePath: 'app' } } }, 'services.r.remotePath');
    fails({ version: 1, services: { r: {} } }, 'services.r.remotePath');
    fails({ version: 1, services: { r: { remotePath: '/app', action: 'reload' } } }, 'services.r.action');
    fails({ version: 1, services: { r: { remotePath: '/app', action: 'command' } } }, 'services.r.command');
    fails({ version: 1, services: { r: { remotePath: '/app', exclude: ['a', 3] } } }, 'services.r.exclude[1]');
    fails({ version: 1, services: { r: { remotePath: '/app', remote: '/x' } } }, 'services.r.remote');
    fails({ version: 1, services: { r: { remotePath: '/app', signal: 'KILL' } } }, 'services.r.signal');
  });
  it('writes one service and keeps the others', () => {
    const c = ok({ a: { remotePath: '/a' } });
    const text = withService(c, 'b', ok({ b: { remotePath: '/b' } }).services.b);
    assert.deepEqual(Object.keys(parseConfig(text).services), ['a', 'b']);
  });
  it('agrees with the JSON schema the editor uses', () => {
    const schema = JSON.parse(readFileSync(join(REPO, 'schemas/devlane.schema.json'), 'utf8'));
    const svc = schema.properties.services.additionalProperties;
    assert.deepEqual(svc.properties.action.enum, [...syncActions]);
    assert.deepEqual(svc.required, ['remotePath']);
    assert.equal(schema.properties.version.const, 1);
  });
});

describe('sync ignore rules', () => {
  const rules = ignoreRules({
    gitignore: '*.log\n!keep.log\nbuild/\n',
    dockerignore: '/secret\n**/tmp\n',
    exclude: ['*.tmp'],
  });
  it('applies .gitignore, .dockerignore, exclude and the defaults', () => {
    assert.equal(rules.ignores('a.log', false), true);
    assert.equal(rules.ignores('keep.log', false), false);
    assert.equal(rules.ignores('build', true), true);
    assert.equal(rules.ignores('build/x.js', false), true);
    assert.equal(rules.ignores('secret', false), true);
    assert.equal(rules.ignores('src/tmp', true), true);
    assert.equal(rules.ignores('x.tmp', false), true);
    assert.equal(rules.ignores('node_modules/a/b.js', false), true);
    assert.equal(rules.ignores('.git/HEAD', false), true);
    assert.equal(rules.ignores('src/index.js', false), false);
    assert.deepEqual(rules.prunedNames, ['.git', 'node_modules']);
  });
  it('lets the config sync node_modules', () => {
    assert.equal(ignoreRules({ defaults: [] }).ignores('node_modules/a.js', false), false);
  });
});
