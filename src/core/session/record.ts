// The session record: a ConfigMap `devlane-session-<name>` that holds everything anyone needs to
// join the session or clean it up: route key, participants, the services taken over (one owner
// each) and the undo log. The undo of a takeover is written into the record *before* the first
// change is made (write-ahead): every inverse is idempotent, so replaying it after a crash at any
// point restores exactly what was changed.
import { sessionLabels } from './dev-workload';
import { recordName } from './names';
import { RecordError, type SessionState, validateRecord } from './record-schema';
import type { KubeObject } from '../resources';

/** The record's shape lives with its check; it is named here too, where records are read and written. */
export type { SessionState, TakenOver } from './record-schema';

export const recordDataKey = 'session.json';

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

/** The record's state, validated (record-schema.ts); throws RecordError naming the field at fault. */
export function readRecord(cm: RecordConfigMap): SessionState {
  const text = cm.data?.[recordDataKey];
  const where = { name: cm.metadata.name, namespace: cm.metadata.namespace ?? '', uid: cm.metadata.uid };
  if (!text) throw new RecordError(where.name, where.namespace, '', `it has no ${recordDataKey}`);
  return validateRecord(text, where);
}

export function withState(cm: RecordConfigMap, state: SessionState): RecordConfigMap {
  return { ...cm, data: { ...cm.data, [recordDataKey]: JSON.stringify(state, null, 1) } };
}
