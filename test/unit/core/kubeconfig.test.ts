import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialPluginName, kubeconfigPaths, mergeKubeconfigs, orderContexts } from '../../../src/core/kubeconfig';

const fileA = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: shared
  cluster: { server: https://a.example:6443, certificate-authority: certs/ca.crt }
users:
- name: alice
  user: { client-certificate: alice.crt, client-key: /abs/alice.key }
contexts:
- name: dev
  context: { cluster: shared, user: alice, namespace: shop }
`;

const fileB = `
current-context: prod
clusters:
- name: shared
  cluster: { server: https://b.example:6443 }
- name: prod
  cluster: { server: https://prod.example:6443 }
users:
- name: alice
  user: { token: from-b }
- name: eks
  user:
    exec: { command: ./bin/login, args: [token] }
- name: gke
  user:
    exec: { command: gke-gcloud-auth-plugin }
contexts:
- name: dev
  context: { cluster: prod, user: eks }
- name: prod
  context: { cluster: prod, user: eks }
- name: gke
  context: { cluster: prod, user: gke }
- name: broken
  context: { cluster: nowhere, user: alice }
`;

describe('kubeconfigPaths', () => {
  const base = { home: '/home/u', delimiter: ':' };

  it('uses the devlane.kubeconfig setting before KUBECONFIG, expanding ~', () => {
    const r = kubeconfigPaths({ ...base, setting: '~/k1:/etc/k2', envKubeconfig: '/env/k' });
    assert.deepEqual(r, { paths: ['/home/u/k1', '/etc/k2'], source: 'setting' });
  });

  it('splits KUBECONFIG on the platform delimiter, dropping empty entries and duplicates', () => {
    const r = kubeconfigPaths({ ...base, setting: '  ', envKubeconfig: '/a::/b:/a' });
    assert.deepEqual(r, { paths: ['/a', '/b'], source: 'KUBECONFIG' });
    const win = kubeconfigPaths({ setting: undefined, envKubeconfig: 'C:\\a;C:\\b', home: undefined, delimiter: ';' });
    assert.deepEqual(win.paths, ['C:\\a', 'C:\\b']);
  });

  it('falls back to ~/.kube/config', () => {
    assert.deepEqual(kubeconfigPaths({ ...base, setting: undefined, envKubeconfig: undefined }), {
      paths: ['/home/u/.kube/config'],
      source: 'default',
    });
  });
});

describe('mergeKubeconfigs', () => {
  const merged = mergeKubeconfigs([
    { path: '/cfg/a', text: fileA },
    { path: '/cfg/missing', text: undefined },
    { path: '/other/b', text: fileB },
  ]);

  it('lets the first file that defines a name win, as kubectl does', () => {
    const shared = merged.config.clusters.find((c) => c.name === 'shared');
    assert.equal((shared?.cluster as { server: string }).server, 'https://a.example:6443');
    const alice = merged.config.users.find((u) => u.name === 'alice');
    assert.equal((alice?.user as { token?: string }).token, undefined);
    const dev = merged.contexts.find((c) => c.name === 'dev');
    assert.equal(dev?.cluster, 'shared');
    assert.equal(dev?.source, '/cfg/a');
  });

  it('takes current-context from the first file that sets it', () => {
    assert.equal(merged.currentContext, 'dev');
  });

  it('keeps every context from every file, once', () => {
    assert.deepEqual(merged.contexts.map((c) => c.name).sort(), ['broken', 'dev', 'gke', 'prod']);
    assert.deepEqual(merged.files, ['/cfg/a', '/other/b']);
  });

  it('resolves relative paths against the file that contains them', () => {
    const shared = merged.config.clusters.find((c) => c.name === 'shared');
    assert.equal((shared?.cluster as Record<string, string>)['certificate-authority'], '/cfg/certs/ca.crt');
    const alice = merged.config.users.find((u) => u.name === 'alice')?.user as Record<string, string>;
    assert.equal(alice['client-certificate'], '/cfg/alice.crt');
    assert.equal(alice['client-key'], '/abs/alice.key');
  });

  it('resolves an exec plugin given as a relative path, and leaves a bare name for PATH lookup', () => {
    const eks = merged.config.users.find((u) => u.name === 'eks')?.user as { exec: { command: string } };
    assert.equal(eks.exec.command, '/other/bin/login');
    const gke = merged.config.users.find((u) => u.name === 'gke')?.user as { exec: { command: string } };
    assert.equal(gke.exec.command, 'gke-gcloud-auth-plugin');
    assert.equal(credentialPluginName(merged.config, 'gke'), 'exec plugin "gke-gcloud-auth-plugin"');
    assert.equal(credentialPluginName(merged.config, 'alice'), undefined);
  });

  it('marks a context whose cluster is missing instead of dropping it', () => {
    const broken = merged.contexts.find((c) => c.name === 'broken');
    assert.match(broken?.problem ?? '', /cluster "nowhere" is not defined/);
    assert.equal(merged.contexts.find((c) => c.name === 'prod')?.problem, undefined);
    assert.equal(merged.contexts.find((c) => c.name === 'prod')?.server, 'https://prod.example:6443');
  });

  it('defaults the namespace to "default"', () => {
    assert.equal(merged.contexts.find((c) => c.name === 'prod')?.namespace, 'default');
    assert.equal(merged.contexts.find((c) => c.name === 'dev')?.namespace, 'shop');
  });

  it('reports a broken file and still uses the others', () => {
    const r = mergeKubeconfigs([
      { path: '/bad', text: 'clusters: [\n  - {' },
      { path: '/list', text: '- a\n- b\n' },
      { path: '/empty', text: '' },
      { path: '/good', text: fileA },
    ]);
    assert.deepEqual(
      r.problems.map((p) => p.path),
      ['/bad', '/list'],
    );
    assert.deepEqual(
      r.contexts.map((c) => c.name),
      ['dev'],
    );
  });

  it('ignores a current-context that names no context', () => {
    const r = mergeKubeconfigs([{ path: '/x', text: 'current-context: gone\ncontexts: []\n' }]);
    assert.equal(r.currentContext, undefined);
  });
});

describe('orderContexts', () => {
  it('puts the current context first, then sorts by name', () => {
    const ctx = (name: string) => ({ name, cluster: 'c', user: 'u', namespace: 'default', source: '' });
    const ordered = orderContexts([ctx('b'), ctx('a'), ctx('z'), ctx('c')], 'z');
    assert.deepEqual(
      ordered.map((c) => c.name),
      ['z', 'a', 'b', 'c'],
    );
  });
});
