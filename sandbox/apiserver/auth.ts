// Bearer-token authentication: three static tokens per instance, as a token file would give a
// real kube-apiserver. The admin is in system:masters (unrestricted); the developers are plain
// authenticated users that RBAC alone empowers.

import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import type { UserInfo } from '../core/types';

export interface Tokens {
  admin: string;
  alice: string;
  bob: string;
}

export function newTokens(): Tokens {
  const t = () => randomBytes(24).toString('base64url');
  return { admin: t(), alice: t(), bob: t() };
}

export class Authenticator {
  private readonly users = new Map<string, UserInfo>();

  constructor(tokens: Tokens) {
    this.users.set(tokens.admin, { name: 'admin', groups: ['system:masters', 'system:authenticated'] });
    this.users.set(tokens.alice, { name: 'alice', groups: ['system:authenticated'] });
    this.users.set(tokens.bob, { name: 'bob', groups: ['system:authenticated'] });
  }

  /** The user behind the request, or undefined (answered 401 by the caller). */
  authenticate(req: http.IncomingMessage): UserInfo | undefined {
    const h = req.headers.authorization;
    let token: string | undefined;
    if (h) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
      token = m?.[1];
    } else {
      // Browsers cannot set headers on a WebSocket; Kubernetes accepts the token as a subprotocol.
      const protos = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((s) => s.trim());
      const p = protos.find((s) => s.startsWith('base64url.bearer.authorization.k8s.io.'));
      if (p)
        token = Buffer.from(p.slice('base64url.bearer.authorization.k8s.io.'.length), 'base64url').toString('utf8');
    }
    if (!token) return undefined;
    return this.users.get(token);
  }
}
