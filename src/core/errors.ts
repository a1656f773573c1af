// Errors from a cluster, sorted into the few cases a user can act on. Every ClusterError says what
// happened (message) and what to do next (hint), as every DevlaneError does; the tree shows both
// next to a Retry action.
import { DevlaneError, type ErrorOptions } from './error-base';

export type ClusterErrorKind =
  | 'unreachable' // DNS, refused, reset, timed out: the API server could not be reached
  | 'tls' // certificate or handshake problem
  | 'unauthorized' // 401: credentials missing, wrong or expired
  | 'forbidden' // 403: authenticated but not allowed
  | 'credentials' // an exec plugin or auth provider failed before any request was sent
  | 'not-found' // 404
  | 'gone' // 410: the resourceVersion is too old; relist
  | 'conflict' // 409 Conflict: the object changed since it was read (resourceVersion precondition)
  | 'already-exists' // 409 AlreadyExists
  | 'invalid' // 400/422: the server refused the object as written (validation, admission)
  | 'config' // the kubeconfig cannot be used as written
  | 'cancelled' // we aborted it ourselves
  | 'server'; // anything else the server answered

export class ClusterError extends DevlaneError {
  override readonly name = 'ClusterError';
  constructor(
    readonly kind: ClusterErrorKind,
    message: string,
    hint: string,
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, hint, options);
  }
}

/** What the failing request was about, so the message can name it. */
export interface ErrorContext {
  /** e.g. `list pods in namespace "shop"` */
  action: string;
  server?: string;
  user?: string;
  /** e.g. `exec plugin "aws"`, when the user authenticates through one. */
  credentialPlugin?: string;
}

/** The shape of a Kubernetes Status object, which the API server sends with most errors. */
export interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

const unreachableWords: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ECONNABORTED: 'connection aborted',
};

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'EPROTO'
  );
}

/** Finds a Node error code anywhere in the cause chain (fetch libraries wrap the socket error). */
export function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === 'string' && errno) return errno;
  }
  return undefined;
}

export function fromHttpStatus(statusCode: number, status: StatusBody | undefined, ctx: ErrorContext): ClusterError {
  const said = status?.message ? `: ${status.message}` : '';
  switch (statusCode) {
    case 401:
      return new ClusterError(
        'unauthorized',
        `The cluster rejected the credentials${ctx.user ? ` of user "${ctx.user}"` : ''} (401 Unauthorized) while trying to ${ctx.action}`,
        ctx.credentialPlugin
          ? `They may have expired: log in again through ${ctx.credentialPlugin}, then Retry.`
          : 'They may have expired or been revoked: refresh the token or certificate in your kubeconfig, then Retry.',
        401,
        {
          cliHint: ctx.credentialPlugin
            ? `They may have expired: log in again through ${ctx.credentialPlugin}, then run the command again.`
            : 'They may have expired or been revoked: refresh the token or certificate in your kubeconfig, then run the command again.',
        },
      );
    case 403:
      return new ClusterError(
        'forbidden',
        `Not allowed to ${ctx.action}${said || ' (403 Forbidden)'}`,
        'Ask a cluster admin for a Role that grants this (see the README for the least-privilege Role); nothing was changed.',
        403,
      );
    case 404:
      return new ClusterError(
        'not-found',
        `Not found while trying to ${ctx.action}${said}`,
        'It may have been deleted.',
        404,
      );
    case 409:
      return status?.reason === 'AlreadyExists'
        ? new ClusterError(
            'already-exists',
            `Already exists while trying to ${ctx.action}${said}`,
            'Pick another name, or remove the existing object.',
            409,
          )
        : new ClusterError(
            'conflict',
            `Conflict while trying to ${ctx.action}${said}`,
            'Someone changed it at the same time; Devlane reads it again and retries.',
            409,
          );
    case 400:
    case 422:
      return new ClusterError(
        'invalid',
        `The cluster refused to ${ctx.action}${said}`,
        'Nothing was changed by this request; the message above names the field.',
        statusCode,
      );
    case 410:
      return new ClusterError('gone', `The requested history is gone (410)${said}`, 'Devlane lists again.', 410);
    default:
      return new ClusterError(
        'server',
        `The API server answered ${statusCode} while trying to ${ctx.action}${said}`,
        'Devlane retries by itself; if it persists, check the API server.',
        statusCode,
      );
  }
}

/** Turns whatever a request threw into a ClusterError (returns ClusterErrors unchanged). */
export function classifyError(err: unknown, ctx: ErrorContext): ClusterError {
  if (err instanceof ClusterError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  if (name === 'AbortError')
    return new ClusterError('cancelled', `Cancelled: ${ctx.action}`, '', undefined, { cause: err });

  const statusCode = (err as { statusCode?: unknown; code?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number') return fromHttpStatus(statusCode, (err as { body?: StatusBody }).body, ctx);

  const code = errorCode(err);
  const where = ctx.server ? ` ${ctx.server}` : ' the API server';
  if (code && unreachableCodes.has(code)) {
    return new ClusterError(
      'unreachable',
      `Cannot reach${where} (${unreachableWords[code] ?? code}) while trying to ${ctx.action}`,
      'Check that the cluster is running and that you are on its network or VPN. Devlane keeps retrying.',
      undefined,
      {
        cause: err,
        cliHint:
          'Check that the cluster is running and that you are on its network or VPN, then run the command again.',
      },
    );
  }
  if (code && isTlsCode(code)) {
    return new ClusterError(
      'tls',
      `TLS error talking to${where}: ${message} (${code})`,
      "Check the cluster's certificate-authority (or certificate-authority-data) and server address in your kubeconfig.",
      undefined,
      { cause: err },
    );
  }
  return new ClusterError(
    'server',
    `Failed to ${ctx.action}: ${message}`,
    'Retry; if it persists, check the Devlane log.',
    undefined,
    {
      cause: err,
      cliHint: 'Run the command again; if it fails again, add --verbose to see each step.',
    },
  );
}

/** An exec plugin or auth provider failed before any request went out. Its own words are kept. */
export function credentialError(err: unknown, ctx: ErrorContext): ClusterError {
  const raw = err instanceof Error ? err.message : String(err);
  const said = raw.trim() || 'it exited without a message';
  const plugin = ctx.credentialPlugin ?? 'the credential plugin';
  const notFound = errorCode(err) === 'ENOENT';
  return new ClusterError(
    'credentials',
    notFound ? `${plugin} was not found on PATH` : `${plugin} failed: ${said}`,
    notFound
      ? 'Install it, or put it on the PATH VS Code starts with (restart VS Code after changing PATH), then Retry.'
      : 'Run it in a terminal to log in or see why it fails, then Retry.',
    undefined,
    {
      cause: err,
      cliHint: notFound
        ? 'Install it, or put it on your PATH, then run the command again.'
        : 'Run it alone to log in or see why it fails, then run the command again.',
    },
  );
}
