// One esbuild config for everything that runs: the extension and CLI (CommonJS, bundled with
// @kubernetes/client-node, which is ESM-only), the webview (browser IIFE), the sandbox (its own
// program) and the tests (each test file bundled, so they run the same code shape as the extension).
// The extension is two bundles: the small activation entry (dist/extension.js) and the core it
// require()s on first need (dist/extension-core.js); see docs/ARCHITECTURE.md, Activation.
//   node scripts/build.mjs [--only extension|webview|sandbox|cluster|tests|harness[,…]] [--production] [--watch]
// (harness: only the e2e harness the demo uses, which `tests` builds too; not part of a full build.)
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const production = args.includes('--production');
const watch = args.includes('--watch');

function files(dir, pattern) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs)) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...files(join(dir, name), pattern));
    else if (pattern.test(name)) out.push(join(dir, name));
  }
  return out;
}
const present = (list) => list.filter((f) => existsSync(join(root, f)));

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
  // client-node reads its package.json version at runtime in places; keep import.meta usable in CJS.
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [join(root, 'scripts/import-meta-url.js')],
};

// The entry loads the core with require('./extension-core'): kept as a require of the sibling
// bundle, never bundled into the entry.
const lazyCore = {
  name: 'lazy-core',
  setup(build) {
    build.onResolve({ filter: /^\.\/extension-core$/ }, (args) =>
      args.importer === join(root, 'src/extension.ts') ? { path: './extension-core.js', external: true } : undefined,
    );
  },
};

/** Modules the entry may share with the core: plain constants, so a second copy holds no state. */
const sharedWithCore = new Set(['src/core/contributions.ts', 'scripts/import-meta-url.js']);

/**
 * Fails the build when the entry bundles a module the core also bundles (other than the plain
 * ones above): each bundle would have its own copy of that module's state (a cache, an emitter,
 * a registry), and the entry's would never see the core's.
 */
function checkEntry(metafile) {
  const inputs = (out) => new Set(Object.keys(metafile.outputs[out]?.inputs ?? {}));
  const entry = inputs('dist/extension.js');
  const core = inputs('dist/extension-core.js');
  const twice = [...entry].filter((m) => core.has(m) && !sharedWithCore.has(m));
  if (twice.length)
    throw new Error(
      `dist/extension.js and dist/extension-core.js both bundle ${twice.join(', ')}: import it only in the core, or pass it to the entry (src/extension.ts)`,
    );
}

const builds = {
  extension: () => {
    const entries = present(['src/extension.ts', 'src/extension-core.ts', 'src/cli.ts']);
    return (
      entries.length && {
        ...node,
        entryPoints: entries,
        outdir: 'dist',
        external: ['vscode'],
        plugins: [lazyCore],
        metafile: true,
        check: checkEntry,
      }
    );
  },
  webview: () => {
    const entries = present(['webview/main.ts']);
    return (
      entries.length && {
        bundle: true,
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
        sourcemap: !production,
        minify: production,
        logLevel: 'warning',
        absWorkingDir: root,
        entryPoints: entries,
        outfile: 'dist/webview.js',
      }
    );
  },
  sandbox: () => {
    const entries = present(['sandbox/main.ts', ...files('sandbox/node/helpers', /\.ts$/)]);
    return entries.length && { ...node, entryPoints: entries, outbase: 'sandbox', outdir: 'out/sandbox' };
  },
  cluster: () => {
    const entries = present(['cluster/main.ts']);
    return entries.length && { ...node, entryPoints: entries, outbase: 'cluster', outdir: 'out/cluster' };
  },
  tests: () => {
    // test/e2e: the desktop launcher (run.ts), the in-editor suite the extension host loads
    // (inside/index.ts) and the harness as a library for scripts/demo.mjs (harness/*).
    const e2e = present([
      'test/e2e/run.ts',
      'test/e2e/inside/index.ts',
      'test/e2e/harness/index.ts',
      'test/e2e/harness/install.ts',
    ]);
    const entries = [...files('test', /\.test\.ts$/), ...files('bench', /\.bench\.ts$/), ...e2e];
    return (
      entries.length && {
        ...node,
        entryPoints: entries,
        outbase: '.',
        outdir: 'out',
        external: ['vscode', 'playwright-core'],
      }
    );
  },
  harness: () => {
    const entries = present(['test/e2e/harness/index.ts', 'test/e2e/harness/install.ts']);
    return (
      entries.length && {
        ...node,
        entryPoints: entries,
        outbase: '.',
        outdir: 'out',
        external: ['vscode', 'playwright-core'],
      }
    );
  },
};

const selected = only ? only.split(',') : Object.keys(builds).filter((name) => name !== 'harness');
const configs = selected
  .map((name) => {
    if (!builds[name]) throw new Error(`unknown build "${name}"; one of ${Object.keys(builds).join(', ')}`);
    return builds[name]();
  })
  .filter(Boolean);

if (watch) {
  for (const { check: _, ...c } of configs) await (await esbuild.context(c)).watch();
  console.log(`watching ${configs.length} builds`);
} else {
  await Promise.all(
    configs.map(async ({ check, ...c }) => {
      const result = await esbuild.build(c);
      check?.(result.metafile);
    }),
  );
  console.log(`built ${selected.join(', ')} in ${relative(process.cwd(), root) || '.'}`);
}
