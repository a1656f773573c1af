import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forbidden, ruleAllows, subjectMatches, type Attributes } from '../../../../sandbox/apiserver/rbac';

const alice = { name: 'alice', groups: ['system:authenticated'] };
const attrs = (o: Partial<Attributes>): Attributes => ({
  user: alice,
  verb: 'get',
  resourceRequest: true,
  path: '',
  apiGroup: '',
  resource: 'pods',
  subresource: '',
  namespace: 'x',
  name: '',
  ...o,
});

describe('RBAC rule matching', () => {
  it('matches verbs, groups and resources, with wildcards', () => {
    assert.ok(ruleAllows(attrs({}), { verbs: ['get'], apiGroups: [''], resources: ['pods'] }));
    assert.ok(ruleAllows(attrs({ verb: 'delete' }), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }));
    assert.ok(!ruleAllows(attrs({ verb: 'list' }), { verbs: ['get'], apiGroups: [''], resources: ['pods'] }));
    assert.ok(
      !ruleAllows(attrs({ apiGroup: 'apps', resource: 'deployments' }), {
        verbs: ['get'],
        apiGroups: [''],
        resources: ['deployments'],
      }),
    );
  });

  it("treats subresources as their own resource, and */sub as any resource's sub", () => {
    const exec = attrs({ verb: 'create', subresource: 'exec' });
    assert.ok(!ruleAllows(exec, { verbs: ['create'], apiGroups: [''], resources: ['pods'] }));
    assert.ok(ruleAllows(exec, { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }));
    assert.ok(ruleAllows(exec, { verbs: ['create'], apiGroups: [''], resources: ['*/exec'] }));
    assert.ok(!ruleAllows(exec, { verbs: ['create'], apiGroups: [''], resources: ['pods/log'] }));
  });

  it('limits by resourceNames (an unnamed request such as a list does not match)', () => {
    const rule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] };
    assert.ok(ruleAllows(attrs({ name: 'a' }), rule));
    assert.ok(!ruleAllows(attrs({ name: 'b' }), rule));
    assert.ok(!ruleAllows(attrs({ verb: 'list' }), rule));
  });

  it('matches non-resource URLs exactly or by a trailing *', () => {
    const nr = (path: string) => attrs({ resourceRequest: false, path });
    assert.ok(ruleAllows(nr('/apis/apps/v1'), { verbs: ['get'], nonResourceURLs: ['/apis/*'] }));
    assert.ok(ruleAllows(nr('/version'), { verbs: ['get'], nonResourceURLs: ['/version'] }));
    assert.ok(!ruleAllows(nr('/metrics'), { verbs: ['get'], nonResourceURLs: ['/version'] }));
  });

  it('matches users, groups and service accounts', () => {
    assert.ok(subjectMatches(alice, { kind: 'User', name: 'alice' }, 'x'));
    assert.ok(subjectMatches(alice, { kind: 'Group', name: 'system:authenticated' }, 'x'));
    const sa = { name: 'system:serviceaccount:x:builder', groups: [] };
    assert.ok(subjectMatches(sa, { kind: 'ServiceAccount', name: 'builder', namespace: 'x' }, 'x'));
    assert.ok(!subjectMatches(sa, { kind: 'ServiceAccount', name: 'builder', namespace: 'y' }, 'y'));
  });

  it('words a denial as kube-apiserver does', () => {
    assert.equal(
      forbidden(attrs({ verb: 'list' })).message,
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "x"',
    );
    assert.equal(
      forbidden(attrs({ verb: 'get', apiGroup: 'apps', resource: 'deployments', name: 'web' })).message,
      'deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "x"',
    );
    assert.equal(
      forbidden(attrs({ verb: 'list', resource: 'nodes', namespace: '' })).message,
      'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    assert.equal(forbidden(attrs({ verb: 'create', subresource: 'exec', name: 'p' })).status().details.kind, 'pods');
  });
});
