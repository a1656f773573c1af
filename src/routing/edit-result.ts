import type { KubeObject } from '../core/resources';

/** What an edit does to the object it was given. */
export type EditResult = { kind: 'update'; object: KubeObject } | { kind: 'delete' } | { kind: 'unchanged' };
