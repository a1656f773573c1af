// Reads and changes session records with resourceVersion preconditions, retrying on conflict, so
// that two participants joining (or taking over services) at once never lose each other's change.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { Backoff, type BackoffOptions, sleep } from '../core/backoff';
import { ClusterError } from '../core/errors';
import { SessionError } from '../core/session/errors';
import { recordName } from '../core/session/names';
import { selectors } from '../core/session/route-contract';
import { type RecordConfigMap, readRecord, type SessionState, withState } from '../core/session/record';
import { RecordError } from '../core/session/record-schema';

export async function getRecord(
  api: ObjectApi,
  namespace: string,
  session: string,
  signal: AbortSignal,
): Promise<{ cm: RecordConfigMap; state: SessionState } | undefined> {
  const cm = await api.tryGet<RecordConfigMap>(apiTypes.configMap, namespace, recordName(session), signal);
  return cm ? { cm, state: readRecord(cm) } : undefined;
}

export async function requireRecord(
  api: ObjectApi,
  namespace: string,
  session: string,
  signal: AbortSignal,
): Promise<{ cm: RecordConfigMap; state: SessionState }> {
  const r = await getRecord(api, namespace, session, signal);
  if (!r)
    throw new SessionError(
      'not-found',
      `There is no session "${session}" in namespace ${namespace}`,
      'List the sessions with `devlane sessions` (or the Devlane view).',
    );
  return r;
}

export interface RecordList {
  records: { cm: RecordConfigMap; state: SessionState }[];
  /** Records that failed validation: left alone, and reported with their error. */
  unreadable: { cm: RecordConfigMap; error: RecordError }[];
}

export async function listRecords(api: ObjectApi, namespace: string, signal: AbortSignal): Promise<RecordList> {
  const cms = await api.list<RecordConfigMap>(
    apiTypes.configMap,
    namespace,
    { labelSelector: selectors.role('record') },
    signal,
  );
  const out: RecordList = { records: [], unreadable: [] };
  for (const cm of cms) {
    try {
      out.records.push({ cm, state: readRecord(cm) });
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      out.unreadable.push({ cm, error: err });
    }
  }
  return out;
}

/** Deletes a record as it was read (uid precondition), without replaying anything it holds. */
export async function deleteRecordObject(
  api: ObjectApi,
  namespace: string,
  name: string,
  uid: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  await api
    .delete(apiTypes.configMap, namespace, name, { signal, preconditions: uid ? { uid } : undefined })
    .catch((err) => {
      if (!(err instanceof ClusterError && err.kind === 'not-found')) throw err;
    });
}

/** Between conflicting record writes: short and spread apart, since every participant writes the same record. */
const recordConflictBackoff: BackoffOptions = { initialMs: 10, factor: 2, maxMs: 640, jitter: 1 };

/** Applies `change` to the current state and writes it back; reads again and retries on conflict. */
export async function updateRecord(
  api: ObjectApi,
  namespace: string,
  session: string,
  change: (state: SessionState) => SessionState,
  signal: AbortSignal,
): Promise<{ cm: RecordConfigMap; state: SessionState }> {
  const backoff = new Backoff(recordConflictBackoff);
  for (let attempt = 0; ; attempt++) {
    const { cm, state } = await requireRecord(api, namespace, session, signal);
    const next = change(structuredClone(state));
    try {
      const written = await api.update(apiTypes.configMap, withState(cm, next), { signal });
      return { cm: written, state: next };
    } catch (err) {
      if (err instanceof ClusterError && err.kind === 'conflict' && attempt < 10) {
        await sleep(backoff.next(), signal);
        continue;
      }
      throw err;
    }
  }
}
