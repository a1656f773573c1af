// Session records are ConfigMaps that anyone allowed to write ConfigMaps could plant. gc, run by
// whoever looks at the namespace (here the admin, the worst case), must refuse a planted undo log
// that reaches into another namespace and a malformed record, report both, change nothing outside
// what a session made, and still collect the valid orphan beside them. In a production-looking
// namespace, `devlane gc` collects nothing without --yes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { recordObject, type SessionState } from '../../../src/core/session/record';
import { LeaseObserver, observeBeforeJudgingMs } from '../../../src/session/lease-observer';
import { Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
import { contexts, kubectl, kubectlJson, kubectlOk, tempNamespace } from '../../helpers/kubectl';
import { cli } from '../../helpers/session';

/* eslint-disable @typescript-eslint/no-explicit-any */

const longAgo = '2020-01-01T00:00:00Z';

function state(namespace: string, name: string, undo: any[]): SessionState {
  return {
    name,
    namespace,
    routeKey: `key-${name}-0123456789abcdefghij`,
    createdAt: longAgo,
    createdBy: 'carol',
    participants: [{ name: 'carol', joinedAt: longAgo }],
    services: [
      {
        service: 'web',
        owner: 'carol',
        workload: 'Deployment/web',
        devService: `web-dl-${name}`,
        strategy: 'router',
        state: 'live',
        undo,
      },
    ],
  };
}

const apply = (obj: unknown) => kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(obj) });
const service = (
  namespace: string,
  name: string,
  selector: Record<string, string>,
  labels?: Record<string, string>,
) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels },
  spec: { selector, ports: [{ port: 80 }] },
});
const exists = (kind: string, namespace: string, name: string) =>
  kubectl(['get', kind, name, '-n', namespace]).code === 0;

describe('untrusted session records', needsCluster, () => {
  let home: { name: string; cleanup: () => void };
  let other: { name: string; cleanup: () => void };
  before(() => {
    home = tempNamespace('dl-rec');
    other = tempNamespace('dl-rec-other');
    apply(service(other.name, 'api', { app: 'api' }));
    const ns = home.name;
    // A valid orphan: its copy's Service, labelled with the session, is what its undo log deletes.
    apply(service(ns, 'web-dl-gone', { app: 'web-copy' }, { 'devlane.dev/session': 'gone' }));
    apply(
      recordObject(
        state(ns, 'gone', [
          {
            kind: 'delete',
            ref: { type: 'service', namespace: ns, name: 'web-dl-gone' },
            summary: 'Delete Service web-dl-gone',
          },
        ]),
      ),
    );
    // Planted: its undo log rewrites, then deletes, a Service in another namespace.
    apply(
      recordObject(
        state(ns, 'planted', [
          {
            kind: 'edit',
            ref: { type: 'service', namespace: other.name, name: 'api' },
            edit: { kind: 'service.switchSelector', selector: { app: 'evil' } },
            summary: 'Tidy up',
          },
          { kind: 'delete', ref: { type: 'service', namespace: other.name, name: 'api' }, summary: 'Tidy up more' },
        ]),
      ),
    );
    // Malformed: participants is not a list.
    const oops = recordObject(state(ns, 'oops', []));
    apply({ ...oops, data: { 'session.json': JSON.stringify({ ...state(ns, 'oops', []), participants: 'oops' }) } });
    // Same namespace, a copy's name, but someone else's Service: not made by the session.
    apply(service(ns, 'web-dl-sneaky', { app: 'web' }));
    apply(
      recordObject(
        state(ns, 'sneaky', [
          {
            kind: 'delete',
            ref: { type: 'service', namespace: ns, name: 'web-dl-sneaky' },
            summary: 'Delete Service web-dl-sneaky',
          },
        ]),
      ),
    );
  });
  after(() => {
    home?.cleanup();
    other?.cleanup();
  });

  it('devlane gc in a production-looking namespace collects nothing without --yes', () => {
    // As the admin on purpose, here and below: the worst case of whoever runs gc (see the top).
    const r = cli(['gc', '-n', home.name, '--production-namespaces', 'dl-rec-*'], contexts.admin);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`namespace "${home.name}" matches "dl-rec-\\*" \\(devlane\\.productionNamespaces\\)`),
    );
    assert.match(r.stderr, /devlane gc --yes/);
    assert.match(
      r.stderr,
      /"gone" \(no participant renews a Lease: stopped, everything it changed put back\)/,
      'it says what collecting does to each session',
    );
    for (const name of ['gone', 'planted', 'oops', 'sneaky'])
      assert.ok(exists('configmap', home.name, `devlane-session-${name}`), name);
    assert.ok(exists('service', home.name, 'web-dl-gone'));
  });

  it('devlane sessions lists the readable sessions and reports the others', () => {
    const r = cli(['sessions', '-n', home.name, '--json'], contexts.admin);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.map((s: { name: string }) => s.name).sort(), ['gone', 'sneaky']);
    assert.match(r.stderr, /Session record devlane-session-oops cannot be used: participants: must be a list/);
    assert.match(
      r.stderr,
      /Session record devlane-session-planted cannot be used: services\[0\]\.undo\[0\]\.ref\.namespace/,
    );
  });

  it('refuses the planted and malformed records, reports them, and collects the valid orphan', async () => {
    const clusters = new KubeClusters(
      { setting: () => kubeconfigPath, env: {} },
      { logger: new MemoryLogger(), idleMs: 0 },
    );
    let done: string[];
    try {
      const conn = clusters.connection(contexts.admin);
      // Expiry is judged by what this process saw: a first look notes carol's missing Lease, and a
      // look a Lease's duration later (on this observer's own clock) finds it still missing.
      let mono = 0;
      const leases = new LeaseObserver(() => mono);
      const sessions = new Sessions({
        api: conn.objects,
        context: contexts.admin,
        namespace: home.name,
        participant: 'admin',
        logger: new MemoryLogger(),
        leases,
      });
      await sessions.gc(AbortSignal.timeout(120_000));
      mono += observeBeforeJudgingMs;
      done = await sessions.gc(AbortSignal.timeout(120_000));
    } finally {
      clusters.dispose();
    }
    const text = done.join('\n');
    // Reported, each with the field at fault and what to do.
    assert.match(
      text,
      new RegExp(
        `Session record devlane-session-planted cannot be used: services\\[0\\]\\.undo\\[0\\]\\.ref\\.namespace: "${other.name}" is not the record's namespace "${home.name}"`,
      ),
    );
    assert.match(
      text,
      /Session record devlane-session-oops cannot be used: participants: must be a list \(got "oops"\)/,
    );
    assert.match(text, /kubectl delete configmap devlane-session-planted/);
    assert.match(
      text,
      /session sneaky: refused "Delete Service web-dl-sneaky": service .*\/web-dl-sneaky was not created by session sneaky/,
    );
    // The other namespace's Service is untouched.
    const api = kubectlJson(['get', 'service', 'api', '-n', other.name]);
    assert.deepEqual(api.spec.selector, { app: 'api' });
    assert.equal(api.metadata.annotations?.['devlane.dev/original-selector'], undefined);
    // Refused records stay for a person to look at; nothing they list was done.
    assert.ok(exists('configmap', home.name, 'devlane-session-planted'));
    assert.ok(exists('configmap', home.name, 'devlane-session-oops'));
    assert.ok(exists('service', home.name, 'web-dl-sneaky'), 'a Service the session did not make stays');
    // The valid orphans are collected.
    assert.match(text, /stopped session gone/);
    assert.ok(!exists('configmap', home.name, 'devlane-session-gone'));
    assert.ok(!exists('service', home.name, 'web-dl-gone'));
    assert.ok(!exists('configmap', home.name, 'devlane-session-sneaky'));
  });
});
