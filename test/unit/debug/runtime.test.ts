import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  debugAnnotationValue,
  debugLaunch,
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

  it('adds the inspector to node, replacing an --inspect the command had', () => {
    assert.deepEqual(debugLaunch('node', ['node', '--inspect=0.0.0.0:9229', 'server.js'], 9229).argv, [
      'node',
      '--inspect=127.0.0.1:9229',
      'server.js',
    ]);
  });

  it('uses NODE_OPTIONS when node is started by something else, extending a plain value', () => {
    assert.deepEqual(debugLaunch('node', ['npm', 'start'], 9229, { nodeOptions: '--max-old-space-size=512' }), {
      argv: ['npm', 'start'],
      env: { NODE_OPTIONS: '--max-old-space-size=512 --inspect=127.0.0.1:9229' },
    });
    assert.match(
      debugLaunch('node', ['npm', 'start'], 9229, { nodeOptionsFromElsewhere: true }).problem ?? '',
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
    assert.equal(parseDebugAnnotation('{"runtime":"go","port":1,"container":"x"}'), undefined);
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
      /services\.web\.debug\.runtime: must be one of auto, off, node, python/,
    );
    assert.throws(() => cfg({ port: 0 }), /services\.web\.debug\.port: must be a port number/);
    assert.throws(() => cfg({ host: 'x' }), /services\.web\.debug\.host: is not a known setting/);
  });
});
