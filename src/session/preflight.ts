// Preflight: one SelfSubjectAccessReview per permission the plan needs. Missing ones stop the start
// before anything is written, with the list and a Role that would grant them.
import type { ObjectApi } from '../cluster/api';
import type { AccessCheck } from '../core/api-types';
import { SessionError } from '../core/session/errors';
import { missingText, roleManifest, rulesFor } from '../core/session/role';

export async function missingAccess(
  api: ObjectApi,
  checks: AccessCheck[],
  signal: AbortSignal,
): Promise<AccessCheck[]> {
  const results = await Promise.all(checks.map(async (c) => ({ c, ok: (await api.accessReview(c, signal)).allowed })));
  return results.filter((r) => !r.ok).map((r) => r.c);
}

export async function preflight(
  api: ObjectApi,
  namespace: string,
  checks: AccessCheck[],
  signal: AbortSignal,
): Promise<void> {
  const missing = await missingAccess(api, checks, signal);
  if (missing.length === 0) return;
  const role = roleManifest(namespace, rulesFor(missing), 'devlane-session-extra');
  throw new SessionError(
    'forbidden',
    `Nothing was created: your user is missing ${missing.length} permission${missing.length === 1 ? '' : 's'} a session needs:\n${missingText(missing)}`,
    `Ask a cluster admin to bind this Role to you (or the full Role in the README, "Permissions"):\n\n${role}`,
    { missing, role },
  );
}
