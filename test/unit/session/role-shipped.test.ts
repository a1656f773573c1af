// The Role the demo binds (and the README ships) must grant everything sessions check for, so a
// user bound to exactly it can do everything: this keeps the two from drifting apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { sessionRules, type PolicyRule } from '../../../src/core/session/role';

function repoRoot(): string {
  for (let dir = __dirname; ; dir = join(dir, '..')) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'devlane') return dir;
    } catch {
      if (dir === '/') throw new Error('repository root not found');
    }
  }
}

const grants = (rules: PolicyRule[]) =>
  new Set(
    rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}`))),
    ),
  );

describe('the shipped Role', () => {
  it('sandbox/demo/manifests/rbac.yaml grants every permission sessions need', () => {
    const docs = parseAllDocuments(readFileSync(join(repoRoot(), 'sandbox/demo/manifests/rbac.yaml'), 'utf8')).map(
      (d) => d.toJS(),
    );
    const role = docs.find((d) => d?.kind === 'ClusterRole' && d.metadata.name === 'devlane-developer');
    assert.ok(role, 'rbac.yaml defines the devlane-developer ClusterRole');
    const shipped = grants(role.rules);
    const missing = [...grants(sessionRules)].filter((g) => !shipped.has(g));
    assert.deepEqual(missing, [], 'group|resource|verb granted by sessionRules but not by rbac.yaml');
    // Least privilege: nothing more than sessions use (the explorer's own reads are in sessionRules too).
    const extra = [...shipped].filter((g) => !grants(sessionRules).has(g));
    assert.deepEqual(extra, [], 'group|resource|verb granted by rbac.yaml but not used by sessions');
  });

  it('README.md shows every permission sessions need', () => {
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    const block = /## Permissions[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'README has a Permissions section with a YAML Role');
    const role = parseAllDocuments(block[1])[0].toJS();
    const missing = [...grants(sessionRules)].filter((g) => !grants(role.rules).has(g));
    assert.deepEqual(missing, [], 'group|resource|verb granted by sessionRules but not shown in the README');
    const extra = [...grants(role.rules)].filter((g) => !grants(sessionRules).has(g));
    assert.deepEqual(extra, [], 'group|resource|verb shown in the README but not used by sessions');
  });
});
