// A real nginx on loopback running a router configuration, for the tests that check what nginx itself
// does with it. Its ports are chosen free a moment before nginx binds them, so another test may take one
// in between: nginx then exits at once ("Address already in use") and it is started again on other
// ports. Any other early exit fails with nginx's own words, and stopping never waits for an exit that
// already happened.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessLogFile } from '../../src/routing/nginx-config';

export interface NginxPorts {
  front: number;
  admin: number;
}
export interface LocalNginx extends NginxPorts {
  /** Where this nginx writes the router's access records (accessLogFile, moved into its folder). */
  accessLog: string;
  stop(): Promise<void>;
}

/** `render` returns the router configuration for the given ports; it is made runnable here as an
 *  unprivileged process on 127.0.0.1 (pid and temp files in a folder of its own, errors from crit up).
 *  `ready` says whether nginx answers yet. */
export async function startLocalNginx(
  render: (ports: NginxPorts) => string,
  ready: (ports: NginxPorts) => Promise<boolean>,
): Promise<LocalNginx> {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'dl-nginx-'));
    const front = await freePort();
    let admin = await freePort();
    while (admin === front) admin = await freePort();
    const ports = { front, admin };
    const conf = render(ports)
      .replace('pid /tmp/devlane-router.pid;', `pid ${dir}/nginx.pid;`)
      .replace(/listen (\d+)( http2)?;/g, 'listen 127.0.0.1:$1$2;')
      .replace('error_log stderr warn;', 'error_log stderr crit;')
      .replace(/temp_path \/tmp\//g, `temp_path ${dir}/`)
      .replaceAll(accessLogFile, join(dir, 'access.log'));
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const ngx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    ngx.stderr?.on('data', (d) => (stderr += d));
    const exited = new Promise<void>((resolve) => ngx.once('exit', () => resolve()));
    const stop = async (): Promise<void> => {
      if (running(ngx)) {
        ngx.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    const outcome = await Promise.race([
      exited.then(() => 'exited' as const),
      poll(
        () => ready(ports),
        () => running(ngx),
      ).then((ok) => (ok ? ('ready' as const) : ('silent' as const))),
    ]);
    if (outcome === 'ready') return { ...ports, accessLog: join(dir, 'access.log'), stop };
    await stop();
    if (outcome === 'exited' && /Address already in use/.test(stderr) && attempt < 5) continue;
    throw new Error(
      outcome === 'exited'
        ? `nginx exited before answering (code ${ngx.exitCode}): ${stderr.trim()}`
        : `nginx did not answer within 10 s: ${stderr.trim()}`,
    );
  }
}

function running(p: ChildProcess): boolean {
  return p.exitCode === null && p.signalCode === null;
}

async function poll(check: () => Promise<boolean>, alive: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && alive(); i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
