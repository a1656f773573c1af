// Every permission a plan needs, derived from its steps and their inverses, plus what the session
// itself uses (record, Leases, reading pods and events). Checked with SelfSubjectAccessReviews
// before anything is written.
import type { AccessCheck } from '../core/api-types';
import { apiTypes } from '../core/api-types';
import type { Step, Undo } from '../core/session/plan';

export function accessFor(namespace: string, steps: Step[], opts: { pvcs: boolean }): AccessCheck[] {
  const out = new Map<string, AccessCheck>();
  const add = (verb: string, type: keyof typeof apiTypes | { group: string; plural: string }, subresource?: string) => {
    const t = typeof type === 'string' ? apiTypes[type] : type;
    const c: AccessCheck = {
      verb,
      group: t.group,
      resource: t.plural,
      namespace,
      ...(subresource ? { subresource } : {}),
    };
    out.set(`${verb}|${c.group}|${c.resource}|${subresource ?? ''}`, c);
  };
  // Reading the target, and watching the copy start.
  add('get', 'service');
  add('list', 'service');
  add('list', 'pod');
  add('get', 'replicaSet');
  add('get', 'deployment');
  add('list', 'deployment');
  add('list', 'event');
  if (opts.pvcs) add('get', 'pvc');
  // The record and the participants' Leases.
  for (const v of ['get', 'list', 'create', 'update', 'delete']) add(v, 'configMap');
  for (const v of ['get', 'list', 'create', 'update', 'patch', 'delete']) add(v, 'lease');
  const undo = (u: Undo) => {
    if (u.kind === 'delete') add('delete', u.ref.type);
    else if (u.kind === 'edit') {
      add('get', u.ref.type);
      add('update', u.ref.type);
      if (u.edit.kind === 'istio.removeRoute') add('delete', u.ref.type);
    } else if (u.kind === 'release-branch') {
      add('delete', 'deployment');
      add('delete', 'service');
    } else {
      add('update', 'service');
      // The router goes only once the Service's endpoints follow the selector put back.
      add('list', 'endpointSlice');
      add('delete', 'deployment');
      add('delete', 'service');
      add('delete', 'configMap');
      add('delete', 'podDisruptionBudget');
    }
  };
  for (const s of steps) {
    if (s.kind === 'create') add('create', s.ref.type);
    // A shared object that session records own gains this session's record as an owner.
    if (s.kind === 'create' && s.shared && s.object.metadata.ownerReferences?.length) {
      add('get', s.ref.type);
      add('update', s.ref.type);
    }
    if (s.kind === 'edit') {
      add('get', s.ref.type);
      add('update', s.ref.type);
      if (s.ref.type === 'virtualService' || s.ref.type === 'httpRoute') add('list', s.ref.type);
      if (s.createIfAbsent) add('create', s.ref.type);
      if (s.edit.kind.startsWith('router.')) add('create', 'pod', 'exec');
      // Switching a Service to the router waits for its endpoints to follow.
      if (s.edit.kind === 'service.switchSelector') add('list', 'endpointSlice');
    }
    if (s.kind === 'wait-ready') add('get', s.ref.type);
    if (s.kind === 'seed-branch') add('create', 'pod', 'exec');
    if (s.kind === 'verify-router') {
      add('create', 'pod', 'exec');
      // The plan read them to refuse policies that would drop the router's traffic.
      add('list', 'networkPolicy');
    }
    s.undo.forEach(undo);
  }
  return [...out.values()];
}
