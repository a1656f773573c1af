// What is not synced: .gitignore and .dockerignore rules of the mapped folder, the mapping's
// `exclude` globs, and `.git` and `node_modules` unless the config says otherwise. Pure: the
// caller reads the files and passes their text.
import ignore, { type Ignore } from 'ignore';

export const defaultExcludes = ['.git', 'node_modules'];

export interface IgnoreSources {
  gitignore?: string;
  dockerignore?: string;
  exclude?: string[];
  /** Replaces `defaultExcludes` (an empty list syncs `.git` and `node_modules` too). */
  defaults?: string[];
}

export interface IgnoreRules {
  /** `rel` is a POSIX path relative to the mapped folder; `dir` says it names a directory. */
  ignores(rel: string, dir: boolean): boolean;
  /** Directory names ignored wherever they are (pruned from the remote listing). */
  readonly prunedNames: string[];
}

export function ignoreRules(src: IgnoreSources): IgnoreRules {
  const ig: Ignore = ignore({ allowRelativePaths: true });
  const defaults = src.defaults ?? defaultExcludes;
  ig.add(defaults.map((d) => `${d}/`));
  if (src.gitignore) ig.add(src.gitignore);
  // .dockerignore patterns are anchored at the context root; `ignore` reads them as gitignore
  // lines, which agrees for the usual forms (`dist`, `*.log`, `!keep.log`, `**/tmp`).
  if (src.dockerignore)
    ig.add(
      src.dockerignore
        .split(/\r?\n/)
        .map((l) => l.trim().replace(/^\/+/, ''))
        .join('\n'),
    );
  if (src.exclude?.length) ig.add(src.exclude);
  return {
    ignores(rel: string, dir: boolean): boolean {
      if (rel === '') return false;
      return ig.ignores(dir ? `${rel}/` : rel);
    },
    prunedNames: defaults.filter((d) => /^[^/*?[\]!]+$/.test(d)),
  };
}
