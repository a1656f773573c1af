// Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
// kubectl's typed clients send (`kubectl create namespace|configmap|deployment|...`,
// `kubectl auth can-i`), into the JSON form of the same object. The envelope is the "k8s\0"
// magic followed by a runtime.Unknown {typeMeta, raw}; raw is the object's message, read with
// the field numbers of proto-schema.ts. Answers stay JSON (kubectl accepts JSON too).

import { ApiError } from '../../core/types';
import { PROTO_SCHEMA } from './proto-schema';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Fields that are pointers in Go: present means set, so a zero is kept. */
const ZERO_MATTERS = new Set([
  'replicas',
  'revisionHistoryLimit',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
  'defaultMode',
  'mode',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'progressDeadlineSeconds',
  'immutable',
  'automountServiceAccountToken',
  'optional',
  'readOnlyRootFilesystem',
  'privileged',
  'allowPrivilegeEscalation',
  'runAsNonRoot',
  'enableServiceLinks',
  'gracePeriodSeconds',
  'orphanDependents',
  'ready',
  'serving',
  'terminating',
  'leaseDurationSeconds',
  'leaseTransitions',
  'priority',
  'shareProcessNamespace',
  'hostUsers',
  'setHostnameAsFQDN',
  'controller',
  'blockOwnerDeletion',
  'allocateLoadBalancerNodePorts',
  'publishNotReadyAddresses',
  'expirationSeconds',
  'tolerationSeconds',
]);

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end = buf.length,
  ) {}
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.end) throw new Error('truncated bytes');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function scalar(type: string, r: Reader, wire: number): unknown {
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'uint32':
    case 'uint64':
      return Number(r.varint());
    case 'double': {
      const v = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
    case 'float': {
      const v = r.buf.readFloatLE(r.pos);
      r.pos += 4;
      return v;
    }
    default:
      void wire;
      throw new Error(`unsupported scalar type ${type}`);
  }
}

function timeString(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

function special(type: string, buf: Buffer): unknown {
  const m = decodeMessageRaw(buf);
  switch (type) {
    case 'apimachinery.pkg.apis.meta.v1.Time':
    case 'apimachinery.pkg.apis.meta.v1.MicroTime': {
      const s = Number(m.get(1) ?? 0n);
      const n = Number(m.get(2) ?? 0n);
      if (s === 0 && n === 0) return undefined;
      return timeString(s, n, type.endsWith('MicroTime'));
    }
    case 'apimachinery.pkg.util.intstr.IntOrString':
      return Number(m.get(1) ?? 0n) === 1
        ? ((m.get(3) as Buffer | undefined)?.toString('utf8') ?? '')
        : Number(BigInt.asIntN(32, (m.get(2) as bigint | undefined) ?? 0n));
    case 'apimachinery.pkg.api.resource.Quantity':
      return (m.get(1) as Buffer | undefined)?.toString('utf8') ?? '0';
    case 'apimachinery.pkg.apis.meta.v1.FieldsV1': {
      const raw = m.get(1) as Buffer | undefined;
      return raw ? JSON.parse(raw.toString('utf8')) : {};
    }
    case 'apimachinery.pkg.apis.meta.v1.Duration': {
      const ns = Number(m.get(1) ?? 0n);
      return `${ns / 1e9}s`;
    }
  }
  return undefined;
}

/** The last value of each field of a small message (for the special types). */
function decodeMessageRaw(buf: Buffer): Map<number, bigint | Buffer> {
  const r = new Reader(buf);
  const out = new Map<number, bigint | Buffer>();
  while (r.pos < r.end) {
    const tag = Number(r.varint());
    const wire = tag & 7;
    const num = tag >>> 3;
    if (wire === 0) out.set(num, r.varint());
    else if (wire === 2) out.set(num, r.bytes());
    else r.skip(wire);
  }
  return out;
}

const isZero = (v: unknown) => v === '' || v === 0 || v === false;

function decodeValue(type: string, r: Reader, wire: number, path: string): unknown {
  if (PROTO_SCHEMA[type]) return decodeMessage(type, r.bytes(), path);
  if (type.includes('.')) return special(type, r.bytes());
  return scalar(type, r, wire);
}

function decodeMessage(type: string, buf: Buffer, path: string): Record<string, unknown> {
  const schema = PROTO_SCHEMA[type];
  if (!schema) throw new Error(`no schema for ${type}`);
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = Number(r.varint());
    const wire = tag & 7;
    const num = tag >>> 3;
    const f = schema[num];
    if (!f) {
      r.skip(wire);
      continue;
    }
    const [name, ftype, flags = ''] = f;
    const at = path ? `${path}.${name}` : name;
    if (flags.includes('m')) {
      const entry = new Reader(r.bytes());
      let key = '';
      let value: unknown = ftype === 'bytes' ? '' : ftype === 'string' ? '' : undefined;
      while (entry.pos < entry.end) {
        const t = Number(entry.varint());
        if (t >>> 3 === 1) key = entry.bytes().toString('utf8');
        else if (t >>> 3 === 2) value = decodeValue(ftype, entry, t & 7, `${at}[${key}]`);
        else entry.skip(t & 7);
      }
      const map = (out[name] ??= {}) as Record<string, unknown>;
      map[key] = value;
      continue;
    }
    if (flags.includes('r')) {
      const list = (out[name] ??= []) as unknown[];
      if (wire === 2 && !PROTO_SCHEMA[ftype] && !ftype.includes('.') && ftype !== 'string' && ftype !== 'bytes') {
        const packed = new Reader(r.bytes());
        while (packed.pos < packed.end) list.push(scalar(ftype, packed, 0));
      } else {
        const v = decodeValue(ftype, r, wire, at);
        if (v !== undefined) list.push(v);
      }
      continue;
    }
    const v = decodeValue(ftype, r, wire, at);
    if (v === undefined) continue;
    if (flags.includes('o') && isZero(v) && !ZERO_MATTERS.has(name)) continue;
    out[name] = v;
  }
  return out;
}

const GROUP_PACKAGE: Record<string, string> = {
  '': 'api.core',
  apps: 'api.apps',
  'rbac.authorization.k8s.io': 'api.rbac',
  'authorization.k8s.io': 'api.authorization',
  'authentication.k8s.io': 'api.authentication',
  'coordination.k8s.io': 'api.coordination',
  'discovery.k8s.io': 'api.discovery',
  policy: 'api.policy',
  autoscaling: 'api.autoscaling',
  'meta.k8s.io': 'apimachinery.pkg.apis.meta',
};

function unsupported(message: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `${message}; nothing was changed. Send the object as JSON (application/json) instead`,
  );
}

/** The JSON object a protobuf request body carries. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw unsupported('the protobuf body does not start with the Kubernetes "k8s\\0" envelope');
  let unknown: Map<number, bigint | Buffer>;
  try {
    unknown = decodeMessageRaw(body.subarray(4));
  } catch (e) {
    throw unsupported(`the protobuf envelope could not be read: ${(e as Error).message}`);
  }
  const typeMeta = decodeMessageRaw((unknown.get(1) as Buffer | undefined) ?? Buffer.alloc(0));
  const apiVersion = (typeMeta.get(1) as Buffer | undefined)?.toString('utf8') ?? '';
  const kind = (typeMeta.get(2) as Buffer | undefined)?.toString('utf8') ?? '';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = GROUP_PACKAGE[kind === 'DeleteOptions' ? 'meta.k8s.io' : group];
  const type = pkg ? `${pkg}.${version}.${kind}` : '';
  if (!PROTO_SCHEMA[type])
    throw unsupported(`the sandbox API server cannot decode ${kind} (${apiVersion}) from protobuf`);
  try {
    const obj = decodeMessage(type, (unknown.get(2) as Buffer | undefined) ?? Buffer.alloc(0), '');
    return { apiVersion, kind, ...obj };
  } catch (e) {
    throw unsupported(`the protobuf ${kind} could not be decoded: ${(e as Error).message}`);
  }
}
