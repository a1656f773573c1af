// `npm run demo` on a fresh machine: every missing system package is named at once, in one
// apt-get line, and the demo never asks for a browser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installDecision, missingPackages, missingText } from '../../../scripts/lib/host-packages.mjs';
import { missingTools } from '../../e2e/harness/tools';

const nothing = () => false;
const names = (o: { real: boolean; codeServerInstalled: boolean; exists: (p: string) => boolean }) =>
  missingPackages(o).map((n) => n.pkg);

describe('the demo’s system packages', () => {
  it('names every missing package of a fresh machine at once, for the sandbox', () => {
    assert.deepEqual(names({ real: false, codeServerInstalled: false, exists: nothing }), [
      'bubblewrap',
      'nftables',
      'nginx-light',
      'python3',
      'python3-debugpy',
      'postgresql-15',
      'libkrb5-dev',
    ]);
  });

  it('names the real cluster’s packages for --real', () => {
    assert.deepEqual(names({ real: true, codeServerInstalled: false, exists: nothing }), [
      'containerd',
      'runc',
      'containernetworking-plugins',
      'nftables',
      'conntrack',
      'busybox-static',
      'openssl',
      'postgresql-15',
      'libkrb5-dev',
    ]);
  });

  it('never asks for Chromium: the demo’s URL opens in your own browser', () => {
    for (const real of [false, true])
      assert.ok(!names({ real, codeServerInstalled: false, exists: nothing }).some((p) => /chromium/i.test(p)));
    const harness = missingTools({ browser: false, exists: nothing }).join('\n');
    assert.doesNotMatch(harness, /Chromium/);
    assert.match(missingTools({ exists: nothing }).join('\n'), /Chromium/, 'the end-to-end tests still need it');
  });

  it('counts a package as present from one of its files, and wants libkrb5-dev only before code-server is installed', () => {
    assert.deepEqual(names({ real: false, codeServerInstalled: true, exists: (p) => p !== '/usr/bin/bwrap' }), [
      'bubblewrap',
    ]);
    assert.deepEqual(
      names({ real: false, codeServerInstalled: false, exists: (p) => p !== '/usr/include/gssapi/gssapi.h' }),
      ['libkrb5-dev'],
    );
    assert.deepEqual(
      names({ real: true, codeServerInstalled: true, exists: (p) => p !== '/bin/busybox' }),
      [],
      'busybox in /usr/bin counts',
    );
  });

  it('tells one apt-get line naming them all, and why each is needed', () => {
    const missing = missingPackages({
      real: false,
      codeServerInstalled: true,
      exists: (p) => !p.includes('bwrap') && !p.includes('nginx'),
    });
    const d = installDecision({ missing, root: false, terminal: true, yes: false, apt: true });
    assert.deepEqual(d, { action: 'tell', command: 'sudo apt-get install bubblewrap nginx-light' });
    const text = missingText(missing, d.command, true);
    assert.match(
      text,
      /bubblewrap: the sandbox's pods run in their own namespaces\n {2}nginx-light: .*\n.*\n\n {4}sudo apt-get install bubblewrap nginx-light\n/,
    );
  });

  it('as root: asks on a terminal, installs with --yes, and only tells without a terminal', () => {
    const missing = missingPackages({ real: false, codeServerInstalled: true, exists: (p) => !p.includes('bwrap') });
    const d = (o: { terminal: boolean; yes: boolean; apt?: boolean }) =>
      installDecision({ missing, root: true, apt: true, ...o });
    assert.deepEqual(d({ terminal: true, yes: false }), { action: 'ask', command: 'apt-get install bubblewrap' });
    assert.deepEqual(d({ terminal: false, yes: true }), { action: 'install', command: 'apt-get install bubblewrap' });
    assert.deepEqual(d({ terminal: false, yes: false }), { action: 'tell', command: 'apt-get install bubblewrap' });
    assert.equal(d({ terminal: true, yes: true, apt: false }).action, 'tell', 'without apt-get nothing is installed');
    assert.deepEqual(installDecision({ missing: [], root: true, terminal: true, yes: true, apt: true }), {
      action: 'none',
    });
  });
});
