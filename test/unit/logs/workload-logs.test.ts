import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { LogRequest } from '../../../src/cluster/api';
import type { LogSource } from '../../../src/core/log-lines';
import type { LogSink } from '../../../src/logs/container-log';
import { WorkloadLogs } from '../../../src/logs/workload-logs';
import { contextSummary, FakeConnection } from '../../fakes/cluster';
import { pod } from '../../fakes/objects';

/** Collects what a log view would show. */
class Sink implements LogSink {
  readonly lines: string[] = [];
  readonly notices: string[] = [];
  line(source: LogSource, text: string) {
    this.lines.push(`${source.pod}/${source.container}: ${text}`);
  }
  notice(text: string) {
    this.notices.push(text);
  }
}

/** A log stream the test writes into and ends, standing in for one follow request. */
interface Stream {
  req: LogRequest;
  write(text: string): void;
  end(): void;
}

function scriptedConnection() {
  const conn = new FakeConnection(contextSummary('dev'));
  const streams: Stream[] = [];
  const waiters: ((s: Stream) => void)[] = [];
  conn.logScript = (req, onChunk, signal) =>
    new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      const s: Stream = { req, write: (t) => onChunk(Buffer.from(t)), end: resolve };
      const w = waiters.shift();
      if (w) w(s);
      else streams.push(s);
    });
  const next = (): Promise<Stream> => {
    const s = streams.shift();
    return s ? Promise.resolve(s) : new Promise((r) => waiters.push(r));
  };
  return { conn, next };
}

const disposables: { dispose(): void }[] = [];
afterEach(() => disposables.splice(0).forEach((d) => d.dispose()));
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const web = { labels: { app: 'web' } };

describe('WorkloadLogs', () => {
  it('follows every container of every matching pod, prefixed, with a tail at the start', async () => {
    const { conn, next } = scriptedConnection();
    conn
      .informer('Pod', 'shop')
      .sync([
        pod('web-1', { ...web, containers: ['app', 'proxy'] }),
        pod('web-2', web),
        pod('db-1', { labels: { app: 'db' } }),
      ]);
    const sink = new Sink();
    const logs = new WorkloadLogs(
      conn,
      { namespace: 'shop', pods: { selector: { matchLabels: { app: 'web' } } }, tailLines: 50 },
      sink,
    );
    disposables.push(logs);
    logs.start();
    assert.deepEqual(logs.following, ['web-1/app', 'web-1/proxy', 'web-2/app']);
    const streams = [await next(), await next(), await next()];
    assert.ok(streams.every((s) => s.req.tailLines === 50 && s.req.sinceTime === undefined));
    const s = streams.find((x) => x.req.pod === 'web-2')!;
    s.write('2024-05-01T10:00:00.1Z hello\n2024-05-01T10:00:00.2Z wor');
    s.write('ld\n');
    assert.deepEqual(sink.lines, ['web-2/app: hello', 'web-2/app: world']);
  });

  it('reconnects after the stream ends when the container restarts, without repeating lines', async () => {
    const { conn, next } = scriptedConnection();
    const pods = conn.informer('Pod', 'shop').sync([pod('web-1', web)]);
    const sink = new Sink();
    const logs = new WorkloadLogs(conn, { namespace: 'shop', pods: { name: 'web-1' } }, sink);
    disposables.push(logs);
    logs.start();
    const first = await next();
    first.write('2024-05-01T10:00:01.5Z before crash\n');
    // The container dies: the stream ends and the pod shows it terminated...
    pods.apply({
      upsert: [
        pod('web-1', { ...web, statuses: [{ ready: false, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }),
      ],
    });
    first.end();
    await tick(20);
    // ...then running again as a new instance.
    pods.apply({
      upsert: [pod('web-1', { ...web, statuses: [{ restartCount: 1, containerID: 'containerd://new' }] })],
    });
    const second = await next();
    assert.equal(second.req.sinceTime, '2024-05-01T10:00:01.5Z');
    // sinceTime has one-second precision: the server repeats what we saw; only new lines show.
    second.write('2024-05-01T10:00:01.5Z before crash\n2024-05-01T10:00:09Z after restart\n');
    assert.deepEqual(sink.lines, ['web-1/app: before crash', 'web-1/app: after restart']);
    assert.ok(sink.notices.some((n) => /restarted \(restart 1\)/.test(n)));
  });

  it('picks up a replacement pod from its first line and drops the deleted one', async () => {
    const { conn, next } = scriptedConnection();
    const pods = conn.informer('Pod', 'shop').sync([pod('web-1', web)]);
    const sink = new Sink();
    const logs = new WorkloadLogs(
      conn,
      { namespace: 'shop', pods: { selector: { matchLabels: { app: 'web' } } }, tailLines: 10 },
      sink,
    );
    disposables.push(logs);
    logs.start();
    const old = await next();
    pods.apply({ remove: ['web-1'], upsert: [pod('web-9', web)] });
    const fresh = await next();
    assert.equal(fresh.req.pod, 'web-9');
    assert.equal(fresh.req.tailLines, undefined, 'a new pod is shown from its start');
    assert.deepEqual(logs.following, ['web-9/app']);
    assert.ok(sink.notices.includes('web-1/app: pod is gone'));
    old.write('2024-05-01T10:00:00Z late line\n');
    assert.deepEqual(sink.lines, [], 'a stopped follower delivers nothing');
  });

  it('stops every stream when disposed', async () => {
    const { conn, next } = scriptedConnection();
    conn.informer('Pod', 'shop').sync([pod('web-1', web)]);
    const logs = new WorkloadLogs(conn, { namespace: 'shop', pods: { name: 'web-1' } }, new Sink());
    logs.start();
    await next();
    assert.equal(conn.informer('Pod', 'shop').leases, 1);
    logs.dispose();
    assert.equal(conn.informer('Pod', 'shop').leases, 0);
    assert.deepEqual(logs.following, []);
  });
});
