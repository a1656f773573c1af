// Which undo steps Devlane replays. An undo log is read from a ConfigMap that anyone allowed to
// create ConfigMaps in the namespace could have written, and it is replayed with the rights of
// whoever collects it. So a step is replayed only when it touches what its session made or changed:
// objects in the record's own namespace, named for the session's own takeover, and (checked again
// against the live object when replayed) created by the session or still as the session left them.
import { devServiceName, routerName } from './names';
import { labels } from './route-contract';
import type { Edit, Undo } from './plan';
import type { StrategyName } from './plan';
import type { KubeObject } from '../resources';

/** What one takeover in one record may undo. */
export interface UndoScope {
  /** The namespace the record ConfigMap is in (not what its text claims). */
  namespace: string;
  session: string;
  routeKey: string;
  service: string;
  strategy: StrategyName;
  /** uid of the record ConfigMap: what the session's objects are owned by. */
  recordUid?: string;
}

/** The object type each removal edit is made on. */
/** A value from the record as an error shows it: cut short, since whoever wrote the record chose it. */
export function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const editTypes: Partial<Record<Edit['kind'], string>> = {
  'istio.removeRoute': 'virtualService',
  'gateway.removeRoute': 'httpRoute',
  'router.removeRoute': 'configMap',
};

/**
 * Why this step may not be replayed for this takeover, naming the field at fault; undefined when it
 * may. Judges the step as written; `mayDelete` judges the live object when the step is replayed.
 */
export function undoProblem(undo: Undo, scope: UndoScope): { field: string; problem: string } | undefined {
  const where = undo.kind === 'release-router' || undo.kind === 'release-branch' ? undo.namespace : undo.ref.namespace;
  const field = undo.kind === 'release-router' || undo.kind === 'release-branch' ? 'namespace' : 'ref.namespace';
  if (where !== scope.namespace)
    return {
      field,
      problem: `${shown(where)} is not the record's namespace "${scope.namespace}": a session only undoes changes in its own namespace`,
    };
  switch (undo.kind) {
    case 'delete': {
      const own = devServiceName(scope.service, scope.session);
      if (undo.ref.type !== 'service' && undo.ref.type !== 'deployment')
        return {
          field: 'ref.type',
          problem: `a session only deletes the Service and Deployment of its copy, not a ${undo.ref.type}`,
        };
      if (undo.ref.name !== own)
        return {
          field: 'ref.name',
          problem: `${shown(undo.ref.name)} is not the copy of ${scope.service} in session ${scope.session} ("${own}")`,
        };
      return undefined;
    }
    case 'edit': {
      const type = editTypes[undo.edit.kind];
      if (!type)
        return { field: 'edit.kind', problem: `"${undo.edit.kind}" is not a removal of the session's own route` };
      if (undo.ref.type !== type)
        return { field: 'ref.type', problem: `"${undo.edit.kind}" is made on a ${type}, not a ${undo.ref.type}` };
      const edit = undo.edit as Extract<Edit, { session: string }>;
      if (edit.session !== scope.session)
        return {
          field: 'edit.session',
          problem: `${shown(edit.session)} is not this record's session "${scope.session}"`,
        };
      if (undo.edit.kind === 'gateway.removeRoute' && undo.edit.routeKey !== scope.routeKey)
        return { field: 'edit.routeKey', problem: "is not this record's route key" };
      if (undo.edit.kind === 'router.removeRoute' && undo.ref.name !== routerName(scope.service))
        return { field: 'ref.name', problem: `${shown(undo.ref.name)} is not the router of ${scope.service}` };
      return undefined;
    }
    case 'release-router':
      if (undo.service !== scope.service)
        return {
          field: 'service',
          problem: `${shown(undo.service)} is not the service this takeover holds ("${scope.service}")`,
        };
      if (scope.strategy !== 'router')
        return { field: 'kind', problem: `a takeover routed by ${scope.strategy} has no router to release` };
      return undefined;
    case 'release-branch':
      // What is deleted is named for the session (dataBranchName) and checked against the live objects.
      if (undo.session !== scope.session)
        return { field: 'session', problem: `${shown(undo.session)} is not this record's session "${scope.session}"` };
      return undefined;
  }
}

/** An object the session created: owned by its record, or labelled with its name. */
export function createdBySession(obj: KubeObject, scope: Pick<UndoScope, 'session' | 'recordUid'>): boolean {
  if (obj.metadata.labels?.[labels.session] === scope.session) return true;
  return !!scope.recordUid && !!obj.metadata.ownerReferences?.some((r) => r.uid === scope.recordUid);
}
