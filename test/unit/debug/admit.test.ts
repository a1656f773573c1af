// Who the debug tunnel lets through: the editor's debugger, never a web page or another user.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { admitDebugger, debugConnectionProblem, socketOwner } from '../../../src/debug/admit';

const port = 40123;
const http = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');

describe('debug tunnel admission', () => {
  it('lets the Node inspector be asked over HTTP and WebSocket for 127.0.0.1 or localhost', () => {
    assert.equal(
      debugConnectionProblem(
        'node',
        http(['GET /json/version HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: close']),
        port,
      ),
      undefined,
    );
    assert.equal(
      debugConnectionProblem(
        'node',
        http(['GET /3f1c0b2e HTTP/1.1', `Host: localhost:${port}`, 'Upgrade: websocket', 'Connection: Upgrade']),
        port,
      ),
      undefined,
    );
    // js-debug's CDP WebSocket says `Host: localhost`, without the port.
    assert.equal(
      debugConnectionProblem(
        'node',
        http(['GET /3f1c0b2e HTTP/1.1', 'Host: localhost', 'Upgrade: websocket', 'Connection: Upgrade']),
        port,
      ),
      undefined,
    );
  });

  it('refuses web pages: another Host (DNS rebinding), another site, or not HTTP at all', () => {
    assert.match(
      debugConnectionProblem('node', http(['GET /json/list HTTP/1.1', `Host: attacker.example:${port}`]), port)!,
      /debug tunnel refused a request for Host "attacker\.example/,
    );
    assert.match(
      debugConnectionProblem(
        'node',
        http([
          'GET /3f1c0b2e HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Origin: https://evil.example',
          'Upgrade: websocket',
        ]),
        port,
      )!,
      /made by a page of https:\/\/evil\.example/,
    );
    assert.match(
      debugConnectionProblem(
        'node',
        http(['POST /json HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Sec-Fetch-Site: cross-site']),
        port,
      )!,
      /another site/,
    );
    assert.match(
      debugConnectionProblem('node', Buffer.from('Content-Length: 2\r\n\r\n{}'), port)!,
      /not an HTTP request/,
    );
  });

  it('lets only DAP reach debugpy: a browser request cannot begin like one', () => {
    assert.equal(
      debugConnectionProblem(
        'python',
        Buffer.from('Content-Length: 59\r\n\r\n{"seq":1,"type":"request","command":"initialize"}'),
        port,
      ),
      undefined,
    );
    const post = http(['POST / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: text/plain', 'Content-Length: 80']);
    assert.match(debugConnectionProblem('python', post, port)!, /does not speak DAP \(it began "POST \/ HTTP/);
  });

  it("lets only DAP reach Delve: not a browser's request, not Delve's JSON-RPC on the same port", () => {
    assert.equal(debugConnectionProblem('go', Buffer.from('Content-Length: 2\r\n\r\n{}'), port), undefined);
    const post = http(['POST / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: text/plain', 'Content-Length: 80']);
    assert.match(debugConnectionProblem('go', post, port)!, /does not speak DAP/);
    const rpc = Buffer.from('{"method":"RPCServer.Command","params":[{"name":"halt"}],"id":0}');
    assert.match(debugConnectionProblem('go', rpc, port)!, /does not speak DAP \(it began "\{\\"method/);
  });

  it('reads who owns a local socket from the kernel table, and refuses another user', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:9CBB 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 4242 1 0 20 4 30 10 -1',
    ].join('\n');
    assert.equal(socketOwner(0x9cbb, table), 1001);
    assert.equal(socketOwner(0x9cbc, table), undefined);
    assert.equal(socketOwner(1, undefined), undefined, 'no table (not Linux): cannot tell');
  });

  it(
    'knows this process as the owner of its own connection, where the system says',
    { skip: process.platform === 'linux' ? false : 'reads /proc/net/tcp' },
    async () => {
      const server = net.createServer((s) => s.destroy());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      await new Promise((r) => client.once('connect', r));
      try {
        assert.equal(socketOwner(client.localPort!), process.getuid!());
        const request = http(['GET /json/version HTTP/1.1', `Host: 127.0.0.1:${port}`]);
        assert.equal(admitDebugger('node', () => port)(request, client.localPort!), undefined);
        assert.match(
          admitDebugger('node', () => port, process.getuid!() + 1)(request, client.localPort!)!,
          /another user of this machine/,
        );
      } finally {
        client.destroy();
        server.close();
      }
    },
  );
});
