// ClusterIP and NodePort allocation, as the Service REST storage of kube-apiserver does it
// (pkg/registry/core/service/storage/alloc.go), run as an admission step of the store.
//
// What is allocated is read from the stored Services themselves, so an allocation that fails later
// in admission (or a dry run) leaves nothing behind, and deleting a Service releases its addresses
// without any bookkeeping. The first address of the range is kept for `default/kubernetes`, as
// kube-apiserver gives the first address to that Service.

import { ApiError, type AddressBlock, type KObject, type ResourceInfo } from '../core/types';
import type { Admit, Store } from '../apiserver/store';

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

/** The Service range of a block: 127.X.128.0/17, usable 127.X.128.1 - 127.X.255.254. */
export function serviceRange(block: AddressBlock): { cidr: string; first: number; last: number; base: string } {
  return {
    cidr: `127.${block.octet}.128.0/17`,
    first: 128 * 256 + 1,
    last: 255 * 256 + 254,
    base: `127.${block.octet}`,
  };
}

function ipToOffset(ip: string, block: AddressBlock): number | undefined {
  const m = /^127\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m || Number(m[1]) !== block.octet) return undefined;
  const hi = Number(m[2]);
  const lo = Number(m[3]);
  if (hi > 255 || lo > 255) return undefined;
  return hi * 256 + lo;
}

function offsetToIp(off: number, block: AddressBlock): string {
  return `127.${block.octet}.${Math.floor(off / 256)}.${off % 256}`;
}

const needsClusterIP = (svc: KObject) => (svc.spec?.type ?? 'ClusterIP') !== 'ExternalName';
const needsNodePorts = (svc: KObject) => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';

function invalid(svc: KObject, field: string, value: string, detail: string): ApiError {
  const message = `Invalid value: ${value}: ${detail}`;
  return new ApiError(422, 'Invalid', `Service "${svc.metadata.name}" is invalid: ${field}: ${message}`, {
    name: svc.metadata.name,
    kind: 'Service',
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });
}

export function serviceAllocator(store: Store, block: AddressBlock): Admit {
  const range = serviceRange(block);
  const usedIps = (except: KObject) => {
    const used = new Set<string>();
    for (const s of store.list('services', undefined).items) {
      if (s.metadata.uid === except.metadata.uid) continue;
      for (const ip of s.spec?.clusterIPs ?? [s.spec?.clusterIP]) if (ip && ip !== 'None') used.add(ip);
    }
    return used;
  };
  const usedPorts = (except: KObject) => {
    const used = new Set<number>();
    for (const s of store.list('services', undefined).items) {
      if (s.metadata.uid === except.metadata.uid) continue;
      for (const p of s.spec?.ports ?? []) if (p.nodePort) used.add(p.nodePort);
    }
    return used;
  };

  function allocateIp(svc: KObject): void {
    const spec = svc.spec;
    const asked: string | undefined = spec.clusterIP || spec.clusterIPs?.[0] || undefined;
    const policy = spec.ipFamilyPolicy ?? 'SingleStack';
    if (policy === 'RequireDualStack')
      throw invalid(
        svc,
        'spec.ipFamilyPolicy',
        '"RequireDualStack"',
        'this cluster is not configured for dual-stack services',
      );
    (spec.ipFamilies ?? []).forEach((f: string, i: number) => {
      if (f !== 'IPv4')
        throw invalid(svc, `spec.ipFamilies[${i}]`, JSON.stringify(f), 'not configured on this cluster');
    });
    if (asked === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
    } else {
      let ip: string;
      const used = usedIps(svc);
      if (asked) {
        const off = ipToOffset(asked, block);
        const shown = JSON.stringify(spec.clusterIPs?.length ? spec.clusterIPs : [asked]);
        if (off === undefined || off < range.first || off > range.last) {
          throw invalid(
            svc,
            'spec.clusterIPs',
            shown,
            `failed to allocate IP ${asked}: the provided IP (${asked}) is not in the valid range. The range of valid IPs is ${range.cidr}`,
          );
        }
        if (used.has(asked))
          throw invalid(
            svc,
            'spec.clusterIPs',
            shown,
            `failed to allocate IP ${asked}: provided IP is already allocated`,
          );
        ip = asked;
      } else {
        const isKubernetes = svc.metadata.namespace === 'default' && svc.metadata.name === 'kubernetes';
        let off = isKubernetes ? range.first : range.first + 1;
        while (off <= range.last && used.has(offsetToIp(off, block))) off++;
        if (off > range.last)
          throw new ApiError(
            500,
            'InternalError',
            `Internal error occurred: failed to allocate a serviceIP: range is full`,
          );
        ip = offsetToIp(off, block);
      }
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    }
    spec.ipFamilies = ['IPv4'];
    spec.ipFamilyPolicy = policy;
  }

  function allocateNodePorts(svc: KObject, old: KObject | undefined): void {
    const used = usedPorts(svc);
    const ports = (svc.spec.ports ?? []) as { name?: string; port: number; nodePort?: number }[];
    const taken = new Set<number>();
    ports.forEach((p, i) => {
      if (!p.nodePort && old) {
        // As patchAllocatedValues: an update that omits a nodePort keeps the one already given (matched by port name).
        const prev = (old.spec?.ports ?? []).find(
          (q: { name?: string; port: number; nodePort?: number }) => (q.name ?? '') === (p.name ?? '') && q.nodePort,
        );
        if (prev) p.nodePort = prev.nodePort;
      }
      if (p.nodePort) {
        const field = `spec.ports[${i}].nodePort`;
        if (p.nodePort < NODE_PORT_MIN || p.nodePort > NODE_PORT_MAX) {
          throw invalid(
            svc,
            field,
            String(p.nodePort),
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
          );
        }
        if (used.has(p.nodePort) || taken.has(p.nodePort))
          throw invalid(svc, field, String(p.nodePort), 'provided port is already allocated');
        taken.add(p.nodePort);
      }
    });
    for (const p of ports) {
      if (p.nodePort) continue;
      const span = NODE_PORT_MAX - NODE_PORT_MIN + 1;
      const start = Math.floor(Math.random() * span);
      let found: number | undefined;
      for (let k = 0; k < span; k++) {
        const cand = NODE_PORT_MIN + ((start + k) % span);
        if (!used.has(cand) && !taken.has(cand)) {
          found = cand;
          break;
        }
      }
      if (found === undefined)
        throw new ApiError(
          500,
          'InternalError',
          'Internal error occurred: failed to allocate a nodePort: range is full',
        );
      p.nodePort = found;
      taken.add(found);
    }
  }

  return (op, info: ResourceInfo, obj, old) => {
    if (info.key !== 'services' || op === 'delete') return;
    obj.spec = obj.spec ?? {};
    const spec = obj.spec;
    if (op === 'update' && old && needsClusterIP(old) && needsClusterIP(obj)) {
      const oldIps: string[] = old.spec?.clusterIPs ?? (old.spec?.clusterIP ? [old.spec.clusterIP] : []);
      // As the real server: an update that leaves clusterIP(s) empty keeps the allocated ones.
      if (!spec.clusterIP && !spec.clusterIPs?.length) {
        spec.clusterIP = old.spec?.clusterIP;
        spec.clusterIPs = oldIps;
      } else if (!spec.clusterIPs?.length)
        spec.clusterIPs = spec.clusterIP === old.spec?.clusterIP ? oldIps : [spec.clusterIP];
      else if (!spec.clusterIP) spec.clusterIP = spec.clusterIPs[0];
      if (oldIps.length && (spec.clusterIPs[0] !== oldIps[0] || spec.clusterIP !== oldIps[0])) {
        throw invalid(obj, 'spec.clusterIPs[0]', JSON.stringify(spec.clusterIPs), 'may not change once set');
      }
      spec.ipFamilies = spec.ipFamilies ?? old.spec?.ipFamilies ?? ['IPv4'];
      spec.ipFamilyPolicy = spec.ipFamilyPolicy ?? old.spec?.ipFamilyPolicy ?? 'SingleStack';
    } else if (needsClusterIP(obj)) {
      allocateIp(obj);
    } else {
      // ExternalName: no address. Turning a ClusterIP Service into one releases its address.
      delete spec.clusterIP;
      delete spec.clusterIPs;
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
    }
    if (needsNodePorts(obj)) allocateNodePorts(obj, op === 'update' ? old : undefined);
    else {
      const wasNodePorts = op === 'update' && old && needsNodePorts(old);
      (spec.ports ?? []).forEach((p: { nodePort?: number }, i: number) => {
        if (!p.nodePort) return;
        // Leaving NodePort/LoadBalancer releases the node ports; asking for one on another type is refused.
        if (wasNodePorts) delete p.nodePort;
        else {
          const field = `spec.ports[${i}].nodePort`;
          const message = `Forbidden: may not be used when \`type\` is '${spec.type ?? 'ClusterIP'}'`;
          throw new ApiError(422, 'Invalid', `Service "${obj.metadata.name}" is invalid: ${field}: ${message}`, {
            name: obj.metadata.name,
            kind: 'Service',
            causes: [{ reason: 'FieldValueForbidden', message, field }],
          });
        }
      });
    }
  };
}
