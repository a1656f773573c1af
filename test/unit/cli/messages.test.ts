// The CLI's errors name CLI things (flags, files, running the command again), never the editor's
// views or buttons. The kubeconfig errors come before any request, so no cluster is needed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ClusterError, classifyError, credentialError } from '../../../src/core/errors';
import { REPO } from '../../helpers/sandbox';

const editorWords = /Refresh|Retry|Devlane (view|log)|VS Code|Sessions view|Clusters view/;

const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'config');
writeFileSync(
  kubeconfig,
  [
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: one, context: {cluster: c, user: u}}, {name: two, context: {cluster: c, user: u}}, {name: broken, context: {cluster: nowhere, user: u}}]',
    'current-context: one',
  ].join('\n'),
);

function devlane(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), '--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('CLI error messages', () => {
  it('for a context the kubeconfig lacks: names the contexts it has and the flag to pass', () => {
    const r = devlane(['--context', 'nope', 'sessions']);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `devlane: Context "nope" is not in the kubeconfig. The kubeconfig (${kubeconfig}) defines one, broken, two: pass one of them with --context. Nothing was changed.\n`,
    );
  });

  it('for a context that cannot be used: says to fix the kubeconfig and run the command again', () => {
    const r = devlane(['--context', 'broken', 'sessions']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^devlane: Context "broken" .*Fix the kubeconfig, then run the command again\.\n$/);
    assert.doesNotMatch(r.stderr, editorWords);
  });

  it('has a CLI hint for every cluster error that speaks of the editor (Retry, Refresh, the Devlane log, VS Code’s PATH)', () => {
    const ctx = { action: 'list pods', server: 'https://k:6443', user: 'alice' };
    const errors: ClusterError[] = [
      classifyError(Object.assign(new Error('Unauthorized'), { statusCode: 401 }), ctx),
      classifyError(Object.assign(new Error('Unauthorized'), { statusCode: 401 }), {
        ...ctx,
        credentialPlugin: 'exec plugin "aws"',
      }),
      classifyError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), ctx),
      classifyError(new Error('socket hang up'), ctx),
      credentialError(Object.assign(new Error('spawn aws ENOENT'), { code: 'ENOENT' }), {
        ...ctx,
        credentialPlugin: 'exec plugin "aws"',
      }),
      credentialError(new Error('token expired'), { ...ctx, credentialPlugin: 'exec plugin "aws"' }),
    ];
    for (const e of errors) {
      assert.notEqual(e.hintOn('cli'), e.hint, `the CLI has its own hint for: ${e.full}`);
      assert.equal(e.hintOn('editor'), e.hint);
      assert.doesNotMatch(e.fullOn('cli'), editorWords, e.fullOn('cli'));
    }
  });
});
