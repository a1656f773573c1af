// The first sync deletes what the container has and the local folder does not. A few such paths
// are the usual leftovers of an older build; many mean the mapping is wrong (the wrong folder, or
// a path that holds more than the code), so past a threshold the user sees what would go and
// is asked first. Declined, nothing is deleted and the sync carries on with uploads only.
import type { Tree } from './listing';

/** More deletions than this in one initial sync need the user's consent. */
export const deleteConfirmThreshold = 20;
/** How many of them the question names. */
export const deletePreviewPaths = 10;

export interface DeletePreview {
  /** The pod and path synced into, for the question's text. */
  pod: string;
  remotePath: string;
  /** Every remote path that would go, folders' contents included. */
  count: number;
  /** The first outermost paths (folders end in `/`). */
  paths: string[];
  /** Outermost paths not shown. */
  more: number;
}

/** Asks whether the deletions go ahead; resolves false to keep them all. */
export type ConfirmDeletes = (preview: DeletePreview, signal: AbortSignal) => Promise<boolean>;

/** What the planned deletes remove from `remote`; undefined when few enough to go ahead unasked. */
export function deletePreview(
  deletes: string[],
  remote: Tree,
  where: { pod: string; remotePath: string },
  threshold = deleteConfirmThreshold,
): DeletePreview | undefined {
  let count = 0;
  for (const path of remote.keys()) if (deletes.some((d) => path === d || path.startsWith(`${d}/`))) count++;
  if (count <= threshold) return undefined;
  const shown = deletes.slice(0, deletePreviewPaths).map((d) => (remote.get(d)?.dir ? `${d}/` : d));
  return { ...where, count, paths: shown, more: deletes.length - shown.length };
}

/** The question, as the CLI prints it and the editor shows it. */
export function describeDeletes(p: DeletePreview): string {
  const list = p.paths.map((x) => `  ${x}`).join('\n');
  return `The first sync would delete ${p.count} paths in ${p.remotePath} of ${p.pod} that are not in your local folder:\n${list}${p.more ? `\n  … and ${p.more} more` : ''}`;
}

/** What the status and the log say when the user kept them. */
export function keptDeletesMessage(p: DeletePreview): string {
  return `${p.count} paths in ${p.remotePath} that are not in your local folder were kept (deleting them was not confirmed); sync continues with uploads only`;
}
