// `devlane.productionContexts`: context names that look like production, as shell-style globs
// (`*` any run of characters, `?` one character), matched case-insensitively against the whole name.

export const defaultProductionGlobs = ['*prod*', '*live*'];

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function looksLikeProduction(context: string, globs: readonly string[] = defaultProductionGlobs): boolean {
  return globs.some((g) => globToRegExp(g).test(context));
}

/** `GLOB,GLOB,...` (the CLI's --production-contexts, DEVLANE_PRODUCTION_CONTEXTS): an empty list means no context is production-like. */
export function parseGlobList(text: string): string[] {
  return text.split(',').map((g) => g.trim()).filter(Boolean);
}
