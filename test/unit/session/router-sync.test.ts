// A route is reported live only when each router pod serves the new config generation on its
// admin port: the config is pushed into the pod on an exec's stdin, and a push cut on the way (or
// an exec that ends with no status and no output) is an unknown outcome, not success.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecResult, ExecStream, ExecStreamEnd, ObjectApi } from '../../../src/cluster/api';
import { ClusterError } from '../../../src/core/errors';
import { nullLogger } from '../../../src/core/logger';
import { addRouterRoute, routerConfigMap } from '../../../src/routing/router';
import { parseAnswer } from '../../../src/session/router-admin';
import { routerSync } from '../../../src/session/router-sync';

/* eslint-disable @typescript-eslint/no-explicit-any */
const spec = {
  namespace: 'shop',
  service: 'ratings',
  ports: [{ name: 'http', port: 80, listen: 8080, protocol: 'http' as const }],
  adminPort: 15021,
};
const route = {
  session: 's1',
  routeKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1',
  devService: 'ratings-dl-s1',
  devAddress: '10.96.0.7',
};
const readyPod = {
  metadata: { name: 'ratings-devlane-router-1' },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
};

/** How the push of the config ends: installed (exit 0), nginx refused it (exit 4), or the stream was cut. */
type PushEnd = ExecStreamEnd & { stderr?: string };
const installed: PushEnd = { exitCode: 0 };
const streamCut: PushEnd = {
  error: new ClusterError('unreachable', 'the exec stream closed before the process ended', 'Try again.'),
};

/** A router pod whose exec answers come from `answer` (the command decides which), and whose pushes end with `pushEnd`. */
function api(
  answer: (command: string) => ExecResult,
  pushEnd: PushEnd = installed,
): { api: ObjectApi; commands: string[]; pushed: string[] } {
  const commands: string[] = [];
  const pushed: string[] = [];
  const fake = {
    list: async () => [readyPod],
    tryGet: async () => readyPod,
    exec: async (_ns: string, _pod: string, _c: string, command: string[]) => {
      commands.push(command.join(' '));
      return answer(command.join(' '));
    },
    openExec: async () => {
      let input = '';
      let close: (end: ExecStreamEnd) => void = () => {};
      let stderr: (d: Buffer) => void = () => {};
      const stream: Partial<ExecStream> = {
        write: async (d) => void (input += d.toString()),
        endInput: () => {
          pushed.push(input);
          if (pushEnd.stderr) stderr(Buffer.from(pushEnd.stderr));
          setImmediate(() => close(pushEnd));
        },
        onStdout: () => {},
        onStderr: (l) => void (stderr = l),
        onClose: (l) => void (close = l),
        close: () => {},
      };
      return stream as ExecStream;
    },
  };
  return { api: fake as unknown as ObjectApi, commands, pushed };
}
const ctx = (a: ObjectApi) => ({ api: a, logger: nullLogger, signal: AbortSignal.timeout(10_000), report: () => {} });
const served = (generation: number) => ({
  exitCode: 0,
  stdout: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ngeneration ${generation} 0123456789abcdef\n`,
  stderr: '',
});
const cut = { exitCode: 0, stdout: '', stderr: '' };

describe('confirming a router reload', () => {
  const cm = (addRouterRoute(routerConfigMap(spec), route) as { object: any }).object;

  it('counts a change as one more generation, served on the admin port', () => {
    assert.equal(cm.data.generation, '2');
    assert.match(cm.data['nginx.conf'], /# generation: 2\n/);
    assert.match(
      cm.data['nginx.conf'],
      /location = \/\.devlane\/routes \{ return 200 "generation 2 [0-9a-f]{16}\\n"; \}/,
    );
  });

  it('pushes the config of the ConfigMap into the pod, and is live once the pod serves the new generation', async () => {
    const fake = api((c) => (c.includes('/.devlane/routes') ? served(2) : cut));
    await routerSync(ctx(fake.api), 'shop', cm, { confirmWaitMs: 200 });
    assert.deepEqual(fake.pushed, [cm.data['nginx.conf']]);
    assert.ok(
      fake.commands.some((c) => c.includes('/.devlane/routes')),
      'the admin port was read',
    );
  });

  it('fails, saying the outcome is unknown, when the push was cut and the old generation is still served', async () => {
    const fake = api((c) => (c.includes('/.devlane/routes') ? served(1) : cut), streamCut);
    await assert.rejects(
      routerSync(ctx(fake.api), 'shop', cm, { confirmWaitMs: 200 }),
      /did not confirm the new routes \(generation 2; it serves 1\); the exec stream closed[\s\S]*unknown/,
    );
  });

  it('is live when the push was cut but the pod installed the config anyway (its own loop, from the mounted file)', async () => {
    const fake = api((c) => (c.includes('/.devlane/routes') ? served(2) : cut), streamCut);
    await routerSync(ctx(fake.api), 'shop', cm, { confirmWaitMs: 200 });
  });

  it('fails at once, keeping the old routes, when nginx refuses the config, and says what nginx said', async () => {
    const fake = api((c) => (c.includes('/.devlane/routes') ? served(1) : cut), {
      exitCode: 4,
      stderr: 'nginx: [emerg] unknown directive "bogus"',
    });
    await assert.rejects(
      routerSync(ctx(fake.api), 'shop', cm),
      /kept its old routes \(generation 2 not installed\): nginx refused the new config: nginx: \[emerg\] unknown directive "bogus"/,
    );
    assert.ok(!fake.commands.some((c) => c.includes('/.devlane/routes')), 'no wait for a generation that cannot come');
  });

  it('fails when no answer comes back at all', async () => {
    const fake = api(() => cut);
    await assert.rejects(routerSync(ctx(fake.api), 'shop', cm, { confirmWaitMs: 200 }), /it serves no answer/);
  });

  it('reads curl and busybox wget answers alike', () => {
    assert.deepEqual(parseAnswer('HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nbody\n'), {
      status: 200,
      headers: { 'x-a': '1' },
      body: 'body\n',
    });
    const wget = parseAnswer('  HTTP/1.1 502 Bad Gateway\n  x-devlane-origin-connect: -\ngeneration 3 abc\n');
    assert.equal(wget?.status, 502);
    assert.equal(wget?.headers['x-devlane-origin-connect'], '-');
    assert.match(wget!.body, /generation 3/);
    assert.equal(parseAnswer(''), undefined);
  });
});
