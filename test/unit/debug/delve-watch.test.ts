// The watcher a Go copy runs dlv under, run by the machine's sh with a stand-in for dlv: a process
// that, like dlv in multi-client mode, outlives the program it started, and that leaves that program
// running (in a process group of its own, as dlv does) when it is ended with SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { delveWatchScript } from '../../../src/core/debug/runtime';

/** A stand-in for dlv: starts `program` (node code) as its child and prints the child's PID. */
const standIn = (program: string) =>
  `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(program)}], { stdio: 'ignore', detached: true });` +
  `console.log(c.pid);` +
  `setInterval(() => {}, 1e6)`;

function runWatched(program: string) {
  const sh = spawn('sh', ['-c', delveWatchScript, 'devlane-dlv', process.execPath, '-e', program], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  sh.stderr.on('data', (d) => (stderr += d));
  sh.stdout.on('data', (d) => (stdout += d));
  let done = false;
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    sh.once('exit', (code) => {
      done = true;
      resolve({ code, stderr });
    }),
  );
  const childPid = new Promise<number>((resolve, reject) => {
    const check = () => {
      if (/^\d+\n/.test(stdout)) resolve(Number(stdout.split('\n')[0]));
      else if (done) reject(new Error(`the watcher exited before the program started: ${stderr}`));
      else setTimeout(check, 20);
    };
    check();
  });
  childPid.catch(() => {});
  return { sh, exited, childPid };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the dlv watcher of a Go copy', () => {
  it('stops the debugger once the program it started has exited, and says so', async () => {
    const r = await runWatched(standIn('setTimeout(() => process.exit(3), 1500)')).exited;
    assert.match(r.stderr, /\[devlane\] the program exited under dlv/);
    assert.equal(r.code, 143, 'the stand-in was ended with SIGTERM');
  });

  it('passes on the exit of a debugger that ends by itself (e.g. a binary it cannot start)', async () => {
    const r = await runWatched('process.stderr.write("could not launch process\\n"); process.exit(1)').exited;
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /\[devlane\]/);
    assert.match(r.stderr, /could not launch process/);
  });

  it("on the supervisor's SIGTERM, ends the program the debugger launched, then the debugger", async () => {
    const w = runWatched(standIn('setInterval(() => {}, 1e6)'));
    const program = await w.childPid;
    assert.ok(alive(program), 'the program runs');
    w.sh.kill('SIGTERM');
    const r = await w.exited;
    assert.equal(r.code, 143, 'the stand-in was ended with SIGTERM');
    // A killed process is gone once reaped (by init, since its parent exited): give that a moment.
    for (let i = 0; i < 50 && alive(program); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(program), 'the program the debugger started is gone, so its port is free for the next one');
  });
});
