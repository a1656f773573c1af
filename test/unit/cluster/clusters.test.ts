// KubeClusters reads real files; no cluster is contacted (connections are lazy).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { ClusterError } from '../../../src/core/errors';
import { nullLogger } from '../../../src/core/logger';

const dir = mkdtempSync(join(tmpdir(), 'dl-kc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (server: string, contexts: string[], current?: string) =>
  [
    `clusters: [{name: c-${contexts[0]}, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    `users: [{name: u-${contexts[0]}, user: {token: secret-token}}]`,
    `contexts: [${contexts.map((c) => `{name: ${c}, context: {cluster: c-${contexts[0]}, user: u-${contexts[0]}}}`).join(', ')}]`,
    current ? `current-context: ${current}` : '',
  ].join('\n');

describe('KubeClusters', () => {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  writeFileSync(a, config('https://a.example:6443', ['one', 'two'], 'two'));
  writeFileSync(b, config('https://b.example:6443', ['three', 'one']));

  it('reads KUBECONFIG like kubectl: merged, missing files skipped, current context first', () => {
    const clusters = new KubeClusters(
      { setting: () => undefined, env: { KUBECONFIG: [a, join(dir, 'missing'), b].join(delimiter) } },
      { logger: nullLogger },
    );
    try {
      const state = clusters.kubeconfig;
      assert.equal(state.source, 'KUBECONFIG');
      assert.deepEqual(state.files, [a, b]);
      assert.deepEqual(
        state.contexts.map((c) => c.name),
        ['two', 'one', 'three'],
      );
      assert.equal(state.contexts.find((c) => c.name === 'one')?.server, 'https://a.example:6443');
    } finally {
      clusters.dispose();
    }
  });

  it('prefers the devlane.kubeconfig setting, and reports a context it cannot use', () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'contexts: [{name: lost, context: {cluster: nowhere, user: nobody}}]\n');
    const clusters = new KubeClusters({ setting: () => bad, env: { KUBECONFIG: a } }, { logger: nullLogger });
    try {
      assert.deepEqual(
        clusters.kubeconfig.contexts.map((c) => c.name),
        ['lost'],
      );
      assert.throws(
        () => clusters.connection('lost'),
        (e) => e instanceof ClusterError && e.kind === 'config' && /cluster "nowhere" is not defined/.test(e.message),
      );
    } finally {
      clusters.dispose();
    }
  });

  it('keeps connections whose context did not change across a reload, and replaces the others', () => {
    const file = join(dir, 'reload');
    writeFileSync(file, config('https://a.example:6443', ['one', 'two']));
    const clusters = new KubeClusters({ setting: () => file }, { logger: nullLogger });
    try {
      const before = clusters.connection('one');
      assert.equal(clusters.connection('one'), before);
      clusters.reload();
      assert.equal(clusters.connection('one'), before, 'unchanged: same connection, watches go on');
      writeFileSync(file, config('https://moved.example:6443', ['one', 'two']));
      clusters.reload();
      const after = clusters.connection('one');
      assert.notEqual(after, before);
      assert.equal(after.server, 'https://moved.example:6443');
    } finally {
      clusters.dispose();
    }
  });
});
