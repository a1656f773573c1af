// The sandbox's kube-apiserver: HTTPS on loopback with its own CA, bearer tokens, RBAC,
// discovery, REST with watch, and the streaming pod subresources handed to the node agent.
// startApiServer also installs what a real control plane adds around the store: admission
// (defaults, the instant scheduler, validation), bootstrap objects, the garbage collector and
// the namespace lifecycle controller.

import * as https from 'node:https';
import type * as http from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ApiError, type Fault, type PodStreams, type ResourceInfo, type UserInfo } from '../core/types';
import { installAdmission } from './admission';
import { Authenticator, newTokens, type Tokens } from './auth';
import { bootstrap } from './bootstrap';
import { loadOrCreateCerts } from './certs';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  OPENAPI_V2_PROTOBUF,
  openapiV2Json,
  openapiV2Protobuf,
  openapiV3Doc,
  openapiV3Index,
  SERVER_VERSION,
} from './discovery';
import { startGarbageCollector } from './gc';
import { errorCode, isObject, parseJson, readBody, sendError, sendJson, toStatus } from './http';
import { startNamespaceController } from './namespaces';
import { forbidden, RbacAuthorizer, type Attributes } from './rbac';
import { VIRTUAL } from './registry';
import { requestInfo, type RequestInfo } from './requestinfo';
import * as rest from './rest';
import { selfSubjectAccessReview, selfSubjectReview, selfSubjectRulesReview } from './reviews';
import type { Store } from './store';
import * as sub from './subresources';
import { serveWatch, WatchHub, type WatchSettings } from './watch';

export interface ApiServer {
  url: string; // https://127.0.0.1:PORT
  caCertPem: string;
  tokens: { admin: string; alice: string; bob: string };
  close(): Promise<void>;
}

export interface ApiServerOptions {
  store: Store;
  pods: PodStreams;
  stateDir: string;
  onFault: (f: Fault) => void | Promise<void>;
  nodeName: string;
  /** How often a watch that allows bookmarks gets one (default 10 s). */
  bookmarkIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const { store } = o;
  const certs = await loadOrCreateCerts(join(o.stateDir, 'pki'));
  const tokens: Tokens = newTokens();
  const authn = new Authenticator(tokens);
  installAdmission(store, { nodeName: o.nodeName });
  bootstrap(store, o.nodeName);
  store.openWatchWindow();
  const authz = new RbacAuthorizer(store);
  const gc = startGarbageCollector(store);
  const nsController = startNamespaceController(store);
  const hub = new WatchHub();
  const watchSettings: WatchSettings = { bookmarkIntervalMs: o.bookmarkIntervalMs ?? 10_000, idleTimeoutMs: 0 };
  const faults = { apiDownUntil: 0, latencyMs: 0 };
  let serverAddress = '127.0.0.1:0';

  const server = https.createServer({ cert: certs.certPem, key: certs.keyPem, ca: certs.caCertPem });
  server.keepAliveTimeout = 65_000;

  function check(a: Attributes): void {
    if (!authz.authorize(a)) throw forbidden(a);
  }

  function attributes(user: UserInfo, ri: RequestInfo): Attributes {
    return {
      user,
      verb: ri.verb,
      resourceRequest: ri.resourceRequest,
      path: ri.path,
      apiGroup: ri.group,
      apiVersion: ri.version,
      resource: ri.resource,
      subresource: ri.subresource,
      namespace: ri.namespace ?? '',
      name: ri.name,
    };
  }

  async function handleFault(req: http.IncomingMessage, res: http.ServerResponse, user: UserInfo): Promise<void> {
    if (req.method !== 'POST')
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'faults are injected with POST /sandbox/v1/faults and a Fault JSON body',
      );
    if (!user.groups.includes('system:masters')) {
      throw new ApiError(
        403,
        'Forbidden',
        `forbidden: User "${user.name}" cannot inject faults: only the sandbox admin may`,
        {},
      );
    }
    const f = parseJson(await readBody(req), 'Fault') as Fault;
    if (!isObject(f) || typeof f.kind !== 'string') throw new ApiError(400, 'BadRequest', 'a Fault needs a "kind"');
    const ms = (f as { ms?: unknown }).ms;
    const needsMs = f.kind === 'api-down' || f.kind === 'latency' || f.kind === 'idle-stream-timeout';
    if (needsMs && (typeof ms !== 'number' || ms < 0))
      throw new ApiError(400, 'BadRequest', `fault "${f.kind}" needs "ms", a number >= 0`);
    switch (f.kind) {
      case 'drop-watches':
        hub.closeAll();
        break;
      case 'api-down':
        faults.apiDownUntil = Date.now() + f.ms;
        hub.closeAll();
        break;
      case 'expire-history':
        store.expireHistory();
        break;
      case 'latency':
        faults.latencyMs = f.ms;
        break;
      case 'idle-stream-timeout':
        watchSettings.idleTimeoutMs = f.ms;
        await o.onFault(f);
        break;
      default:
        await o.onFault(f);
    }
    sendJson(res, 200, { ok: true });
  }

  function nonResource(req: http.IncomingMessage, res: http.ServerResponse, ri: RequestInfo, user: UserInfo): void {
    check(attributes(user, ri));
    const p = ri.path.replace(/\/+$/, '') || '/';
    const resources = store.resources();
    const parts = p.split('/').filter(Boolean);
    if (p === '/version') return sendJson(res, 200, SERVER_VERSION);
    if (p === '/healthz' || p === '/readyz' || p === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (p === '/api') return sendJson(res, 200, apiVersions(serverAddress));
    if (p === '/apis') return sendJson(res, 200, apiGroupList(resources));
    if (parts[0] === 'api' && parts.length === 2) {
      const l = apiResourceList(resources, '', parts[1]);
      if (l) return sendJson(res, 200, l);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = apiGroup(resources, parts[1]);
      if (g) return sendJson(res, 200, g);
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const l = apiResourceList(resources, parts[1], parts[2]);
      if (l) return sendJson(res, 200, l);
    }
    if (p === '/openapi/v2') {
      if (!String(req.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF)) return sendJson(res, 200, openapiV2Json());
      const body = openapiV2Protobuf();
      // The Accept value has an '@', which Go's mime parser refuses in a Content-Type; kube-openapi answers with a '.' there.
      res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF.replace('@', '.'), 'Content-Length': body.length });
      res.end(body);
      return;
    }
    if (p === '/openapi/v3') return sendJson(res, 200, openapiV3Index(resources));
    if (parts[0] === 'openapi' && parts[1] === 'v3' && parts.length > 2) {
      const doc = openapiV3Doc(resources, parts.slice(2).join('/'));
      if (doc) return sendJson(res, 200, doc);
    }
    throw rest.notFoundResource();
  }

  function findResource(ri: RequestInfo): ResourceInfo {
    const info = store.resources().find((r) => r.group === ri.group && r.resource === ri.resource);
    if (!info || info.version !== ri.version || ri.extra.length > 0) throw rest.notFoundResource();
    if (!info.namespaced && ri.namespace && info.key !== 'namespaces') throw rest.notFoundResource();
    if (info.namespaced && ri.name && !ri.namespace) throw rest.notFoundResource();
    if (ri.subresource && !info.subresources.includes(ri.subresource)) throw rest.notFoundResource();
    return info;
  }

  async function resource(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ri: RequestInfo,
    user: UserInfo,
    query: URLSearchParams,
  ): Promise<void> {
    const info = findResource(ri);
    if (!info.verbs.includes(ri.verb) && !ri.subresource && !(ri.verb === 'watch' && info.verbs.includes('watch'))) {
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
        {},
      );
    }
    check(attributes(user, ri));
    const r: rest.RestRequest = {
      store,
      info,
      namespace: info.namespaced ? ri.namespace : undefined,
      name: ri.name,
      user,
      query,
      req,
      res,
    };
    if (VIRTUAL.has(info.key)) {
      if (ri.verb !== 'create')
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
          {},
        );
      const body = await rest.decodeBody(req);
      if (!isObject(body))
        throw new ApiError(400, 'BadRequest', `the body of the request must be a ${info.kind} object`);
      const answer = info.key.startsWith('selfsubjectaccess')
        ? selfSubjectAccessReview(authz, user, body as never)
        : info.key.startsWith('selfsubjectrules')
          ? selfSubjectRulesReview(authz, user, body as never)
          : selfSubjectReview(user, body as never);
      return sendJson(res, 201, answer);
    }
    if (ri.subresource) {
      switch (ri.subresource) {
        case 'status':
          return sub.status(r, ri.verb);
        case 'scale':
          return sub.scale(r, ri.verb);
        case 'finalize':
          return sub.finalize(r, ri.verb);
        case 'eviction':
          return sub.eviction(r, ri.verb);
        case 'log': {
          if (ri.verb !== 'get') throw sub.methodNotAllowed(r, ri.verb);
          const pod = store.get('pods', r.namespace, r.name);
          return o.pods.log(pod, query, req, res);
        }
        case 'exec':
        case 'portforward':
          store.get('pods', r.namespace, r.name);
          throw new ApiError(400, 'BadRequest', 'Upgrade request required');
        default:
          throw rest.notFoundResource();
      }
    }
    switch (ri.verb) {
      case 'get':
        return rest.get(r);
      case 'list':
        return rest.list(r);
      case 'watch':
        return serveWatch(r, hub, watchSettings);
      case 'create':
        if (ri.name)
          throw new ApiError(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
            {},
          );
        return rest.create(r);
      case 'update':
        return rest.update(r);
      case 'patch':
        return rest.patch(r);
      case 'delete':
        return rest.del(r);
      case 'deletecollection':
        return rest.deleteCollection(r);
      default:
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
          {},
        );
    }
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://sandbox');
      try {
        if (faults.latencyMs > 0 && url.pathname !== '/sandbox/v1/faults') await sleep(faults.latencyMs);
        const user = authn.authenticate(req);
        if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        refuseImpersonation(req);
        if (url.pathname === '/sandbox/v1/faults') return await handleFault(req, res, user);
        if (Date.now() < faults.apiDownUntil) {
          throw new ApiError(
            503,
            'ServiceUnavailable',
            'the server is currently unable to handle the request (the sandbox api-down fault is active)',
            { retryAfterSeconds: 1 },
          );
        }
        const ri = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
        if (!ri.resourceRequest) nonResource(req, res, ri, user);
        else await resource(req, res, ri, user, url.searchParams);
      } catch (e) {
        if (!(e instanceof ApiError)) console.error(`sandbox apiserver: ${req.method} ${req.url}:`, e);
        if (res.headersSent) res.destroy();
        else sendError(res, e);
      }
    })();
  });

  function refuseUpgrade(socket: Duplex, err: unknown): void {
    const body = JSON.stringify(toStatus(err));
    const code = errorCode(err);
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://sandbox');
      try {
        if (faults.latencyMs > 0) await sleep(faults.latencyMs);
        const user = authn.authenticate(req);
        if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        refuseImpersonation(req);
        if (Date.now() < faults.apiDownUntil)
          throw new ApiError(
            503,
            'ServiceUnavailable',
            'the server is currently unable to handle the request (the sandbox api-down fault is active)',
          );
        const ri = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
        if (
          !ri.resourceRequest ||
          ri.resource !== 'pods' ||
          (ri.subresource !== 'exec' && ri.subresource !== 'portforward')
        ) {
          throw new ApiError(
            400,
            'BadRequest',
            `the sandbox only upgrades pods/exec and pods/portforward requests to WebSocket, not ${url.pathname}`,
          );
        }
        findResource(ri);
        const a = attributes(user, ri);
        check(a);
        // As kube-apiserver 1.35 (AuthorizePodWebsocketUpgradeCreatePermission): a WebSocket GET also needs `create`.
        if (a.verb !== 'create') check({ ...a, verb: 'create' });
        const pod = store.get('pods', ri.namespace, ri.name);
        if (ri.subresource === 'exec') o.pods.exec(pod, url.searchParams, req, socket, head);
        else o.pods.portforward(pod, url.searchParams, req, socket, head);
      } catch (e) {
        if (!(e instanceof ApiError)) console.error(`sandbox apiserver: upgrade ${req.url}:`, e);
        refuseUpgrade(socket, e);
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  serverAddress = `127.0.0.1:${port}`;

  return {
    url: `https://127.0.0.1:${port}`,
    caCertPem: certs.caCertPem,
    tokens,
    async close() {
      hub.closeAll();
      gc.stop();
      nsController.stop();
      authz.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Impersonation (kubectl --as) is not implemented: refused, never silently ignored. */
function refuseImpersonation(req: http.IncomingMessage): void {
  if (Object.keys(req.headers).some((h) => h.startsWith('impersonate-'))) {
    throw new ApiError(
      403,
      'Forbidden',
      'impersonation (Impersonate-* headers, kubectl --as) is not supported by the sandbox API server; nothing was done. Use the context of the user instead (sandbox-alice, sandbox-bob)',
      {},
    );
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
