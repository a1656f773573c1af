// The kubeconfig for a running sandbox: one cluster, users admin/alice/bob with their bearer
// tokens, contexts sandbox-admin, sandbox-alice (current) and sandbox-bob. The developers' contexts
// default to namespace shop, where the demo binds them; the admin's to default.

import { stringify } from 'yaml';
import type { ApiServer } from './server';

export function kubeconfigYaml(s: ApiServer): string {
  const users = ['admin', 'alice', 'bob'] as const;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [
      {
        name: 'sandbox',
        cluster: { server: s.url, 'certificate-authority-data': Buffer.from(s.caCertPem).toString('base64') },
      },
    ],
    users: users.map((u) => ({ name: u, user: { token: s.tokens[u] } })),
    contexts: users.map((u) => ({
      name: `sandbox-${u}`,
      context: { cluster: 'sandbox', user: u, namespace: u === 'admin' ? 'default' : 'shop' },
    })),
    'current-context': 'sandbox-alice',
  });
}
