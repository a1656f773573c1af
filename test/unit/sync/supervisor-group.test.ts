// The restart supervisor, run by the machine's sh: a restart takes what the program started with it
// (a debugger's adapter, a server's workers), so the restarted program can listen on its port again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { restartingPrefix, supervisorScript } from '../../../src/core/sync/supervisor';

/** Who answers on the port: the listening process's pid, or undefined when nothing listens. */
function answer(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => resolve(got || undefined));
    s.on('error', () => resolve(undefined));
  });
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('the restart supervisor', () => {
  const run = mkdtempSync(join(tmpdir(), 'devlane-supervisor-'));
  after(() => rmSync(run, { recursive: true, force: true }));

  it('restarts the program with what it started, so the new one gets the port', async () => {
    const port = await freePort();
    // The program starts a helper that holds the port (as debugpy's adapter does) and waits.
    const helper = `require('net').createServer((s) => s.end(String(process.pid))).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1e6)`;
    const program = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(helper)}], { stdio: 'inherit' }); setInterval(() => {}, 1e6)`;
    const sup = spawn('sh', ['-c', supervisorScript, 'devlane-supervisor', process.execPath, '-e', program], {
      env: { ...process.env, DEVLANE_RUN_DIR: run },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    sup.stdout.on('data', (d) => (output += d));
    sup.stderr.on('data', (d) => (output += d));
    const exited = new Promise<void>((r) => sup.once('exit', () => r()));
    try {
      const first = await eventually('the first helper to listen', () => answer(port));
      sup.kill('SIGUSR1');
      await eventually('the restart line', async () => (output.includes(restartingPrefix) ? true : undefined));
      const second = await eventually('a new helper to answer', async () => {
        const pid = await answer(port);
        return pid && pid !== first ? pid : undefined;
      });
      assert.notEqual(second, first);
      assert.doesNotMatch(output, /EADDRINUSE/, 'the restarted program found its port free');
      assert.equal(readFileSync(join(run, 'supervisor.pid'), 'utf8').trim(), String(sup.pid));
    } finally {
      sup.kill('SIGTERM');
      await exited;
    }
    // The supervisor passed SIGTERM to the whole group: nothing answers any more.
    assert.equal(
      await eventually('the port to be free', async () => ((await answer(port)) === undefined ? true : undefined)),
      true,
    );
  });
});
