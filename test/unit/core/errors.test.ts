import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DevlaneError } from '../../../src/core/error-base';
import { ClusterError, classifyError, credentialError } from '../../../src/core/errors';
import { SessionError } from '../../../src/core/session/errors';
import { DebugError } from '../../../src/debug/errors';
import { redact } from '../../../src/core/logger';

const ctx = { action: 'list namespaces', server: 'https://k.example:6443', user: 'alice' };

describe('classifyError', () => {
  it('finds a refused connection in a wrapped cause', () => {
    const err = new Error('request failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const e = classifyError(err, ctx);
    assert.equal(e.kind, 'unreachable');
    assert.match(
      e.message,
      /Cannot reach https:\/\/k\.example:6443 \(connection refused\) while trying to list namespaces/,
    );
    assert.match(e.hint, /VPN/);
  });

  it('names TLS problems', () => {
    const e = classifyError(
      Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      ctx,
    );
    assert.equal(e.kind, 'tls');
    assert.match(e.hint, /certificate-authority/);
  });

  it('reads 401 as expired credentials and points at the login plugin', () => {
    const e = classifyError(Object.assign(new Error('Unauthorized'), { statusCode: 401 }), {
      ...ctx,
      credentialPlugin: 'exec plugin "aws"',
    });
    assert.equal(e.kind, 'unauthorized');
    assert.match(e.message, /user "alice"/);
    assert.match(e.hint, /exec plugin "aws"/);
  });

  it("keeps the server's words for 403", () => {
    const body = {
      kind: 'Status',
      message: 'namespaces is forbidden: User "alice" cannot list resource "namespaces"',
      code: 403,
    };
    const e = classifyError(Object.assign(new Error('Forbidden'), { statusCode: 403, body }), ctx);
    assert.equal(e.kind, 'forbidden');
    assert.match(e.message, /cannot list resource "namespaces"/);
  });

  it('passes ClusterErrors through', () => {
    const original = new ClusterError('gone', 'x', 'y');
    assert.equal(classifyError(original, ctx), original);
  });
});

describe('credentialError', () => {
  it("shows the plugin's own message with its name", () => {
    const e = credentialError(new Error('error: token expired, run `aws sso login`\n'), {
      ...ctx,
      credentialPlugin: 'exec plugin "aws"',
    });
    assert.equal(e.kind, 'credentials');
    assert.match(e.message, /^exec plugin "aws" failed: error: token expired, run `aws sso login`/);
  });

  it('says when the plugin is not installed', () => {
    const e = credentialError(Object.assign(new Error('spawn kubelogin ENOENT'), { code: 'ENOENT' }), {
      ...ctx,
      credentialPlugin: 'exec plugin "kubelogin"',
    });
    assert.match(e.message, /exec plugin "kubelogin" was not found on PATH/);
  });
});

describe('redact', () => {
  it('masks tokens, passwords and keys in log lines', () => {
    const line = redact(
      'GET /api Authorization: Bearer eyJhbGciOi.abc.def token=s3cr3t password: hunter2 client-key-data: LS0tLS1',
    );
    assert.doesNotMatch(line, /eyJhbGciOi|s3cr3t|hunter2|LS0tLS1/);
    assert.match(line, /Bearer <redacted>/);
  });

  it('masks PEM blocks', () => {
    assert.equal(
      redact('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----'),
      '<redacted PEM block>',
    );
  });

  it('leaves ordinary text alone', () => {
    assert.equal(redact('listed 12 pods in namespace "shop"'), 'listed 12 pods in namespace "shop"');
  });
});

describe('one error base', () => {
  const cause = new Error('socket closed');
  const errors = [
    new ClusterError('server', 'The API server answered 500', 'Devlane retries by itself', 500, {
      cause,
      cliHint: 'Run it again',
    }),
    new SessionError('failed', 'The copy did not start', 'Nothing was left behind', {}, { cause }),
    new DebugError('tunnel', 'The tunnel closed', 'Start debugging again', { cause }),
  ];

  it('cluster, session and debug errors are DevlaneErrors with message, hint, full text and cause', () => {
    for (const e of errors) {
      assert.ok(e instanceof DevlaneError, e.name);
      assert.equal(e.full, `${e.message}. ${e.hint}`);
      assert.equal(e.cause, cause);
    }
  });

  it('the CLI reads its own hint where there is one, else the same text', () => {
    assert.equal(errors[0].fullOn('cli'), 'The API server answered 500. Run it again');
    assert.equal(errors[1].fullOn('cli'), errors[1].full);
  });

  it('without a hint, the full text is the message alone', () => {
    assert.equal(new SessionError('invalid', 'Unknown command "x"', '').full, 'Unknown command "x"');
  });
});
