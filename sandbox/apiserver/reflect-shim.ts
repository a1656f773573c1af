// @peculiar/x509 uses tsyringe, which needs the Reflect metadata API (normally from the
// `reflect-metadata` package). These few functions are all it calls; imported before x509.

type Target = object;
const store = new WeakMap<Target, Map<string | symbol | undefined, Map<unknown, unknown>>>();

function table(target: Target, prop: string | symbol | undefined, create: boolean): Map<unknown, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let t = byProp.get(prop);
  if (!t && create) {
    t = new Map();
    byProp.set(prop, t);
  }
  return t;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const R = Reflect as any;
if (typeof R.getMetadata !== 'function') {
  R.defineMetadata = (key: unknown, value: unknown, target: Target, prop?: string | symbol) => {
    table(target, prop, true)!.set(key, value);
  };
  R.getOwnMetadata = (key: unknown, target: Target, prop?: string | symbol) => table(target, prop, false)?.get(key);
  R.getMetadata = (key: unknown, target: Target, prop?: string | symbol) => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t)) {
      const m = table(t, prop, false);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
  R.hasMetadata = (key: unknown, target: Target, prop?: string | symbol) =>
    R.getMetadata(key, target, prop) !== undefined;
  R.metadata = (key: unknown, value: unknown) => (target: Target, prop?: string | symbol) =>
    R.defineMetadata(key, value, target, prop);
}

export {};
