// The read-only YAML a user sees for "Describe": the object as the server has it, minus the
// bookkeeping nobody reads (managedFields), which is often longer than the object itself.
import { stringify } from 'yaml';
import type { KubeObject } from './resources';

export function describeYaml(obj: KubeObject): string {
  const { managedFields: _managed, ...metadata } = obj.metadata ?? { name: '' };
  const annotations = metadata.annotations ? { ...metadata.annotations } : undefined;
  // The last-applied annotation repeats the whole object as one JSON line.
  if (annotations) delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const cleaned = {
    ...obj,
    metadata: { ...metadata, ...(annotations ? { annotations } : {}) },
  };
  if (annotations && Object.keys(annotations).length === 0)
    delete (cleaned.metadata as { annotations?: unknown }).annotations;
  return stringify(cleaned, { lineWidth: 0 });
}
