// Following one container's log over the API server's log endpoint (GET .../pods/P/log?follow=true).
// Timestamps are always requested: they are how a reconnect resumes without repeating lines.
import type { LogRequest } from './api';
import type { KubeHttp } from './http';
import { classifyError } from '../core/errors';

export async function followLog(
  http: KubeHttp,
  req: LogRequest,
  onChunk: (chunk: Buffer) => void,
  signal: AbortSignal,
): Promise<void> {
  const query = new URLSearchParams({ container: req.container, follow: 'true', timestamps: 'true' });
  if (req.sinceTime) query.set('sinceTime', req.sinceTime);
  else if (req.tailLines !== undefined) query.set('tailLines', String(req.tailLines));
  const path = `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/log?${query}`;
  const action = `follow the log of ${req.pod}/${req.container}`;
  const res = await http.get(path, action, signal);
  await new Promise<void>((resolve, reject) => {
    res.on('data', (chunk: Buffer) => onChunk(chunk));
    res.on('end', () => resolve());
    res.on('error', (err) => reject(signal.aborted ? signal.reason : classifyError(err, http.errorContext(action))));
    res.on('close', () => {
      // 'close' without 'end': the connection dropped mid-stream, or we aborted.
      if (!res.complete)
        reject(
          signal.aborted
            ? signal.reason
            : classifyError(
                Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }),
                http.errorContext(action),
              ),
        );
    });
  });
}
