// Data branches, the pure part: where the copy's database is (its environment, the `data` section),
// the copy pointed at the branch (host and port only: the same credentials), and the config's checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { branchObjects, findDatabase, pointAtBranch, type EnvValue } from '../../../src/core/data/branch';
import { branchRequest } from '../../../src/core/data/config';
import { ConfigError, parseConfig } from '../../../src/core/sync/config';
import { SessionError } from '../../../src/core/session/errors';
import { ownerReference, sessionLabels } from '../../../src/core/session/dev-workload';

const secret = (key: string) => ({ valueFrom: { secretKeyRef: { name: 'db-credentials', key } } });
const orders = {
  name: 'orders',
  env: [
    { name: 'VERSION', value: 'v1' },
    { name: 'PGHOST', value: 'db' },
    { name: 'PGPORT', value: '5432' },
    { name: 'PGDATABASE', ...secret('database') },
    { name: 'PGUSER', ...secret('username') },
    { name: 'PGPASSWORD', ...secret('password') },
  ],
};
// What the session layer read for it: the database name from the Secret, never the password.
const resolve = (v: EnvValue) =>
  'value' in v ? v.value : 'secretKeyRef' in v && v.secretKeyRef.key === 'database' ? 'shop' : undefined;

describe('data branch: the database the copy uses', () => {
  it('reads the libpq variables, keeping the credentials as references', () => {
    const s = findDatabase(orders, { limitMb: 100 }, resolve, 'orders');
    assert.deepEqual(s, {
      host: 'db',
      port: 5432,
      database: 'shop',
      user: { secretKeyRef: { name: 'db-credentials', key: 'username' } },
      password: { secretKeyRef: { name: 'db-credentials', key: 'password' } },
      via: 'libpq',
    });
  });

  it("lets the mapping's data section say where the database is", () => {
    const s = findDatabase(
      orders,
      { limitMb: 1, host: 'db-replica', port: 6432, database: 'other' },
      resolve,
      'orders',
    );
    assert.deepEqual([s.host, s.port, s.database], ['db-replica', 6432, 'other']);
  });

  it('reads a DATABASE_URL given as a value', () => {
    const c = { name: 'app', env: [{ name: 'DATABASE_URL', value: 'postgres://app:s%40cret@db.shop:5433/sales' }] };
    const s = findDatabase(c, { limitMb: 1 }, resolve, 'app');
    assert.deepEqual(
      [s.host, s.port, s.database, s.user, s.password],
      ['db.shop', 5433, 'sales', { value: 'app' }, { value: 's@cret' }],
    );
    const [copy] = pointAtBranch([c], s, 'alice-x');
    assert.equal(copy.env[0].value, 'postgres://app:s%40cret@devlane-data-alice-x:5432/sales');
  });

  it('refuses what it cannot branch without writing a password into the copy, or cannot find', () => {
    const fromSecret = { name: 'app', env: [{ name: 'DATABASE_URL', ...secret('url') }] };
    assert.throws(
      () => findDatabase(fromSecret, { limitMb: 1 }, resolve, 'app'),
      (e: SessionError) =>
        /DATABASE_URL comes from Secret db-credentials key url/.test(e.message) && /PGHOST/.test(e.hint ?? ''),
    );
    assert.throws(
      () =>
        findDatabase(
          { name: 'web', env: [{ name: 'CATALOG_URL', value: 'http://catalog' }] },
          { limitMb: 1 },
          resolve,
          'web',
        ),
      /web names no PostgreSQL database/,
    );
    const mysql = { name: 'app', env: [{ name: 'DATABASE_URL', value: 'mysql://a:b@db/x' }] };
    assert.throws(
      () => findDatabase(mysql, { limitMb: 1 }, resolve, 'app'),
      /a mysql URL; data branches are PostgreSQL only/,
    );
  });

  it('points only the host and port at the branch; the credentials stay the Secret references', () => {
    const s = findDatabase(orders, { limitMb: 100 }, resolve, 'orders');
    const [copy] = pointAtBranch([orders], s, 'alice-x');
    assert.deepEqual(copy.env, [
      { name: 'VERSION', value: 'v1' },
      { name: 'PGHOST', value: 'devlane-data-alice-x' },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGDATABASE', ...secret('database') },
      { name: 'PGUSER', ...secret('username') },
      { name: 'PGPASSWORD', ...secret('password') },
    ]);
    const owned = {
      labels: sessionLabels('alice-x', 'data-branch'),
      ownerReferences: [ownerReference({ name: 'devlane-session-alice-x', uid: 'u1' })],
    };
    const { deployment, service } = branchObjects('shop', 'alice-x', owned, s, 'postgres:15');
    const env = deployment.spec.template.spec.containers[0].env;
    assert.deepEqual(env, [
      { name: 'POSTGRES_USER', ...secret('username') },
      { name: 'POSTGRES_PASSWORD', ...secret('password') },
      { name: 'POSTGRES_DB', value: 'shop' },
    ]);
    assert.equal(service.metadata.name, 'devlane-data-alice-x');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.equal(deployment.metadata.ownerReferences?.[0].uid, 'u1');
  });
});

describe('data branch: the data section of .vscode/devlane.json', () => {
  const file = (data: unknown) => JSON.stringify({ version: 1, services: { orders: { remotePath: '/app', data } } });

  it('reads it, and a branch asked for on the command line takes the rest from it', () => {
    const c = parseConfig(file({ branch: true, limitMb: 20, host: 'db' })).services.orders.data;
    assert.deepEqual(c, { branch: true, limitMb: 20, host: 'db' });
    assert.deepEqual(branchRequest(undefined, c), { host: 'db', limitMb: 20 });
    assert.deepEqual(branchRequest({ limitMb: 500 }, c), { host: 'db', limitMb: 500 });
    assert.deepEqual(branchRequest({}, undefined), { limitMb: 100 });
    assert.equal(branchRequest(undefined, { branch: false, limitMb: 5 }), undefined);
  });

  it('names the field at fault', () => {
    for (const [data, field] of [
      [{ branch: 'yes' }, 'services.orders.data.branch'],
      [{ limitMb: -1 }, 'services.orders.data.limitMb'],
      [{ port: 70000 }, 'services.orders.data.port'],
      [{ size: 1 }, 'services.orders.data.size'],
      ['on', 'services.orders.data'],
    ] as const)
      assert.throws(
        () => parseConfig(file(data)),
        (e: ConfigError) => e instanceof ConfigError && e.field === field,
        JSON.stringify(data),
      );
  });
});
