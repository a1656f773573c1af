// Small clients for the components' health endpoints and for kubectl as the cluster admin.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

const run = promisify(execFile);

/** A GET with a timeout. `insecure`: a component's self-signed serving certificate (its health endpoint). */
export function get(
  url: string,
  auth?: { ca: string; token: string; insecure?: boolean },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = {
      timeout: 5000,
      headers: auth ? { authorization: `Bearer ${auth.token}` } : {},
      ...(auth ? { ca: readFileSync(auth.ca), rejectUnauthorized: !auth.insecure } : {}),
    };
    const req = (u.protocol === 'https:' ? https : http).get(u, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/** kubectl as the given kubeconfig's user; asynchronous, so that Ctrl+C is handled during long waits. */
export async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  try {
    return (await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }))
      .stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${(e.stderr || e.stdout || String(err)).trim()}`, {
      cause: err,
    });
  }
}
