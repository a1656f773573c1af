// GET /api/v1/namespaces/NS/pods/NAME/log, as the kubelet serves it through the API server.

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type * as http from 'node:http';
import { ApiError, type KObject } from '../core/types';
import type { ContainerRunner } from './container';
import { parseLine, readLines, render, select, type LogQuery } from './logs';
import type { PodWorker } from './pod';
import type { StreamGuard } from './streams';

export function sendStatus(res: http.ServerResponse, e: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(e.status());
  res.writeHead(e.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const bad = (msg: string) => new ApiError(400, 'BadRequest', msg);

/** The container a request names, with the API's errors for a missing or unknown name. */
export function pickContainer(pod: KObject, query: URLSearchParams, includeInit = true): string {
  const name = query.get('container');
  const apps = ((pod.spec?.containers ?? []) as KObject[]).map((c) => c.name as string);
  const inits = ((pod.spec?.initContainers ?? []) as KObject[]).map((c) => c.name as string);
  const eph = ((pod.spec?.ephemeralContainers ?? []) as KObject[]).map((c) => c.name as string);
  if (!name) {
    const def = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (apps.length === 1) return apps[0];
    if (def && apps.includes(def)) return def;
    const all = [...apps];
    let msg = `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.join(' ')}]`;
    if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    throw bad(msg);
  }
  if (apps.includes(name) || (includeInit && inits.includes(name)) || eph.includes(name)) return name;
  throw bad(`container ${name} is not valid for pod ${pod.metadata.name}`);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw bad(`${name}: Invalid value: "${v}": must be an integer`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function waitingMessage(c: ContainerRunner, podName: string): string | undefined {
  const s = c.state;
  if ('waiting' in s && c.logs.length === 0) {
    const r = s.waiting.reason;
    const what = r === 'ErrImagePull' || r === 'ImagePullBackOff' ? 'trying and failing to pull image' : r;
    return `container "${c.name}" in pod "${podName}" is waiting to start: ${what}`;
  }
  return undefined;
}

export function serveLog(
  worker: PodWorker | undefined,
  pod: KObject,
  query: URLSearchParams,
  res: http.ServerResponse,
  guard: StreamGuard,
): void {
  try {
    const name = pickContainer(pod, query);
    const follow = boolParam(query, 'follow');
    const previous = boolParam(query, 'previous');
    const q: LogQuery = { timestamps: boolParam(query, 'timestamps') };
    const tail = intParam(query, 'tailLines');
    if (tail !== undefined) q.tailLines = tail;
    const since = intParam(query, 'sinceSeconds');
    const sinceTime = query.get('sinceTime');
    if (since !== undefined && sinceTime) throw bad('at most one of `sinceTime` or `sinceSeconds` may be specified');
    if (since !== undefined) {
      if (since < 1) throw bad('sinceSeconds: Invalid value: must be greater than 0');
      q.sinceMs = Date.now() - since * 1000;
    }
    if (sinceTime) {
      const t = Date.parse(sinceTime);
      if (Number.isNaN(t)) throw bad(`sinceTime: Invalid value: "${sinceTime}": parsing time as RFC3339`);
      q.sinceMs = t;
    }
    const limit = intParam(query, 'limitBytes');
    if (limit !== undefined) {
      if (limit < 1) throw bad('limitBytes: Invalid value: must be greater than 0');
      q.limitBytes = limit;
    }
    const c = worker?.containers().find((x) => x.name === name);
    if (!c) throw bad(`container "${name}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`);
    let path: string | undefined;
    let live = false;
    if (previous) {
      // The instance before the current one (the current one may itself be terminated).
      const idx = c.logs.length - 2;
      if (idx < 0) throw bad(`previous terminated container "${name}" in pod "${pod.metadata.name}" not found`);
      path = c.logs[idx];
    } else {
      const waiting = waitingMessage(c, pod.metadata.name!);
      if (waiting) throw bad(waiting);
      path = c.logs[c.logs.length - 1];
      live = c.instanceRunning;
    }
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    let budget = q.limitBytes ?? Infinity;
    const emit = (s: string): boolean => {
      if (budget <= 0) return false;
      let buf = Buffer.from(s, 'utf8');
      if (buf.length > budget) buf = buf.subarray(0, budget);
      budget -= buf.length;
      res.write(buf);
      guard.touch();
      return budget > 0;
    };
    const lines = select(readLines(path), q);
    for (const l of lines) if (!emit(render(l, q))) break;
    if (!follow || !live || budget <= 0) {
      res.end();
      return;
    }
    // Follow: read what the writer appends until this container instance ends or the pod goes.
    let offset = statSync(path).size;
    let pending = '';
    const drain = () => {
      const size = statSync(path!).size;
      if (size <= offset) return;
      const fd = openSync(path!, 'r');
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      closeSync(fd);
      offset = size;
      const text = pending + buf.toString('utf8');
      const parts = text.split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        const l = parseLine(line);
        if (l && (q.sinceMs === undefined || l.ms >= q.sinceMs) && !emit(render(l, q))) return finish();
      }
    };
    const timer = setInterval(drain, 250);
    const stopInstance = c.onInstanceEnd(() => setTimeout(finish, 50));
    const stopGuard = guard.onCut(() => res.destroy());
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      clearInterval(timer);
      stopInstance();
      stopGuard();
      guard.close();
      try {
        drain();
      } catch {
        // the pod's files are gone
      }
      if (!res.writableEnded) res.end();
    }
    res.on('close', finish);
    worker?.onFinished(finish);
  } catch (e) {
    guard.close();
    if (e instanceof ApiError) sendStatus(res, e);
    else sendStatus(res, new ApiError(500, 'InternalError', `reading logs failed: ${(e as Error).message}`));
  }
}
