import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Batcher, coalesce, orderBatch, type Pending, renameChanges } from '../../../src/core/sync/batch';
import { ignoreRules } from '../../../src/core/sync/ignore-rules';
import { parseListing, planInitialSync, type Tree } from '../../../src/core/sync/listing';
import { actionLine, batchFrame, parseReceiverLine, receiverCommand } from '../../../src/core/sync/receiver';
import { escapeForPodSpec, supervisedContainer, SupervisorError } from '../../../src/core/sync/supervisor';
import { tarArchive } from '../../../src/core/sync/tar';

const ops = (p: Pending) => Object.fromEntries(p);

describe('sync batching', () => {
  it('keeps only the net effect per path', () => {
    const p: Pending = new Map();
    coalesce(p, { path: 'a', kind: 'create' });
    coalesce(p, { path: 'a', kind: 'modify' });
    coalesce(p, { path: 'b', kind: 'modify' });
    coalesce(p, { path: 'b', kind: 'delete' });
    coalesce(p, { path: 'c', kind: 'create' });
    coalesce(p, { path: 'c', kind: 'delete' });
    coalesce(p, { path: 'd', kind: 'delete', dir: true });
    coalesce(p, { path: 'd', kind: 'create' });
    assert.deepEqual(ops(p), {
      a: { op: 'write', created: true },
      b: { op: 'delete' },
      d: { op: 'write', replace: true },
    });
  });
  it('drops pending changes under a deleted folder, and a rename is a delete and a create', () => {
    const p: Pending = new Map();
    coalesce(p, { path: 'dir/x', kind: 'modify' });
    coalesce(p, { path: 'dir/sub/y', kind: 'create' });
    for (const c of renameChanges('dir', 'moved', true)) coalesce(p, c);
    assert.deepEqual(ops(p), { dir: { op: 'delete', dir: true }, moved: { op: 'write', created: true, dir: true } });
  });
  it('sends the first change at once and coalesces what arrives while a batch is in flight', () => {
    const b = new Batcher();
    b.add({ path: 'a', kind: 'modify' });
    assert.deepEqual([...b.take()!.keys()], ['a']);
    b.add({ path: 'b', kind: 'modify' });
    b.add({ path: 'c', kind: 'modify' });
    assert.equal(b.take(), undefined, 'nothing is taken while a batch is in flight');
    b.done();
    assert.deepEqual([...b.take()!.keys()], ['b', 'c']);
  });
  it('puts a failed batch back in front of newer changes, newest state winning', () => {
    const b = new Batcher();
    b.add({ path: 'a', kind: 'create' });
    b.add({ path: 'gone', kind: 'modify' });
    b.take();
    b.add({ path: 'a', kind: 'delete' });
    b.add({ path: 'n', kind: 'create' });
    b.failed();
    assert.deepEqual(ops(b.take()!), { gone: { op: 'write' }, n: { op: 'write', created: true } });
    assert.equal(b.size, 3 - 1);
  });
  it('orders deletes before writes, parents first', () => {
    const p: Pending = new Map([
      ['a/b/c', { op: 'write' }],
      ['a', { op: 'write', replace: true, dir: true }],
      ['z/y', { op: 'delete' }],
      ['z', { op: 'delete', dir: true }],
    ]);
    const o = orderBatch(p);
    assert.deepEqual(o.deletes, ['a', 'z', 'z/y']);
    assert.deepEqual(
      o.writes.map((w) => w.path),
      ['a', 'a/b/c'],
    );
  });
});

describe('sync initial plan', () => {
  const listing = parseListing(
    [
      'ALGO sha256',
      'DIRS',
      '.',
      './src',
      './old',
      './node_modules',
      'LINKS',
      'EXEC',
      './run.sh',
      'FILES',
      'h1  ./src/a.js',
      'h2  ./run.sh',
      'h9  ./old/x.js',
      'h3  ./same file.txt',
      'hx  ./node_modules/m.js',
      '\\ab  ./weird\\nname',
      'END',
    ].join('\n'),
  );
  it('parses the container listing', () => {
    assert.ok(listing !== 'no-root');
    assert.equal(listing.algo, 'sha256');
    assert.deepEqual(listing.tree.get('run.sh'), { hash: 'h2', exec: true });
    assert.deepEqual(listing.tree.get('same file.txt'), { hash: 'h3' });
    assert.equal(listing.tree.has('weird\\nname'), false);
    assert.equal(parseListing('NOROOT\n'), 'no-root');
  });
  it('sends only what differs and deletes what is gone locally, leaving ignored remote paths alone', () => {
    assert.ok(listing !== 'no-root');
    const local: Tree = new Map([
      ['src', { hash: '', dir: true }],
      ['src/a.js', { hash: 'h1' }],
      ['run.sh', { hash: 'h2' }],
      ['same file.txt', { hash: 'h3' }],
      ['new', { hash: '', dir: true }],
      ['new/b.js', { hash: 'h4' }],
    ]);
    const plan = planInitialSync(local, listing, ignoreRules({}));
    assert.deepEqual(plan.writes, ['new', 'run.sh', 'new/b.js']);
    assert.deepEqual(plan.deletes, ['old']);
  });
});

describe('sync wire format', () => {
  it(
    'the receiver applies a framed batch with GNU tar and sh: binary, modes, odd and long names, deletes',
    { skip: process.platform === 'win32' },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'devlane-recv-'));
      try {
        const root = join(dir, 'app');
        const bin = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
        const long = `${'d'.repeat(60)}/${'ü'.repeat(40)}/${'f'.repeat(80)}.txt`;
        const archive = tarArchive([
          { path: 'sp ace ü.txt', type: 'file', mode: 0o755, mtimeSec: 1_700_000_000, data: Buffer.from('hello') },
          { path: 'bin', type: 'dir', mode: 0o750, mtimeSec: 1_700_000_000 },
          { path: 'bin/blob', type: 'file', mode: 0o600, mtimeSec: 1_700_000_000, data: bin },
          { path: long, type: 'file', mode: 0o644, mtimeSec: 1_700_000_000, data: Buffer.from('long') },
          { path: 'link', type: 'symlink', mode: 0o777, mtimeSec: 1_700_000_000, linkname: 'sp ace ü.txt' },
        ]);
        const input = Buffer.concat([
          ...batchFrame(1, [], archive, undefined),
          ...batchFrame(2, ['bin'], undefined, 'R restart'),
          Buffer.from('P\n'),
        ]);
        const [cmd, ...args] = receiverCommand(root, join(dir, 'run'));
        const r = spawnSync(cmd, args, { input });
        const lines = r.stdout.toString('utf8').trim().split('\n').map(parseReceiverLine);
        assert.deepEqual(
          lines.map((l) => l.kind),
          ['ready', 'ok', 'fail', 'pong'],
        );
        assert.match((lines[2] as { message: string }).message, /no Devlane supervisor/);
        assert.equal(readFileSync(join(root, 'sp ace ü.txt'), 'utf8'), 'hello');
        assert.equal(statSync(join(root, 'sp ace ü.txt')).mode & 0o777, 0o755);
        assert.equal(readFileSync(join(root, ...long.split('/')), 'utf8'), 'long');
        assert.equal(readFileSync(join(root, 'link'), 'utf8'), 'hello');
        assert.throws(() => statSync(join(root, 'bin')), /ENOENT/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
  it('writes the configured action', () => {
    assert.equal(actionLine('signal', { signal: 'SIGUSR2' }), 'S USR2');
    assert.equal(actionLine('command', { command: 'make' }), 'C make');
    assert.equal(actionLine('none', {}), undefined);
  });
});

describe('sync supervisor', () => {
  it('runs the original command and args under sh, escaped for the pod spec', () => {
    const c = supervisedContainer({ command: ['node'], args: ['server.js', '$(PORT)'] });
    assert.deepEqual(c.command.slice(0, 2), ['sh', '-c']);
    assert.equal(c.command[3], 'devlane-supervisor');
    assert.deepEqual(c.args, ['node', 'server.js', '$(PORT)']);
    assert.ok(!/[^$]\$[^$]/.test(c.command[2].replace(/\$\$/g, '')), 'every $ in the script is doubled');
    assert.equal(escapeForPodSpec('echo $$ $(x)'), 'echo $$$$ $$(x)');
  });
  it('needs `run` when the pod spec names no command', () => {
    assert.throws(() => supervisedContainer({ args: ['x'] }), SupervisorError);
    assert.deepEqual(supervisedContainer({}, ['node', 'main.js']).args, ['node', 'main.js']);
  });
  it(
    'restarts the child on SIGUSR1 without exiting, and stops on SIGTERM',
    { skip: process.platform === 'win32', timeout: 20_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'devlane-sup-'));
      try {
        writeFileSync(join(dir, 'count.sh'), 'echo started >> "$1"; exec sleep 60\n');
        const c = supervisedContainer({ command: ['sh', join(dir, 'count.sh'), join(dir, 'log')] });
        const script = c.command[2].replace(/\$\$/g, '$');
        const { spawn } = await import('node:child_process');
        const child = spawn('sh', ['-c', script, 'devlane-supervisor', ...c.args], {
          env: { ...process.env, DEVLANE_RUN_DIR: join(dir, 'run') },
          stdio: 'ignore',
        });
        const lines = async (n: number) => {
          for (let i = 0; i < 100; i++) {
            try {
              if (readFileSync(join(dir, 'log'), 'utf8').split('\n').filter(Boolean).length >= n) return true;
            } catch {
              // not yet
            }
            await new Promise((r) => setTimeout(r, 50));
          }
          return false;
        };
        assert.ok(await lines(1));
        const pid = Number(readFileSync(join(dir, 'run', 'supervisor.pid'), 'utf8'));
        assert.equal(pid, child.pid);
        process.kill(pid, 'SIGUSR1');
        assert.ok(await lines(2), 'the program started again');
        assert.equal(child.exitCode, null, 'the supervisor is still running');
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(pid, 'SIGTERM');
        await exited;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
