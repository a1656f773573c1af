// One activation, timed in a fresh Node process (run by bench/activation.ts, never by the
// extension):  node activation-probe.cjs BUNDLE MODE
//   MODE entry: require(BUNDLE), then activate(context), as VS Code activates the extension; then
//               the first use (reading the API's explorer loads and starts the lazy core).
//   MODE core:  require(BUNDLE), then activateCore(context, views): the whole extension started
//               at once, which is what activation cost before the entry was split off.
//   MODE eager: require(BUNDLE), then activate(context) of a bundle that starts everything at once
//               (a build from before the split), for comparing by hand.
// Prints one JSON line: {"load":ms,"activate":ms,"firstUse":ms?}. `vscode` is a stub that answers
// every call with another stub (settings read as unset), so the figures are our code's alone;
// the kubeconfig is whatever KUBECONFIG names (the bench writes a small one).
const Module = require('node:module');

// A stub answers any property with another stub (or what was assigned to it), any call and `new`
// with a stub.
const stub = () => {
  const set = new Map();
  return new Proxy(function () {}, {
    get: (_t, p) => {
      if (set.has(p)) return set.get(p);
      if (p === 'then') return undefined; // not a thenable: `await stub` gives the stub
      if (p === Symbol.toPrimitive) return () => 'stub';
      if (p === Symbol.iterator) return function* () {};
      return stub();
    },
    set: (_t, p, v) => (set.set(p, v), true),
    apply: () => stub(),
    construct: () => stub(),
  });
};
const overrides = {
  version: '1.139.0',
  workspace: new Proxy(
    {},
    {
      get: (_t, p) =>
        p === 'getConfiguration' ? () => ({ get: () => undefined }) : p === 'workspaceFolders' ? undefined : stub(),
    },
  ),
  commands: new Proxy({}, { get: (_t, p) => (p === 'executeCommand' ? () => Promise.resolve(undefined) : stub()) }),
};
// esbuild's `import * as vscode` copies the module's own names, so the stub has every name the
// API declares (read from @types/vscode), each answering with a stub unless overridden above.
const declared = require('node:fs')
  .readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8')
  .matchAll(/^\s*export (?:namespace|class|enum|const|let|function) (\w+)/gm);
const vscode = {};
for (const name of new Set([...declared].map((m) => m[1])))
  Object.defineProperty(vscode, name, {
    enumerable: true,
    configurable: true,
    get: () => (name in overrides ? overrides[name] : stub()),
  });
const load = Module._load;
Module._load = function (request) {
  return request === 'vscode' ? vscode : load.apply(this, arguments);
};

const memento = () => {
  const m = new Map();
  return {
    get: (k, d) => (m.has(k) ? m.get(k) : d),
    update: (k, v) => (m.set(k, v), Promise.resolve()),
    keys: () => [...m.keys()],
  };
};
const context = {
  subscriptions: [],
  globalState: memento(),
  workspaceState: memento(),
  extension: { packageJSON: { version: '0.0.0-bench', publisher: 'devlane', name: 'devlane' } },
  extensionUri: stub(),
  extensionPath: __dirname,
};

const [bundle, mode] = process.argv.slice(2);
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;
const t0 = process.hrtime.bigint();
const mod = require(bundle);
const load_ = ms(t0);
const t1 = process.hrtime.bigint();
const api =
  mode === 'core'
    ? mod.activateCore(context, { clustersTree: stub(), sessionsTree: stub(), firstNeed: 'the bench', loadMs: load_ })
    : mod.activate(context);
const activate = ms(t1);
let firstUse;
if (mode === 'entry') {
  const t2 = process.hrtime.bigint();
  void api.explorer;
  firstUse = ms(t2);
}
console.log(JSON.stringify({ load: load_, activate, firstUse }));
for (const d of context.subscriptions) {
  try {
    d.dispose();
  } catch {
    // a stub's dispose; nothing to release
  }
}
process.exit(0);
