// Who the API server says the user is, as `kubectl auth whoami` asks it: a SelfSubjectReview
// (authentication.k8s.io/v1 since Kubernetes 1.28, v1beta1 since 1.27). The kubeconfig's user
// entry is only a local nickname: on managed clusters every developer's entry tends to carry the
// same one, so it cannot tell two people apart. Older servers get the nickname, with a warning.
import type { UserIdentity } from './api';
import { type KubeHttp, sendJson } from './http';
import { ClusterError } from '../core/errors';
import type { Logger } from '../core/logger';

interface ReviewAnswer {
  status?: { userInfo?: { username?: string; groups?: string[] } };
}

const versions = ['v1', 'v1beta1'];

export async function whoAmI(http: KubeHttp, logger: Logger, signal: AbortSignal): Promise<UserIdentity> {
  for (const version of versions) {
    const apiVersion = `authentication.k8s.io/${version}`;
    let answer: ReviewAnswer;
    try {
      answer = await sendJson<ReviewAnswer>(
        http,
        'POST',
        `/apis/${apiVersion}/selfsubjectreviews`,
        { apiVersion, kind: 'SelfSubjectReview' },
        'application/json',
        'ask the API server who the user is',
        signal,
      );
    } catch (err) {
      // Not served (an older server), or not allowed: try the next version, then the nickname.
      if (err instanceof ClusterError && (err.kind === 'not-found' || err.kind === 'forbidden')) continue;
      throw err;
    }
    const username = answer.status?.userInfo?.username;
    if (username) return { username, groups: answer.status?.userInfo?.groups ?? [], source: 'server' };
    break;
  }
  const nickname = http.target.user || 'unknown';
  logger.warn(
    `The API server at ${http.target.server} did not say who user "${nickname}" is (SelfSubjectReview is not served or not allowed). ` +
      `Devlane names you after the kubeconfig user entry "${nickname}" instead: colleagues whose entry has the same name would share your sessions. ` +
      'Ask the cluster admin to allow "create selfsubjectreviews", or give your kubeconfig user entry a name of your own.',
  );
  return { username: nickname, groups: [], source: 'kubeconfig' };
}
