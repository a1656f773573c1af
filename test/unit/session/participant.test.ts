// Participants: the authenticated user plus an instance id, and the Kubernetes names made from them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSessionName, identityName, leaseName, sessionNameProblem } from '../../../src/core/session/names';
import {
  cliInstance,
  instanceProblem,
  newEditorInstance,
  participantId,
  participantUser,
} from '../../../src/core/session/participant';

const dnsLabel = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('participants', () => {
  it('are the user the cluster authenticates plus an instance, and give the user back', () => {
    const id = participantId('alice@example.com', 'editor-0a1b2c3d');
    assert.equal(id, 'alice@example.com#editor-0a1b2c3d');
    assert.equal(participantUser(id), 'alice@example.com');
    assert.equal(
      participantUser('https://issuer.example#alice#cli-1'),
      'https://issuer.example#alice',
      'the last separator splits',
    );
    assert.equal(participantUser('dev'), 'dev', 'an id written before instances existed is all user');
  });

  it('gets one instance per editor window, and one per machine for the CLI', () => {
    assert.equal(
      newEditorInstance(() => Uint8Array.from([1, 2, 3, 255])),
      'editor-010203ff',
    );
    assert.notEqual(newEditorInstance(), newEditorInstance());
    assert.equal(cliInstance('laptop-a'), cliInstance('laptop-a'));
    assert.notEqual(cliInstance('laptop-a'), cliInstance('laptop-b'));
    assert.match(cliInstance('laptop-a'), /^cli-[0-9a-f]{8}$/);
    assert.equal(instanceProblem('ci-job-17'), undefined);
    assert.match(instanceProblem('a#b')!, /must be/);
    assert.match(instanceProblem('')!, /must be/);
  });
});

describe('names made from identities', () => {
  const alike = [
    'alice-smith',
    'Alice.Smith',
    'alice_smith',
    'system:serviceaccount:ci:alice-smith',
    'alice-smith#editor-1',
    'alice-smith#editor-2',
  ];

  it('are DNS labels and label values with a readable prefix, the same every time', () => {
    for (const id of [...alike, '42', '', '---', 'ünïcødé@example.com', 'x'.repeat(300)]) {
      const n = identityName(id);
      assert.match(n, dnsLabel, n);
      assert.match(n, labelValue, n);
      assert.ok(n.length <= 24, n);
      assert.equal(identityName(id), n);
    }
    assert.match(identityName('Alice.Smith'), /^alice-smith-[0-9a-f]{8}$/);
  });

  it('never give two identities that read alike the same name', () => {
    const names = alike.map((id) => identityName(id));
    assert.equal(new Set(names).size, alike.length, names.join(' '));
    const leases = alike.map((id) => leaseName('shop-checkout', id));
    assert.equal(new Set(leases).size, alike.length);
    for (const l of leases) assert.ok(l.length <= 63 && dnsLabel.test(l), l);
  });

  it('keep the longest session and participant within a Lease name, uncut', () => {
    const l = leaseName('s'.repeat(30), 'x'.repeat(200));
    assert.equal(l.length, 63);
    assert.match(l, new RegExp(`^devlane-s{30}-x+-[0-9a-f]{8}$`));
  });

  it('make default session names per user, valid, and apart for users whose names read alike', () => {
    assert.match(defaultSessionName('alice', 'ratings'), /^alice-[0-9a-f]{4}-ratings$/);
    assert.notEqual(defaultSessionName('alice.smith', 'ratings'), defaultSessionName('alice-smith', 'ratings'));
    for (const user of [
      'alice',
      'Alice.Smith@Corp',
      '42',
      'system:serviceaccount:ci:deployer',
      'a-very-long-user-name-indeed',
    ]) {
      const name = defaultSessionName(user, 'an-even-longer-service-name');
      assert.equal(sessionNameProblem(name), undefined, name);
    }
  });
});
