// Installs the API server's admission on the store: defaulting (mutating) first, then the schema
// and semantic validation. Other components append their own hooks after these (the Service
// network allocates ClusterIPs), as admission plugins run in a fixed order on a real server.

import type { ResourceInfo } from '../../core/types';
import { hasStatus } from '../registry';
import type { Store } from '../store';
import { defaultObject, defaultPodOnCreate } from './defaults';
import { invalid } from './fielderrors';
import { schemaErrors } from './schema';
import { objectErrors, updateErrors } from './semantic';

export function installAdmission(store: Store, o: { nodeName: string }): void {
  store.admit.push((op, info, obj, old, opts) => {
    if (op === 'delete') return;
    if (op === 'create') {
      // Status is not the client's to set on create (PrepareForCreate), except a Node's (the kubelet registers it).
      if (hasStatus(info) && info.key !== 'nodes' && info.key !== 'namespaces') delete obj.status;
      if (info.key === 'pods') defaultPodOnCreate(obj, o.nodeName);
    }
    defaultObject(info.key, obj, op);
    validate(info, obj, op === 'update' ? old : undefined, opts.subresource);
  });
}

export function validate(info: ResourceInfo, obj: Parameters<typeof objectErrors>[1], old: Parameters<typeof objectErrors>[1] | undefined, subresource?: string): void {
  const errs = schemaErrors(info.key, obj);
  if (errs.length === 0) errs.push(...objectErrors(info.key, obj));
  if (old) errs.push(...updateErrors(info.key, obj, old, subresource));
  if (errs.length) throw invalid(info, obj.metadata.name ?? '', errs);
}
