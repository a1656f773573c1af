// The watcher a Go copy runs dlv under, run by the machine's sh with a stand-in for dlv (a process
// that, like dlv in multi-client mode, outlives the program it started): once the program has
// exited, the watcher stops the stand-in, so the restart supervisor sees the exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { delveWatchScript } from '../../../src/core/debug/runtime';

function runWatched(program: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const sh = spawn('sh', ['-c', delveWatchScript, 'devlane-dlv', process.execPath, '-e', program], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  sh.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => sh.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}

describe('the dlv watcher of a Go copy', () => {
  it('stops the debugger once the program it started has exited, and says so', async () => {
    // The stand-in starts a program that exits after a moment, then waits for ever.
    const standIn = `require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => process.exit(3), 1500)'], { stdio: 'ignore' }); setInterval(() => {}, 1e6)`;
    const r = await runWatched(standIn);
    assert.match(r.stderr, /\[devlane\] the program exited under dlv/);
    assert.equal(r.code, 143, 'the stand-in was ended with SIGTERM');
  });

  it('passes on the exit of a debugger that ends by itself (e.g. a binary it cannot start)', async () => {
    const r = await runWatched('process.stderr.write("could not launch process\\n"); process.exit(1)');
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /\[devlane\]/);
    assert.match(r.stderr, /could not launch process/);
  });
});
