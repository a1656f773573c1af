// `sandbox fault ...`: asks a running sandbox, found through its kubeconfig, to inject a fault.

import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { parse } from 'yaml';
import type { Fault } from './core/types';

export function faultUsage(): string {
  return [
    'faults:',
    '  drop-watches                         close every open watch',
    '  api-down --ms N                      answer 503 to every API request for N ms',
    '  expire-history                       forget watch history (old resourceVersions get 410 Gone)',
    '  latency --ms N                       add N ms to every API response (0 clears)',
    '  kill-container NS POD [CONTAINER]    SIGKILL a container process',
    '  unready NS POD [--ms N]              force a pod unready (for N ms; --ms 0 clears)',
    '  idle-stream-timeout --ms N           cut exec/port-forward/log/watch streams idle longer than N ms (0 clears)',
  ].join('\n');
}

function ms(args: string[], required: boolean): number | undefined {
  const i = args.indexOf('--ms');
  if (i < 0) {
    if (required) throw new Error(`this fault needs --ms N\n${faultUsage()}`);
    return undefined;
  }
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--ms takes a whole number of milliseconds, not "${args[i + 1]}"`);
  args.splice(i, 2);
  return n;
}

export function parseFault(input: string[]): Fault {
  const args = [...input];
  const kind = args.shift();
  switch (kind) {
    case 'drop-watches':
    case 'expire-history':
      return { kind };
    case 'api-down':
    case 'latency':
    case 'idle-stream-timeout':
      return { kind, ms: ms(args, true)! };
    case 'kill-container':
      if (args.length < 2) throw new Error(`kill-container needs NS POD [CONTAINER]\n${faultUsage()}`);
      return { kind, namespace: args[0], pod: args[1], container: args[2] };
    case 'unready': {
      const n = ms(args, false);
      if (args.length < 2) throw new Error(`unready needs NS POD\n${faultUsage()}`);
      return { kind, namespace: args[0], pod: args[1], ms: n };
    }
    default:
      throw new Error(`unknown fault "${kind ?? ''}"\n${faultUsage()}`);
  }
}

interface Kubeconfig {
  contexts: { name: string; context: { cluster: string; user: string } }[];
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { token: string } }[];
}

export async function sendFault(kubeconfigPath: string, fault: Fault): Promise<void> {
  let kc: Kubeconfig;
  try {
    kc = parse(readFileSync(kubeconfigPath, 'utf8'));
  } catch (err) {
    throw new Error(
      `cannot read the sandbox kubeconfig ${kubeconfigPath}: ${(err as Error).message}. Is the sandbox running? Pass --kubeconfig PATH.`,
      { cause: err },
    );
  }
  const ctx = kc.contexts.find((c) => c.name === 'sandbox-admin')?.context;
  const cluster = kc.clusters.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = kc.users.find((u) => u.name === ctx?.user)?.user;
  if (!ctx || !cluster || !user)
    throw new Error(`${kubeconfigPath} has no sandbox-admin context: it is not a sandbox kubeconfig`);
  const body = JSON.stringify(fault);
  await new Promise<void>((resolve, reject) => {
    const req = https.request(
      `${cluster.server}/sandbox/v1/faults`,
      {
        method: 'POST',
        ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
        headers: {
          authorization: `Bearer ${user.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`the sandbox answered ${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', (err) => reject(new Error(`cannot reach the sandbox at ${cluster.server}: ${err.message}`)));
    req.end(body);
  });
}
