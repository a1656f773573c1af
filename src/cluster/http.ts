// Plain HTTP(S) requests to one context's API server, with the context's TLS settings and
// credentials applied by client-node (`applyToHTTPSOptions`, which also runs exec plugins and
// refreshes OIDC tokens). We read raw JSON rather than client-node's generated classes so that
// listed and watched objects have one shape, and so that errors keep the server's own words.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ClusterError,
  classifyError,
  credentialError,
  type ErrorContext,
  fromHttpStatus,
  type StatusBody,
} from '../core/errors';

export interface Target {
  server: string;
  user: string;
  credentialPlugin?: string;
}

export class KubeHttp {
  constructor(
    private readonly kc: KubeConfig,
    readonly target: Target,
  ) {}

  errorContext(action: string): ErrorContext {
    return {
      action,
      server: this.target.server,
      user: this.target.user,
      credentialPlugin: this.target.credentialPlugin,
    };
  }

  /** TLS material, auth headers and agent for one request. Credential failures become ClusterErrors. */
  async requestOptions(action: string): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    try {
      await this.kc.applyToHTTPSOptions(opts);
    } catch (err) {
      throw this.optionsError(err, action);
    }
    return opts;
  }

  private optionsError(err: unknown, action: string): ClusterError {
    const syscall = (err as { syscall?: unknown }).syscall;
    const file = (err as { path?: unknown }).path;
    if (typeof syscall === 'string' && !syscall.startsWith('spawn') && typeof file === 'string') {
      return new ClusterError(
        'config',
        `Cannot read "${file}", which the kubeconfig names for ${this.target.user ? `user "${this.target.user}"` : 'this context'} (${(err as Error).message})`,
        'Fix the path in the kubeconfig, then Retry.',
        undefined,
        { cause: err },
      );
    }
    if (this.target.credentialPlugin) return credentialError(err, this.errorContext(action));
    const message = err instanceof Error ? err.message : String(err);
    return new ClusterError(
      'config',
      `Cannot use this context to ${action}: ${message}`,
      'Check the kubeconfig entry for this context.',
      undefined,
      {
        cause: err,
      },
    );
  }

  /** GET that answers 200 with a body to stream; any other status becomes a ClusterError. */
  async get(path: string, action: string, signal: AbortSignal): Promise<http.IncomingMessage> {
    const opts = await this.requestOptions(action);
    signal.throwIfAborted();
    const url = new URL(this.target.server.replace(/\/+$/, '') + path);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        { ...opts, method: 'GET', signal, headers: { ...opts.headers, Accept: 'application/json' } },
        (res) => {
          if (res.statusCode === 200) {
            // Long log and watch streams cross proxies that drop idle TCP connections.
            res.socket?.setKeepAlive(true, 30_000);
            resolve(res);
            return;
          }
          readAll(res)
            .then((text) => reject(fromHttpStatus(res.statusCode ?? 0, parseStatus(text), this.errorContext(action))))
            .catch((err) => reject(classifyError(err, this.errorContext(action))));
        },
      );
      req.on('error', (err) => reject(classifyError(err, this.errorContext(action))));
      req.end();
    });
  }

  async getJson<T>(path: string, action: string, signal: AbortSignal): Promise<T> {
    const res = await this.get(path, action, signal);
    const text = await readAll(res).catch((err) => {
      throw classifyError(err, this.errorContext(action));
    });
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ClusterError(
        'server',
        `The API server sent something that is not JSON while trying to ${action}`,
        'Check the server address in the kubeconfig.',
      );
    }
  }
}

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A write (or any non-GET) with a JSON body; 2xx answers are parsed, others become ClusterErrors. */
export async function sendJson<T>(
  client: KubeHttp,
  method: WriteMethod,
  path: string,
  body: unknown,
  contentType: string,
  action: string,
  signal: AbortSignal,
): Promise<T> {
  const opts = await client.requestOptions(action);
  signal.throwIfAborted();
  const url = new URL(client.target.server.replace(/\/+$/, '') + path);
  const mod = url.protocol === 'https:' ? https : http;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = {
    ...opts.headers,
    Accept: 'application/json',
    ...(payload ? { 'Content-Type': contentType, 'Content-Length': String(payload.length) } : {}),
  };
  return new Promise<T>((resolve, reject) => {
    const req = mod.request(url, { ...opts, method, signal, headers }, (res) => {
      readAll(res).then(
        (text) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300)
            return reject(fromHttpStatus(status, parseStatus(text), client.errorContext(action)));
          try {
            resolve((text ? JSON.parse(text) : {}) as T);
          } catch {
            reject(
              new ClusterError(
                'server',
                `The API server sent something that is not JSON while trying to ${action}`,
                'Check the server address in the kubeconfig.',
              ),
            );
          }
        },
        (err) => reject(classifyError(err, client.errorContext(action))),
      );
    });
    req.on('error', (err) => reject(classifyError(err, client.errorContext(action))));
    req.end(payload);
  });
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseStatus(text: string): StatusBody | undefined {
  try {
    const body = JSON.parse(text) as StatusBody;
    return typeof body === 'object' && body !== null ? body : undefined;
  } catch {
    return text.trim() ? { message: text.trim().slice(0, 300) } : undefined;
  }
}
