// Who the API server says the user is: SelfSubjectReview v1, then v1beta1 on an older server,
// then (with a warning) the kubeconfig's name for the user entry. A local HTTP server plays the
// API server, answering as the versions it pretends to be would.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { MemoryLogger } from '../../helpers/cluster';

const dir = mkdtempSync(join(tmpdir(), 'dl-who-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An API server that serves SelfSubjectReview at these versions only (others: 404, as discovery would say). */
async function server(versions: string[], asked: string[]): Promise<{ url: string; close: () => void }> {
  const s = http.createServer((req, res) => {
    asked.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    const m = /^\/apis\/authentication\.k8s\.io\/(\w+)\/selfsubjectreviews$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m || !versions.includes(m[1])) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: 'the server could not find the requested resource',
        }),
      );
    }
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'SelfSubjectReview',
        apiVersion: `authentication.k8s.io/${m[1]}`,
        metadata: {},
        status: { userInfo: { username: 'alice@example.com', groups: ['devs', 'system:authenticated'] } },
      }),
    );
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => s.close() };
}

async function whoAmI(versions: string[]) {
  const asked: string[] = [];
  const api = await server(versions, asked);
  const file = join(dir, `kc-${versions.join('-') || 'none'}`);
  writeFileSync(
    file,
    [
      `clusters: [{name: c, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: dev, user: {token: t0ken}}]',
      'contexts: [{name: work, context: {cluster: c, user: dev}}]',
    ].join('\n'),
  );
  const logger = new MemoryLogger();
  const clusters = new KubeClusters({ setting: () => file, env: {} }, { logger, idleMs: 0 });
  try {
    const conn = clusters.connection('work');
    const who = await conn.whoAmI(AbortSignal.timeout(10_000));
    assert.deepEqual(await conn.whoAmI(AbortSignal.timeout(10_000)), who, 'asked once per connection');
    return { who, asked, warnings: logger.lines.filter((l) => l.startsWith('warn')) };
  } finally {
    clusters.dispose();
    api.close();
  }
}

describe('who the user is', () => {
  it('asks SelfSubjectReview v1 with the context’s credentials, whatever the kubeconfig calls the user', async () => {
    const { who, asked, warnings } = await whoAmI(['v1']);
    assert.deepEqual(who, {
      username: 'alice@example.com',
      groups: ['devs', 'system:authenticated'],
      source: 'server',
    });
    assert.deepEqual(asked, ['POST /apis/authentication.k8s.io/v1/selfsubjectreviews Bearer t0ken']);
    assert.deepEqual(warnings, []);
  });

  it('falls back to v1beta1 on a server that does not serve v1', async () => {
    const { who, asked } = await whoAmI(['v1beta1']);
    assert.equal(who.username, 'alice@example.com');
    assert.deepEqual(
      asked.map((a) => a.split(' ')[1]),
      ['/apis/authentication.k8s.io/v1/selfsubjectreviews', '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews'],
    );
  });

  it('falls back to the kubeconfig user entry, warning what that means, where nothing answers', async () => {
    const { who, warnings } = await whoAmI([]);
    assert.deepEqual(who, { username: 'dev', groups: [], source: 'kubeconfig' });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /did not say who user "dev" is[\s\S]*colleagues whose entry has the same name would share your sessions/,
    );
  });
});
