/** A plain JSON object (a part of a Kubernetes object: a container spec, a status entry, ...). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;
