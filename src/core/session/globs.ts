// What looks like production: `devlane.productionContexts` globs matched against the context's name
// and against its API server's host name, and `devlane.productionNamespaces` globs matched against
// the namespace. Shell-style globs (`*` any run of characters, `?` one character), matched
// case-insensitively against the whole name.

export const defaultProductionGlobs = ['*prod*', '*live*'];
export const defaultProductionNamespaceGlobs = ['*prod*', '*live*'];

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

const firstMatch = (name: string, globs: readonly string[]) => globs.find((g) => globToRegExp(g).test(name));

export function looksLikeProduction(context: string, globs: readonly string[] = defaultProductionGlobs): boolean {
  return firstMatch(context, globs) !== undefined;
}

/** The host of an API server URL (`https://api.prod.example.com:6443` → `api.prod.example.com`); undefined when it is not a URL. */
export function serverHost(server: string): string | undefined {
  try {
    return new URL(server).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}

export interface Place {
  context: string;
  namespace?: string;
  /** The API server URL of the context's cluster. */
  server?: string;
}

/** Why a place looks like production, as a user reads it; undefined when it does not. */
export function productionReason(
  place: Place,
  globs: { contexts?: readonly string[]; namespaces?: readonly string[] } = {},
): string | undefined {
  const contexts = globs.contexts ?? defaultProductionGlobs;
  const namespaces = globs.namespaces ?? defaultProductionNamespaceGlobs;
  const byContext = firstMatch(place.context, contexts);
  if (byContext) return `context "${place.context}" matches "${byContext}" (devlane.productionContexts)`;
  const host = place.server ? serverHost(place.server) : undefined;
  const byServer = host ? firstMatch(host, contexts) : undefined;
  if (byServer) return `the cluster's server ${host} matches "${byServer}" (devlane.productionContexts)`;
  const byNamespace = place.namespace ? firstMatch(place.namespace, namespaces) : undefined;
  if (byNamespace) return `namespace "${place.namespace}" matches "${byNamespace}" (devlane.productionNamespaces)`;
  return undefined;
}

/** `GLOB,GLOB,...` (the CLI's --production-contexts, DEVLANE_PRODUCTION_CONTEXTS): an empty list means no context is production-like. */
export function parseGlobList(text: string): string[] {
  return text
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
}
