// Which NetworkPolicies would drop the router's hops (clients → router, router → original pods,
// router → copy), evaluated as the API documents policies: a selected pod is isolated in the
// policy's directions, and then only what some rule allows gets through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockedTraffic, type NetworkPolicy, type PolicyPod } from '../../../src/routing/network-policy';

const nsLabels = { 'kubernetes.io/metadata.name': 'shop', team: 'a' };
const pod = (what: string, labels: Record<string, string>, namespace = 'shop'): PolicyPod => ({
  what,
  labels,
  namespace,
  namespaceLabels: nsLabels,
});
const original = pod('the original pods', { app: 'ratings' });
const router = pod('the router pods', { 'devlane.dev/role': 'router', 'devlane.dev/service': 'ratings' });
const http = [{ number: 8080, name: 'http' }];
const policy = (name: string, spec: NetworkPolicy['spec'], namespace = 'shop'): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

describe("NetworkPolicies on the router's hops", () => {
  it('lets everything through when no policy selects the pods', () => {
    assert.deepEqual(
      blockedTraffic([policy('other', { podSelector: { matchLabels: { app: 'cart' } } })], router, original, http),
      [],
    );
    assert.deepEqual(
      blockedTraffic([policy('elsewhere', { podSelector: {} }, 'other-ns')], router, original, http),
      [],
    );
  });

  it('names a policy that admits only the frontend to the original pods', () => {
    const onlyFrontend = policy('ratings-from-frontend', {
      podSelector: { matchLabels: { app: 'ratings' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] }],
    });
    assert.deepEqual(blockedTraffic([onlyFrontend], router, original, http), [
      'NetworkPolicy shop/ratings-from-frontend selects the original pods and no rule admits the router pods on port 8080 (http)',
    ]);
  });

  it('is satisfied by any one isolating policy whose rule admits the router, by pod labels or by namespace', () => {
    const deny = policy('deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    const allowRouter = policy('allow-router', {
      podSelector: { matchLabels: { app: 'ratings' } },
      ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'devlane.dev/role', operator: 'Exists' }] } }] }],
    });
    assert.deepEqual(blockedTraffic([deny, allowRouter], router, original, http), []);
    const allowNamespace = policy('allow-ns', {
      podSelector: { matchLabels: { app: 'ratings' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }],
    });
    assert.deepEqual(blockedTraffic([deny, allowNamespace], router, original, http), []);
  });

  it("checks ports: by number, by the container port's name, by range, and TCP only", () => {
    const on = (ports: NonNullable<NonNullable<NetworkPolicy['spec']>['ingress']>[number]['ports']) => [
      policy('p', { podSelector: { matchLabels: { app: 'ratings' } }, ingress: [{ ports }] }),
    ];
    assert.deepEqual(blockedTraffic(on([{ port: 8080 }]), router, original, http), []);
    assert.deepEqual(blockedTraffic(on([{ port: 'http' }]), router, original, http), []);
    assert.deepEqual(blockedTraffic(on([{ port: 8000, endPort: 8100 }]), router, original, http), []);
    assert.equal(blockedTraffic(on([{ port: 9090 }]), router, original, http).length, 1);
    assert.equal(blockedTraffic(on([{ port: 8080, protocol: 'UDP' }]), router, original, http).length, 1);
  });

  it('does not count an ipBlock as admitting pods whose addresses are not known yet', () => {
    const cidr = policy('cidr', {
      podSelector: { matchLabels: { app: 'ratings' } },
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
    });
    assert.equal(blockedTraffic([cidr], router, original, http).length, 1);
  });

  it("sees a default-deny policy isolate the router pods from the Service's clients", () => {
    const deny = policy('default-deny', { podSelector: {} });
    assert.deepEqual(blockedTraffic([deny], 'anyone', router, http), [
      'NetworkPolicy shop/default-deny selects the router pods and no rule admits clients of the Service on port 8080 (http)',
    ]);
    const open = policy('open-8080', { podSelector: {}, ingress: [{ ports: [{ port: 8080 }] }] });
    assert.deepEqual(blockedTraffic([deny, open], 'anyone', router, http), []);
  });

  it("checks the router's egress where a policy isolates it", () => {
    const egressDeny = policy('no-egress', { podSelector: {}, policyTypes: ['Egress'] });
    assert.deepEqual(blockedTraffic([egressDeny], router, original, http), [
      'NetworkPolicy shop/no-egress selects the router pods and no rule lets them reach the original pods on port 8080 (http)',
    ]);
    const toRatings = policy('to-ratings', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'ratings' } } }] }],
    });
    assert.deepEqual(blockedTraffic([egressDeny, toRatings], router, original, http), []);
  });
});
