// The session record: a ConfigMap `devlane-session-<name>` that holds everything anyone needs to
// join the session or clean it up: route key, participants, the services taken over (one owner
// each) and the undo log. The undo of a takeover is written into the record *before* the first
// change is made (write-ahead): every inverse is idempotent, so replaying it after a crash at any
// point restores exactly what was changed.
import { sessionLabels } from './dev-workload';
import { recordName } from './names';
import type { StrategyName, Undo } from './plan';
import type { KubeObject } from '../resources';

export const recordDataKey = 'session.json';

export interface TakenOver {
  service: string;
  owner: string;
  /** e.g. `Deployment/ratings` */
  workload: string;
  devService: string;
  strategy: StrategyName;
  state: 'starting' | 'live';
  /** Inverses of this takeover's steps, in the order they were applied; replayed newest first. */
  undo: Undo[];
}

export interface SessionState {
  name: string;
  namespace: string;
  routeKey: string;
  createdAt: string;
  createdBy: string;
  participants: { name: string; joinedAt: string }[];
  services: TakenOver[];
}

export interface RecordConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export function recordObject(state: SessionState): RecordConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: recordName(state.name), namespace: state.namespace, labels: sessionLabels(state.name, 'record') },
    data: { [recordDataKey]: JSON.stringify(state, null, 1) },
  };
}

export function readRecord(cm: RecordConfigMap): SessionState {
  const text = cm.data?.[recordDataKey];
  if (!text) throw new Error(`ConfigMap ${cm.metadata.name} is not a Devlane session record (no ${recordDataKey})`);
  const state = JSON.parse(text) as SessionState;
  state.participants ??= [];
  state.services ??= [];
  return state;
}

export function withState(cm: RecordConfigMap, state: SessionState): RecordConfigMap {
  return { ...cm, data: { ...cm.data, [recordDataKey]: JSON.stringify(state, null, 1) } };
}
