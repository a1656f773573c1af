// The port-forward client against a server that behaves as the kubelet's streaming server does
// behind a real API server: the upgrade response and each channel's port header arrive in ONE
// read, before any data. (The real cluster showed it: the first two bytes of every answer were
// lost, because those frames were emitted before the tunnel listened.)
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer } from 'ws';
import { KubeHttp } from '../../../src/cluster/http';
import { startPortForward } from '../../../src/cluster/port-forward';
import type { PortForwardRequest } from '../../../src/cluster/api';
import { MemoryLogger } from '../../helpers/cluster';

/** A forward of pod ns/p's port 8080 through the fake API server on `port`. */
function forwardTo(port: number, extra: Partial<PortForwardRequest> = {}) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return startPortForward(
    new KubeHttp(kc, { server: `http://127.0.0.1:${port}`, user: 'u' }),
    { namespace: 'ns', pod: 'p', remotePort: 8080, localPort: 0, checkFirst: false, ...extra },
    new MemoryLogger(),
  );
}

const frame = (channel: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([0x82, payload.length + 1, channel]), payload]);

describe('port forward, frames that arrive with the upgrade', () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer();
    server.on('upgrade', (req, socket) => {
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      const portHeader = Buffer.from([0x90, 0x1f]); // 8080, little-endian
      socket.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
          ),
          frame(0, portHeader),
          frame(1, portHeader),
        ]),
      );
      setTimeout(() => socket.write(frame(0, Buffer.from('HTTP/1.1 200 OK'))), 50);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  it('strips the port headers and passes the first data whole', async () => {
    const forward = await forwardTo(port);
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect(forward.localPort, '127.0.0.1');
        let data = '';
        c.on('data', (d) => {
          data += d.toString();
          if (data.length >= 'HTTP/1.1 200 OK'.length) {
            c.destroy();
            resolve(data);
          }
        });
        c.on('error', reject);
        setTimeout(() => resolve(data), 5000);
      });
      assert.equal(got, 'HTTP/1.1 200 OK');
    } finally {
      forward.dispose();
    }
  });
});

// A copy restarting after a save refuses for a moment; with retryRefusedMs the forward sends the
// same bytes on a new tunnel once the port listens, and never again once the pod has answered.
describe('port forward, a refused connection', () => {
  let server: http.Server;
  let port: number;
  let tunnels = 0;
  const received: string[] = [];
  before(async () => {
    server = http.createServer();
    const wss = new WebSocketServer({ server, handleProtocols: () => 'v4.channel.k8s.io' });
    wss.on('connection', (ws) => {
      const n = ++tunnels;
      const portHeader = Buffer.from([0x90, 0x1f]);
      ws.send(Buffer.concat([Buffer.from([0]), portHeader]));
      ws.send(Buffer.concat([Buffer.from([1]), portHeader]));
      // The first three tunnels find nothing listening, as the kubelet reports it.
      if (n <= 3) {
        ws.send(
          Buffer.concat([
            Buffer.from([1]),
            Buffer.from('error forwarding port 8080 to pod p: dial tcp4 127.0.0.1:8080: connect: connection refused'),
          ]),
        );
        ws.close();
        return;
      }
      ws.on('message', (d: Buffer) => {
        received.push(d.subarray(1).toString());
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(`echo ${d.subarray(1).toString()}`)]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  it('sends what the client sent on a new tunnel once the port listens', async () => {
    const forward = await forwardTo(port, { retryRefusedMs: 10_000 });
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect(forward.localPort, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\n\r\n'));
        c.on('data', (d) => {
          c.destroy();
          resolve(d.toString());
        });
        c.on('error', reject);
        c.on('close', () => resolve('closed'));
      });
      assert.equal(got, 'echo GET / HTTP/1.1\r\n\r\n');
      assert.equal(tunnels, 4, 'three refused tunnels, then the one that answered');
      assert.deepEqual(received, ['GET / HTTP/1.1\r\n\r\n'], 'the pod received the request once');
    } finally {
      forward.dispose();
    }
  });
});
