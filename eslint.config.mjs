// ESLint flat config. Besides the usual recommended rules, it enforces the layer boundaries of
// docs/ARCHITECTURE.md with no-restricted-imports:
//   - `vscode` only in src/ui/, the two wiring files (src/extension.ts, the activation entry, and
//     src/extension-core.ts, the core it loads on first need) and the in-editor tests (test/e2e/);
//   - `@kubernetes/client-node` only in src/cluster/ (tests may use it to set up fixtures).
// and, with import-x/no-cycle, that no module in src/ or webview/ imports itself through others.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const vscodeBan = {
  name: 'vscode',
  message:
    'Only src/ui/, src/extension.ts and src/extension-core.ts import vscode; take an interface or a plain type instead (docs/ARCHITECTURE.md, Layers).',
};
const clientNodeBan = {
  name: '@kubernetes/client-node',
  message: 'Only src/cluster/ talks to the Kubernetes API; depend on the interfaces in src/cluster/api.ts instead.',
};
const clientNodeDeep = {
  group: ['@kubernetes/client-node/*'],
  message: 'Only src/cluster/ talks to the Kubernetes API; depend on the interfaces in src/cluster/api.ts instead.',
};
const restrict = (paths, patterns = []) => ['error', { paths, patterns }];

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'AbortController',
    'AbortSignal',
    'fetch',
    'require',
    '__filename',
    '__dirname',
    'module',
  ].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', 'out/**', '.vscode-test/**', 'test-results/**', '.devlane/**', '**/*.vsix'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: nodeGlobals },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      eqeqeq: ['error', 'smart'],
      'no-restricted-imports': restrict([vscodeBan, clientNodeBan], [clientNodeDeep]),
    },
  },
  {
    // Type-only imports are marked, so a bundle never pulls a module in for its types alone.
    files: ['src/**', 'webview/**'],
    rules: { '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }] },
  },
  {
    // A cycle makes load order matter and hides which module owns a concept: shared types and
    // helpers get their own module instead. Type-only imports count too.
    files: ['src/**', 'webview/**'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['src/ui/**', 'src/extension.ts', 'src/extension-core.ts'],
    rules: { 'no-restricted-imports': restrict([clientNodeBan], [clientNodeDeep]) },
  },
  {
    files: ['src/cluster/**'],
    rules: { 'no-restricted-imports': restrict([vscodeBan]) },
  },
  {
    // Tests and benchmarks are clients too: they may use client-node to set up or load a cluster.
    files: ['test/**', 'bench/**'],
    rules: { 'no-restricted-imports': restrict([vscodeBan]) },
  },
  {
    files: ['test/e2e/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The sandbox is its own program: it must not reach into the extension, nor use VS Code.
    files: ['sandbox/**'],
    rules: {
      'no-restricted-imports': restrict(
        [vscodeBan],
        [
          {
            group: ['**/src/*', '**/src/**'],
            message: 'The sandbox never imports the extension (docs/ARCHITECTURE.md).',
          },
        ],
      ),
    },
  },
  {
    // The real cluster is its own program too: upstream Kubernetes driven from outside, no extension code.
    files: ['cluster/**'],
    rules: {
      'no-restricted-imports': restrict(
        [vscodeBan, clientNodeBan],
        [
          {
            group: ['**/src/*', '**/src/**', '**/sandbox/**'],
            message: 'The real cluster never imports the extension or the sandbox.',
          },
        ],
      ),
    },
  },
  {
    // Areas other engineers are building right now: newer recommended rules report as warnings
    // there until their owners have looked at them, so that `npm run lint` gates the layer rules.
    files: ['sandbox/**', 'test/helpers/sandbox.ts', 'test/integration/sandbox/**', 'bench/sandbox*.ts', 'scripts/**'],
    rules: {
      'no-useless-assignment': 'warn',
      'preserve-caught-error': 'warn',
      'no-useless-escape': 'warn',
      '@typescript-eslint/no-require-imports': 'warn',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
