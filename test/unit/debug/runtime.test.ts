import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  debugAnnotationValue,
  debugLaunch,
  defaultDebugPort,
  delveWatchScript,
  detectRuntime,
  parseDebugAnnotation,
} from '../../../src/core/debug/runtime';
import { parseConfig } from '../../../src/core/sync/config';

describe('debug runtime', () => {
  it('detects the runtime from the program first, then the image', () => {
    assert.equal(detectRuntime('busybox', ['node', 'x.js']), 'node');
    assert.equal(detectRuntime(undefined, ['/usr/local/bin/python3.11', 'app.py']), 'python');
    assert.equal(detectRuntime('registry.example.com/team/node:22-slim@sha256:abc', ['npm', 'start']), 'node');
    assert.equal(detectRuntime('python:3.12', undefined), 'python');
    assert.equal(detectRuntime('nginx:1.27', ['nginx']), undefined);
    assert.equal(detectRuntime('mycorp/nodejs-base:1', undefined), 'node');
  });

  it('detects Go from a golang image, from dlv, or from the binary a build mapping makes', () => {
    assert.equal(detectRuntime('golang:1.26', ['/stock', '--port', '8080']), 'go');
    assert.equal(detectRuntime('registry.example.com/go-toolchain:1.26@sha256:abc', ['/srv/app']), 'go');
    assert.equal(detectRuntime('debian:bookworm', ['/go/bin/dlv', 'exec', '/app']), 'go');
    assert.equal(
      detectRuntime('gcr.io/distroless/static', ['/tmp/devlane/bin/app'], { builtBinary: '/tmp/devlane/bin/app' }),
      'go',
    );
    assert.equal(detectRuntime('gcr.io/distroless/static', ['/stock']), undefined, 'a binary alone says nothing');
    assert.equal(detectRuntime('mongo:7', ['mongod']), undefined);
    assert.equal(detectRuntime('mycorp/cargo:1', ['cargo', 'run']), undefined);
    assert.equal(defaultDebugPort('go'), 2345);
  });

  it('starts a Go binary under dlv exec: headless on 127.0.0.1, running at once, the arguments after --', () => {
    const argv = debugLaunch('go', ['/tmp/devlane/bin/app', '--port', '8080', '-v'], 2345).argv!;
    assert.deepEqual(argv.slice(0, 4), ['sh', '-c', delveWatchScript, 'devlane-dlv']);
    assert.deepEqual(argv.slice(4), [
      'dlv',
      'exec',
      '--headless',
      '--listen=127.0.0.1:2345',
      '--accept-multiclient',
      '--api-version=2',
      '--continue',
      '--only-same-user=false',
      '/tmp/devlane/bin/app',
      '--',
      '--port',
      '8080',
      '-v',
    ]);
    // A command that already runs dlv is the user's own choice.
    const own = ['dlv', 'exec', '--headless', '--listen=127.0.0.1:4000', '/app'];
    assert.deepEqual(debugLaunch('go', own, 2345).argv, own);
    assert.match(debugLaunch('go', ['--flag'], 2345).problem ?? '', /cannot be started under dlv/);
  });

  it("builds the copy's Go program for the debugger (no optimisation, no inlining) unless GOFLAGS says otherwise", () => {
    const launch = (goflags: { value?: string; fromElsewhere?: 'valueFrom' | 'envFrom' }) =>
      debugLaunch('go', ['/tmp/devlane/bin/app'], 2345, (n) => (n === 'GOFLAGS' ? goflags : {})).env;
    assert.deepEqual(launch({}), { GOFLAGS: "'-gcflags=all=-N -l'" });
    assert.deepEqual(launch({ value: '-mod=vendor' }), { GOFLAGS: "-mod=vendor '-gcflags=all=-N -l'" });
    assert.equal(launch({ value: '-gcflags=-m' }), undefined, "the user's own -gcflags stay");
    assert.equal(launch({ fromElsewhere: 'valueFrom' }), undefined);
    assert.deepEqual(launch({ fromElsewhere: 'envFrom' }), { GOFLAGS: "'-gcflags=all=-N -l'" });
  });

  it("writes the dlv watcher so that Kubernetes' $(VAR) expansion leaves it unchanged", () => {
    // Kubernetes reads $$ as $ and $(NAME) as a variable in command and args.
    assert.doesNotMatch(delveWatchScript, /\$\$|\$\(/);
  });

  it('adds the inspector to node, replacing an --inspect the command had', () => {
    assert.deepEqual(debugLaunch('node', ['node', '--inspect=0.0.0.0:9229', 'server.js'], 9229).argv, [
      'node',
      '--inspect=127.0.0.1:9229',
      'server.js',
    ]);
  });

  it('uses NODE_OPTIONS when node is started by something else, extending a plain value', () => {
    assert.deepEqual(
      debugLaunch('node', ['npm', 'start'], 9229, (n) =>
        n === 'NODE_OPTIONS' ? { value: '--max-old-space-size=512' } : {},
      ),
      {
        argv: ['npm', 'start'],
        env: { NODE_OPTIONS: '--max-old-space-size=512 --inspect=127.0.0.1:9229' },
      },
    );
    assert.match(
      debugLaunch('node', ['npm', 'start'], 9229, () => ({ fromElsewhere: 'envFrom' })).problem ?? '',
      /NODE_OPTIONS comes from/,
    );
  });

  it('starts python under debugpy for a file, a module and code, and leaves it alone when already there', () => {
    assert.deepEqual(debugLaunch('python', ['python3', '-W', 'error', '-m', 'uvicorn', 'app:app'], 5678).argv, [
      'python3',
      '-W',
      'error',
      '-m',
      'debugpy',
      '--listen',
      '127.0.0.1:5678',
      '-m',
      'uvicorn',
      'app:app',
    ]);
    assert.deepEqual(debugLaunch('python', ['python', '-c', 'print(1)'], 5678).argv, [
      'python',
      '-m',
      'debugpy',
      '--listen',
      '127.0.0.1:5678',
      '-c',
      'print(1)',
    ]);
    assert.deepEqual(
      debugLaunch('python', ['python', '-m', 'debugpy', '--listen', '127.0.0.1:5678', 'a.py'], 5678).argv,
      ['python', '-m', 'debugpy', '--listen', '127.0.0.1:5678', 'a.py'],
    );
    assert.match(debugLaunch('python', ['gunicorn', 'app:app'], 5678).problem ?? '', /not the Python interpreter/);
  });

  it('reads back only a well-formed annotation', () => {
    const spec = { runtime: 'python' as const, port: 5678, container: 'catalog' };
    assert.deepEqual(parseDebugAnnotation(debugAnnotationValue(spec)), spec);
    assert.equal(parseDebugAnnotation(undefined), undefined);
    assert.deepEqual(parseDebugAnnotation('{"runtime":"go","port":2345,"container":"stock"}'), {
      runtime: 'go',
      port: 2345,
      container: 'stock',
    });
    assert.equal(parseDebugAnnotation('{"runtime":"java","port":1,"container":"x"}'), undefined);
    assert.equal(parseDebugAnnotation('{"runtime":"node","port":70000,"container":"x"}'), undefined);
    assert.equal(parseDebugAnnotation('not json'), undefined);
  });

  it('validates the debug setting in .vscode/devlane.json, naming the field', () => {
    const cfg = (debug: unknown) =>
      parseConfig(JSON.stringify({ version: 1, services: { web: { remotePath: '/app', debug } } }));
    assert.deepEqual(cfg({ runtime: 'python', port: 5679 }).services.web.debug, { runtime: 'python', port: 5679 });
    assert.deepEqual(cfg({}).services.web.debug, { runtime: 'auto' });
    assert.throws(
      () => cfg({ runtime: 'ruby' }),
      /services\.web\.debug\.runtime: must be one of auto, off, node, python, go/,
    );
    assert.throws(() => cfg({ port: 0 }), /services\.web\.debug\.port: must be a port number/);
    assert.throws(() => cfg({ host: 'x' }), /services\.web\.debug\.host: is not a known setting/);
  });
});
