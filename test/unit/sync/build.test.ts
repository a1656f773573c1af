// The `build` action: its settings, the build line the receiver runs, the compiler's errors mapped
// back to local files, and the receiver running a real build with the machine's sh and go.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  buildLine,
  buildOutput,
  buildProblems,
  builtProgram,
  describeBuildFailure,
  goVersionOf,
  noToolchain,
} from '../../../src/core/sync/build';
import { ConfigError, parseConfig } from '../../../src/core/sync/config';
import { batchFrame, parseReceiverLine, receiverCommand } from '../../../src/core/sync/receiver';
import { supervisorScript, waitingPrefix } from '../../../src/core/sync/supervisor';

const parse = (svc: unknown) => parseConfig(JSON.stringify({ version: 1, services: { stock: svc } })).services.stock;
const fails = (svc: unknown, field: string, message: RegExp) =>
  assert.throws(
    () => parse(svc),
    (e: unknown) => e instanceof ConfigError && e.field === field && message.test(e.message),
  );

describe('build action settings', () => {
  it('fills the default command and program, and reads the program from -o', () => {
    assert.deepEqual(parse({ remotePath: '/src', action: 'build' }), {
      localPath: '.',
      remotePath: '/src',
      exclude: [],
      action: 'build',
      signal: 'SIGHUP',
      build: 'go build -o /tmp/devlane/bin/app .',
      binary: '/tmp/devlane/bin/app',
    });
    assert.equal(
      parse({ remotePath: '/src', action: 'build', build: 'go build -o=bin/stock ./cmd/stock' }).binary,
      '/src/bin/stock',
    );
    assert.equal(
      parse({ remotePath: '/src', action: 'build', build: 'make', binary: '/out/stock' }).binary,
      '/out/stock',
    );
  });
  it('names the field that is wrong', () => {
    fails({ remotePath: '/src', action: 'build', binary: 'bin/app' }, 'services.stock.binary', /absolute path/);
    fails(
      { remotePath: '/src', action: 'build', build: 'go build -o "/my app" .' },
      'services.stock.build',
      /spaces|absolute/,
    );
    fails({ remotePath: '/src', action: 'build', build: 'go vet\ngo build' }, 'services.stock.build', /one line/);
    fails(
      { remotePath: '/src', action: 'restart', build: 'go build .' },
      'services.stock.build',
      /only with "action": "build"/,
    );
    fails({ remotePath: '/src', binary: '/x' }, 'services.stock.binary', /only with/);
  });
  it('builds into a temporary file named by $DEVLANE_BUILD_OUTPUT when -o names the program', () => {
    const m = parse({ remotePath: '/src', action: 'build' });
    assert.equal(buildLine(m, 'always'), 'G always /tmp/devlane/bin/app go build -o "$DEVLANE_BUILD_OUTPUT" .');
    const own = parse({ remotePath: '/src', action: 'build', build: 'make app', binary: '/src/app' });
    assert.equal(buildLine(own, 'changed'), 'G changed /src/app make app');
    assert.equal(buildOutput('go build -trimpath -o ./bin/x && true', '/w'), '/w/bin/x');
  });
  it('runs the program with the original arguments, or `run` as given', () => {
    assert.deepEqual(builtProgram({ command: ['/stock', '--port=8080'], args: ['-v'] }, {}), [
      '/tmp/devlane/bin/app',
      '--port=8080',
      '-v',
    ]);
    assert.deepEqual(builtProgram({ args: ['serve'] }, { binary: '/b/app' }), ['/b/app', 'serve']);
    assert.deepEqual(builtProgram({ command: ['/stock'] }, { run: ['/b/app', 'x'] }), ['/b/app', 'x']);
  });
});

describe('build errors', () => {
  const mapping = { localRoot: '/home/ann/shop/stock', remotePath: '/src' };
  const output = [
    '# example.com/stock/internal/db',
    'internal/db/db.go:7:2: undefined: sqlOpen',
    '# example.com/stock',
    './main.go:12:5: declared and not used: x',
    './main.go:14:9: cannot use s (variable of type *S) as I value in variable declaration: *S does not implement I (missing method M)',
    '\t\thave m()',
    '\t\twant M()',
    '/src/gen/types.go:3: syntax error: unexpected newline',
    '/go/pkg/mod/example.com/lib@v1.0.0/lib.go:9:1: vendored trouble',
    'note: module requires Go 1.27',
  ];
  it('maps relative, subpackage and absolute paths to the local files, with multi-line notes', () => {
    const p = buildProblems(output, mapping);
    assert.deepEqual(
      p.map((x) => [x.localPath, x.line, x.column]),
      [
        ['/home/ann/shop/stock/internal/db/db.go', 7, 2],
        ['/home/ann/shop/stock/main.go', 12, 5],
        ['/home/ann/shop/stock/main.go', 14, 9],
        ['/home/ann/shop/stock/gen/types.go', 3, undefined],
        [undefined, 9, 1],
      ],
    );
    assert.equal(p[2].message.split('\n').length, 3);
    assert.match(p[2].message, /have m\(\)\nwant M\(\)$/);
    assert.equal(p[4].remotePath, '/go/pkg/mod/example.com/lib@v1.0.0/lib.go');
  });
  it('maps Windows local folders with backslashes', () => {
    const p = buildProblems(['./pkg/a.go:1:2: x'], { localRoot: 'C:\\work\\stock', remotePath: '/src' });
    assert.equal(p[0].localPath, 'C:\\work\\stock\\pkg\\a.go');
  });
  it('says the whole failure for the CLI, and names a missing toolchain with the image to use', () => {
    const outcome = { result: 'failed' as const, code: 1, output };
    const text = describeBuildFailure(outcome, buildProblems(output, mapping), (x) => x);
    assert.match(text, /^the build failed \(exit code 1\); the previous program keeps running\n/);
    assert.match(text, /\n {2}\/home\/ann\/shop\/stock\/main\.go:12:5: declared and not used: x\n/);
    const missing = { result: 'failed' as const, code: 127, output: ['sh: 1: go: not found'] };
    assert.equal(
      noToolchain(missing, 'registry.example/stock:1.4', goVersionOf('module example.com/stock\n\ngo 1.26.2\n')),
      'the copy\'s image registry.example/stock:1.4 has no Go toolchain to build with: set "devImage" for this service in .vscode/devlane.json (e.g. "golang:1.26") and start the session again',
    );
    assert.equal(noToolchain(outcome, 'x', '1.26'), undefined);
  });
});

const haveGo = spawnSync('go', ['version']).status === 0;

describe('the receiver builds', () => {
  it(
    'a good build replaces the program and asks for a restart; a failed one keeps it and says why',
    { skip: process.platform === 'win32' || !haveGo ? 'needs sh and go' : false, timeout: 180_000 },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'devlane-build-'));
      try {
        const root = join(dir, 'src');
        const run = join(dir, 'run');
        const bin = join(run, 'bin', 'app');
        mkdirSync(join(root, 'sub'), { recursive: true });
        writeFileSync(join(root, 'go.mod'), 'module example.com/t\n\ngo 1.22\n');
        writeFileSync(join(root, 'sub', 'sub.go'), 'package sub\n\nconst Word = "one"\n');
        writeFileSync(
          join(root, 'main.go'),
          'package main\n\nimport "example.com/t/sub"\n\nfunc main() { println(sub.Word) }\n',
        );
        // A supervisor stand-in: the receiver signals it with USR1 after a good build.
        const sup = spawnSync('sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
        const supPid = Number(sup.stdout.trim());
        mkdirSync(run, { recursive: true });
        writeFileSync(join(run, 'supervisor.pid'), String(supPid));
        const mapping = { remotePath: root, binary: bin, build: `go build -o ${bin} .` };
        const receive = (frames: Buffer[]) => {
          const [cmd, ...args] = receiverCommand(root, run);
          const env = { ...process.env, GOCACHE: execFileSync('go', ['env', 'GOCACHE'], { encoding: 'utf8' }).trim() };
          const r = spawnSync(cmd, args, { input: Buffer.concat(frames), env, encoding: 'buffer' });
          return r.stdout.toString('utf8').trim().split('\n').map(parseReceiverLine);
        };
        const good = receive(batchFrame(1, [], undefined, buildLine(mapping, 'always')));
        assert.deepEqual(good.at(-2), { kind: 'build', result: 'ok', code: 0 });
        assert.deepEqual(good.at(-1), { kind: 'ok', seq: 1 }, 'the supervisor was signalled');
        assert.equal(execFileSync(bin, { encoding: 'utf8' }).trim() || spawnSync(bin).stderr.toString().trim(), 'one');
        const before = statSync(bin).mtimeMs;
        const same = receive(batchFrame(2, [], undefined, buildLine(mapping, 'changed')));
        assert.deepEqual(same.at(-2), { kind: 'build', result: 'same', code: 0 });

        writeFileSync(join(root, 'sub', 'sub.go'), 'package sub\n\nconst Word = two\n');
        const bad = receive(batchFrame(3, [], undefined, buildLine(mapping, 'always')));
        assert.deepEqual(bad.at(-1), { kind: 'ok', seq: 3 }, 'the files landed; the build is reported apart');
        assert.equal((bad.at(-2) as { result: string }).result, 'failed');
        const output = bad.filter((l) => l.kind === 'output').map((l) => (l as { text: string }).text);
        const problems = buildProblems(output, { localRoot: '/local/t', remotePath: root });
        assert.deepEqual(
          problems.map((p) => [p.localPath, p.line, p.column, p.message]),
          [['/local/t/sub/sub.go', 3, 14, 'undefined: two']],
        );
        assert.equal(statSync(bin).mtimeMs, before, 'the old program is left in place');
        assert.equal(readFileSync(bin).length > 0, true);
        process.kill(supPid);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('the supervisor of a build mapping', () => {
  it(
    'waits for the first build before it first runs the program',
    { skip: process.platform === 'win32', timeout: 30_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'devlane-sup-build-'));
      const { spawn } = await import('node:child_process');
      const program = join(dir, 'bin', 'app');
      const child = spawn('sh', ['-c', supervisorScript, 'devlane-supervisor', program, 'arg1'], {
        env: { ...process.env, DEVLANE_RUN_DIR: join(dir, 'run'), DEVLANE_PROGRAM: program },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise((r) => child.once('exit', r));
      const until = async (what: string, check: () => boolean) => {
        for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(check(), what);
      };
      try {
        await until('it says what it waits for', () => stderr.includes(`${waitingPrefix}${program}`));
        assert.ok(!stderr.includes('exited'), 'nothing was run');
        mkdirSync(join(dir, 'bin'));
        writeFileSync(program, `#!/bin/sh\necho "ran $1" > "${join(dir, 'ran')}"\nexec sleep 60\n`, { mode: 0o755 });
        process.kill(child.pid!, 'SIGUSR1');
        await until('the built program ran with its arguments', () => {
          try {
            return readFileSync(join(dir, 'ran'), 'utf8') === 'ran arg1\n';
          } catch {
            return false;
          }
        });
      } finally {
        child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
