// Discovery documents (legacy, unaggregated: kubectl and client-node fall back to them when the
// server does not answer the aggregated format), and the minimal OpenAPI v3 that kubectl 1.32
// reads to learn that the server validates fields itself (so `kubectl apply` needs no
// client-side schema and no --validate=false).

import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../core/types';
import { supportedPatchTypes } from './patch/apply';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-devlane-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The subresources as discovery lists them: kind and verbs differ from the parent's. */
const SUBRESOURCE: Record<string, { kind?: string; verbs: string[]; group?: string; version?: string }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  log: { verbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
  finalize: { verbs: ['update'] },
};

function groupVersions(resources: ResourceInfo[]): Map<string, ResourceInfo[]> {
  const m = new Map<string, ResourceInfo[]>();
  for (const r of resources) {
    const gv = r.group ? `${r.group}/${r.version}` : r.version;
    if (!m.has(gv)) m.set(gv, []);
    m.get(gv)!.push(r);
  }
  return m;
}

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroup(resources: ResourceInfo[], group: string): unknown | undefined {
  const versions = [...new Set(resources.filter((r) => r.group === group).map((r) => r.version))];
  if (!group || versions.length === 0) return undefined;
  const v = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: v, preferredVersion: v[0] };
}

export function apiGroupList(resources: ResourceInfo[]): unknown {
  const groups = [...new Set(resources.filter((r) => r.group).map((r) => r.group))];
  const list = groups.map((g) => {
    const a = apiGroup(resources, g) as Record<string, unknown>;
    return { name: a.name, versions: a.versions, preferredVersion: a.preferredVersion };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: list };
}

export function apiResourceList(resources: ResourceInfo[], group: string, version: string): unknown | undefined {
  const gv = group ? `${group}/${version}` : version;
  const rs = groupVersions(resources).get(gv);
  if (!rs) return undefined;
  const out: unknown[] = [];
  for (const r of rs) {
    out.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
      storageVersionHash: createHash('sha256').update(`${gv}/${r.kind}`).digest('base64').slice(0, 11),
    });
    for (const s of r.subresources) {
      const d = SUBRESOURCE[s] ?? { verbs: ['get'] };
      out.push({
        name: `${r.resource}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(d.group ? { group: d.group, version: d.version } : {}),
        kind: d.kind ?? r.kind,
        verbs: d.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: out };
}

// ---- OpenAPI v3 ----

function gvPath(r: ResourceInfo): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

/** One document per group-version, listing each resource's object path with a PATCH operation. */
export function openapiV3Doc(resources: ResourceInfo[], path: string): unknown | undefined {
  const rs = resources.filter((r) => gvPath(r) === path);
  if (rs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const queryParam = (name: string, description: string) => ({
    name,
    in: 'query',
    description,
    schema: { type: 'string', uniqueItems: true },
  });
  for (const r of rs) {
    const base = `/${gvPath(r)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}/{name}`;
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const body = (types: string[]) => ({
      content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'object' } }])),
      required: true,
    });
    const params = [
      queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
      queryParam(
        'fieldManager',
        'fieldManager is a name associated with the actor or entity that is making these changes.',
      ),
      queryParam(
        'fieldValidation',
        'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
      ),
    ];
    const op = (action: string, types?: string[]) => ({
      description: `${action} the specified ${r.kind}`,
      operationId: `${action}${r.kind}`,
      parameters: params,
      ...(types ? { requestBody: body(types) } : {}),
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    });
    paths[base] = {
      get: op('get'),
      put: op('put', ['*/*']),
      // Strategic merge patch is deliberately not listed: kubectl then computes its apply patch
      // from its compiled-in types (which carry the merge keys) instead of from schemas we lack.
      patch: op(
        'patch',
        supportedPatchTypes(r).filter((t) => !t.includes('strategic')),
      ),
      delete: op('delete', ['*/*']),
      parameters: [
        { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
        ...(r.namespaced
          ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }]
          : []),
      ],
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}

export function openapiV3Index(resources: ResourceInfo[]): unknown {
  const paths: Record<string, unknown> = {};
  for (const p of new Set(resources.map(gvPath))) {
    const hash = createHash('sha512')
      .update(JSON.stringify(openapiV3Doc(resources, p)))
      .digest('hex')
      .toUpperCase()
      .slice(0, 128);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
  }
  return { paths };
}

// ---- OpenAPI v2 ----

/**
 * A valid Swagger 2.0 document with no paths and no definitions. kubectl's client-side validation
 * reads /openapi/v2 for a `kind: List` (and refuses the apply when it is missing); with no
 * definitions it finds no schema for the items and leaves their validation to the server, which
 * validates every write. It also leaves `kubectl apply`'s strategic merge patches alone: kubectl
 * takes patch metadata from an OpenAPI v2 schema only when it finds one for the kind, so it keeps
 * using its compiled-in types.
 */
export function openapiV2Json(): unknown {
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths: {},
    definitions: {},
  };
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** The same document as the protobuf `openapi.v2.Document` client-go asks for (swagger = 1, info = 2 {title = 1, version = 2}, paths = 8). */
export function openapiV2Protobuf(): Buffer {
  const field = (num: number, payload: Buffer) =>
    Buffer.concat([Buffer.from([(num << 3) | 2]), varint(payload.length), payload]);
  const str = (num: number, s: string) => field(num, Buffer.from(s, 'utf8'));
  const info = Buffer.concat([str(1, 'Kubernetes'), str(2, SERVER_VERSION.gitVersion)]);
  return Buffer.concat([str(1, '2.0'), field(2, info), field(8, Buffer.alloc(0))]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
