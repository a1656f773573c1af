// Applies a plan's Edit to the object as it is now. Every strategy's edits are dispatched here, so
// the session layer applies and undoes them without knowing what they mean.
import type { EditResult } from './edit-result';
import { addGatewayRoute, removeGatewayRoute } from './gateway-api';
import { addIstioRoute, removeIstioRoute } from './istio';
import { addRouterRoute, removeRouterRoute, restoreSelector, switchSelector } from './router';
import type { KubeObject } from '../core/resources';
import type { Edit, OwnerReference } from '../core/session/plan';

function addOwners(current: KubeObject, owners: OwnerReference[]): EditResult {
  const have = current.metadata.ownerReferences ?? [];
  const missing = owners.filter((o) => !have.some((h) => h.uid === o.uid));
  if (missing.length === 0) return { kind: 'unchanged' };
  const next = structuredClone(current);
  next.metadata.ownerReferences = [...have, ...missing];
  return { kind: 'update', object: next };
}

export function applyEdit(current: KubeObject, edit: Edit): EditResult {
  switch (edit.kind) {
    case 'istio.addRoute':
      return addIstioRoute(current, edit.session, edit.routeKey, edit.devService);
    case 'istio.removeRoute':
      return removeIstioRoute(current, edit.session);
    case 'gateway.addRoute':
      return addGatewayRoute(
        current,
        current.metadata.namespace ?? '',
        edit.service,
        edit.routeKey,
        edit.devService,
        edit.session,
      );
    case 'gateway.removeRoute':
      return removeGatewayRoute(current, edit.routeKey);
    case 'router.addRoute':
      return addRouterRoute(
        current,
        {
          session: edit.session,
          routeKey: edit.routeKey,
          devService: edit.devService,
          ...(edit.devAddress ? { devAddress: edit.devAddress } : {}),
        },
        edit.originAddress,
      );
    case 'router.removeRoute':
      return removeRouterRoute(current, edit.session);
    case 'service.switchSelector':
      return switchSelector(current, edit.selector);
    case 'service.restoreSelector':
      return restoreSelector(current, edit.routerSelector);
    case 'meta.addOwners':
      return addOwners(current, edit.owners);
  }
}
