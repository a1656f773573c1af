// Small HTTP helpers: JSON answers, Status errors, request bodies.

import type * as http from 'node:http';
import { ApiError, type KObject } from '../core/types';

export const MAX_BODY = 3 * 1024 * 1024; // the real server's limit for a request body

export function sendJson(
  res: http.ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, err: unknown): void {
  sendJson(res, errorCode(err), toStatus(err));
}

export function toStatus(err: unknown): KObject {
  if (err instanceof ApiError) return err.status();
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`).status();
}

export function errorCode(err: unknown): number {
  return err instanceof ApiError ? err.code : 500;
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(
          new ApiError(
            413,
            'RequestEntityTooLarge',
            `the request body is larger than ${MAX_BODY} bytes; nothing was changed`,
          ),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parses a JSON (or YAML-free) body; an unparsable one is a 400 as on a real server. */
export function parseJson(body: Buffer, what = 'request body'): unknown {
  const text = body.toString('utf8');
  if (!text.trim()) throw badRequest(`the ${what} is empty`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the ${what} is not valid JSON: ${(e as Error).message}`);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
