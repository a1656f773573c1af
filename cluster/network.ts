// The node's network outside the pods: the bridge the CNI bridge plugin attaches pods to (made
// here first, so the API server, kubelet and DNS can bind to its address before any pod exists),
// a route for the Service range onto that bridge, and a guard table that drops anything from the
// pod range that would leave by another interface. IP forwarding is on while the cluster runs (a
// pod reaching a Service is routed by this host) and put back as it was on stop.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NET } from './config';

const GUARD_TABLE = 'devlane-cluster-guard';
const FORWARD = '/proc/sys/net/ipv4/ip_forward';

function run(cmd: string, args: string[], input?: string): void {
  execFileSync(cmd, args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
}

const quiet = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

export function setUpNetwork(state: string): void {
  writeFileSync(join(state, 'ip_forward.before'), readFileSync(FORWARD, 'utf8').trim());
  const prefix = NET.podCidr.split('/')[1];
  run('ip', ['link', 'add', NET.bridge, 'address', NET.bridgeMac, 'type', 'bridge']);
  run('ip', ['addr', 'add', `${NET.gateway}/${prefix}`, 'dev', NET.bridge]);
  run('ip', ['link', 'set', NET.bridge, 'up']);
  run('ip', ['route', 'add', NET.serviceCidr, 'dev', NET.bridge]);
  run(
    'nft',
    ['-f', '-'],
    `table ip ${GUARD_TABLE} {
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip saddr ${NET.podCidr} oifname != "${NET.bridge}" drop
    ip daddr ${NET.podCidr} iifname != "${NET.bridge}" drop
  }
  chain output {
    type filter hook output priority -10; policy accept;
    ip saddr ${NET.podCidr} oifname != { "${NET.bridge}", "lo" } drop
  }
}
`,
  );
  writeFileSync(FORWARD, '1');
}

/** Undoes setUpNetwork, also after a run that was killed (the forwarding setting it found is kept in the state dir). */
export function teardownNetwork(state: string): void {
  const before = join(state, 'ip_forward.before');
  if (existsSync(before)) writeFileSync(FORWARD, readFileSync(before, 'utf8').trim());
  quiet('nft', ['delete', 'table', 'ip', GUARD_TABLE]);
  quiet('ip', ['route', 'del', NET.serviceCidr]);
  quiet('ip', ['link', 'del', NET.bridge]);
}

/** What a previous run that was killed may have left; removed before starting anew. */
export function leftoverNetwork(): string[] {
  const found: string[] = [];
  if (quiet('ip', ['link', 'show', NET.bridge])) found.push(`bridge ${NET.bridge}`);
  const route = spawnSync('ip', ['route', 'show', NET.serviceCidr], { encoding: 'utf8' }).stdout ?? '';
  if (route.trim()) found.push(`route ${route.trim()}`);
  if (quiet('nft', ['list', 'table', 'ip', GUARD_TABLE])) found.push(`nftables table ip ${GUARD_TABLE}`);
  for (const family of ['ip', 'ip6'])
    if (quiet('nft', ['list', 'table', family, 'kube-proxy'])) found.push(`nftables table ${family} kube-proxy`);
  return found;
}

export function removeKubeProxyTables(): void {
  for (const family of ['ip', 'ip6']) quiet('nft', ['delete', 'table', family, 'kube-proxy']);
}

/** Host-side veths the bridge plugin made for pods (each pod's network namespace holds the other end). */
export function podVeths(): string[] {
  const out = spawnSync('ip', ['-o', 'link', 'show', 'master', NET.bridge], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0])
    .filter((n): n is string => !!n);
}
