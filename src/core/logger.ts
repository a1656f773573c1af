// The logging seam: lower layers log through this interface; src/ui/ backs it with the one
// "Devlane" LogOutputChannel. Secret values must never reach a log line, so every message
// passes through `redact` before it is written, as a last line of defence.

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

export const nullLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const patterns: [RegExp, string][] = [
  // Authorization headers and bearer tokens in any message or URL.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 <redacted>'],
  // key: value or key=value pairs whose key names a secret (token, password, client-key-data...).
  [
    /\b((?:[\w-]*(?:token|password|secret|passwd|key-data|keyData|certificate-data))["']?\s*[:=]\s*["']?)[^\s"',}&]+/gi,
    '$1<redacted>',
  ],
  // PEM blocks (private keys, certificates pasted into errors).
  [/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, '<redacted PEM block>'],
];

/** Masks things that look like credentials. Over-masking is fine; a leaked token is not. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
  return out;
}

/** Renders an error for a log line: message, then its cause chain. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause === undefined ? '' : ` (cause: ${errorText(err.cause)})`;
    return `${err.message}${cause}`;
  }
  return String(err);
}
