// What the editor learns from a developer copy's output when its program exits by itself: the exit
// code, the error line, and the local file and line to show in Problems. The outputs below are what
// Node 20 and Python 3 print, under the supervisor's own lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyOutput, localPathFor, stackProblems } from '../../../src/core/sync/copy-trouble';
import { exitedPrefix, restartingPrefix, supervisorScript } from '../../../src/core/sync/supervisor';

const mapping = { localRoot: '/home/me/shop/ratings', remotePath: '/app' };
const exited = (code: number) => `${exitedPrefix}${code}; the next sync restarts it`;

const nodeSyntax = [
  '/app/server.js:2',
  'const b = (;',
  '           ^',
  '',
  "SyntaxError: Unexpected token ';'",
  '    at wrapSafe (node:internal/modules/cjs/loader:1464:18)',
  '    at Module._compile (node:internal/modules/cjs/loader:1495:20)',
  '',
  'Node.js v20.20.2',
];

const nodeThrow = [
  'listening on 8080',
  '/app/lib/stars.js:7',
  "  throw new TypeError('no stars for ' + id);",
  '  ^',
  '',
  'TypeError: no stars for p-9',
  '    at stars (/app/lib/stars.js:7:9)',
  '    at Server.<anonymous> (/app/server.js:20:11)',
  '    at Server.emit (node:events:519:28)',
];

const pythonTrace = [
  'Traceback (most recent call last):',
  '  File "/usr/lib/python3.11/http/server.py", line 433, in handle_one_request',
  '    method()',
  '  File "/app/app.py", line 31, in do_GET',
  '    ratio = 1 / 0',
  '            ~~^~~',
  '  File "/usr/lib/python3.11/json/__init__.py", line 231, in dumps',
  '    return _default_encoder.encode(obj)',
  'ZeroDivisionError: division by zero',
];

const pythonSyntax = ['  File "/app/app.py", line 12', '    def f(:', '          ^', 'SyntaxError: invalid syntax'];

describe('reading a copy that exited', () => {
  it('turns a Node syntax error into a problem at the local file, line and column', () => {
    assert.deepEqual(stackProblems(nodeSyntax, mapping), [
      {
        remotePath: '/app/server.js',
        localPath: '/home/me/shop/ratings/server.js',
        line: 2,
        column: 12,
        message: "SyntaxError: Unexpected token ';'",
      },
    ]);
  });

  it('blames the line Node printed first for an uncaught exception', () => {
    assert.deepEqual(stackProblems(nodeThrow, mapping), [
      {
        remotePath: '/app/lib/stars.js',
        localPath: '/home/me/shop/ratings/lib/stars.js',
        line: 7,
        column: 3,
        message: 'TypeError: no stars for p-9',
      },
    ]);
  });

  it('uses the first frame in the synced tree when Node printed no header', () => {
    const frames = ['Error: boom', '    at handler (/opt/other/x.js:1:1)', '    at go (/app/server.js:40:5)'];
    assert.deepEqual(stackProblems(frames, mapping), [
      {
        remotePath: '/app/server.js',
        localPath: '/home/me/shop/ratings/server.js',
        line: 40,
        column: 5,
        message: 'Error: boom',
      },
    ]);
  });

  it("blames Python's innermost frame in the synced tree, not the standard library's", () => {
    assert.deepEqual(stackProblems(pythonTrace, mapping), [
      {
        remotePath: '/app/app.py',
        localPath: '/home/me/shop/ratings/app.py',
        line: 31,
        message: 'ZeroDivisionError: division by zero',
      },
    ]);
  });

  it('reads a Python syntax error', () => {
    assert.deepEqual(stackProblems(pythonSyntax, mapping), [
      {
        remotePath: '/app/app.py',
        localPath: '/home/me/shop/ratings/app.py',
        line: 12,
        message: 'SyntaxError: invalid syntax',
      },
    ]);
  });

  it('names no local file for a path outside the mapping, and finds nothing in output without a location', () => {
    assert.equal(stackProblems(nodeSyntax, { localRoot: '/w', remotePath: '/srv' })[0].localPath, undefined);
    assert.deepEqual(stackProblems(['Killed'], mapping), []);
  });

  it('maps container paths inside the synced folder only', () => {
    assert.equal(localPathFor('/app/a/b.js', mapping), '/home/me/shop/ratings/a/b.js');
    assert.equal(localPathFor('/application/b.js', mapping), undefined);
    assert.equal(localPathFor('/app', mapping), undefined);
    assert.equal(localPathFor('/app/x.py', { localRoot: 'C:\\work\\svc', remotePath: '/app/' }), 'C:\\work\\svc\\x.py');
  });
});

describe("a copy's output, line by line", () => {
  it("reports the exit with the program's last lines, and clears it at the restart", () => {
    const out = new CopyOutput(mapping);
    const said = [...nodeSyntax, exited(1)].map((l) => out.push(l));
    assert.deepEqual(said.filter(Boolean), ['exited']);
    assert.equal(out.trouble?.exitCode, 1);
    assert.equal(out.trouble?.error, "SyntaxError: Unexpected token ';'");
    assert.deepEqual(out.trouble?.lastLines, nodeSyntax);
    assert.equal(out.trouble?.problems[0].line, 2);
    assert.equal(out.push(`${restartingPrefix}node server.js`), 'restarted');
    assert.equal(out.trouble, undefined);
  });

  it('keeps only what the program printed since its last start', () => {
    const out = new CopyOutput(mapping);
    for (const l of [...pythonTrace, exited(1), `${restartingPrefix}python app.py`, 'serving on 8080', exited(137)])
      out.push(l);
    assert.equal(out.trouble?.exitCode, 137);
    assert.deepEqual(out.trouble?.lastLines, ['serving on 8080']);
    assert.deepEqual(out.trouble?.problems, []);
  });

  it('reads the lines the supervisor really prints', () => {
    // The script writes its messages from the same constants; a reworded message would break this.
    assert.ok(supervisorScript.includes(`echo "${exitedPrefix}$code; the next sync restarts it"`));
    assert.equal(
      (supervisorScript.match(new RegExp(`echo "${restartingPrefix.replace(/[[\]]/g, '\\$&')}`, 'g')) ?? []).length,
      2,
      'a restart after a crash says so too',
    );
  });
});
