// Istio's and the Gateway API's CustomResourceDefinitions, with their real structural schemas, so
// that every VirtualService and HTTPRoute Devlane writes is validated by the real API server. No
// mesh runs the VirtualServices (Envoy cannot be had here); Traefik routes by Gateways and
// HTTPRoutes on its GatewayClass (cluster/gateway.ts). The definitions come from the projects' own Go
// modules, fetched through the Go module proxy at one pinned version each and never copied here.

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl } from './http';

const ISTIO_API = 'istio.io/api@v1.32.0';
const GATEWAY_API = 'sigs.k8s.io/gateway-api@v1.6.3';

function moduleDir(mod: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', mod], { cwd: tmpdir(), encoding: 'utf8' });
  return (JSON.parse(out) as { Dir: string }).Dir;
}

export async function applyCustomResourceDefinitions(
  _repo: string,
  admin: string,
  say: (m: string) => void,
): Promise<void> {
  const istio = join(moduleDir(ISTIO_API), 'kubernetes/customresourcedefinitions.gen.yaml');
  const gatewayDir = join(moduleDir(GATEWAY_API), 'config/crd/standard');
  const gateway = readdirSync(gatewayDir)
    .filter((f) => f.endsWith('.yaml') && !f.includes('_vap_'))
    .map((f) => join(gatewayDir, f));
  // `create`, not `apply`: these definitions are larger than the last-applied annotation may be.
  for (const f of [istio, ...gateway]) await kubectl(admin, ['create', '-f', f]);
  await kubectl(admin, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);
  say(`installed the CRDs of ${ISTIO_API} and ${GATEWAY_API} (no mesh runs Istio's; Traefik serves the Gateway API's)`);
}
