// Activation, as VS Code pays for it: require the entry bundle, then call activate(). Each run is a
// fresh Node process (bench/activation-probe.cjs, with `vscode` stubbed), so nothing is cached.
// The baseline, measured in the same run: the core bundle required and started at once, which is
// what activation cost before the entry was split off (docs/ARCHITECTURE.md, Activation).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, percentile } from './lib';

interface Probe {
  load: number;
  activate: number;
  firstUse?: number;
}

/** Two contexts on one cluster: enough for the kubeconfig to be read and merged as in use. */
const kubeconfig = `apiVersion: v1
kind: Config
current-context: bench
clusters: [{ name: bench, cluster: { server: 'https://127.0.0.1:6443' } }]
users: [{ name: bench, user: { token: bench } }]
contexts:
  - { name: bench, context: { cluster: bench, user: bench, namespace: shop } }
  - { name: other, context: { cluster: bench, user: bench } }
`;

export function activationFigures(root: string, runs = 9): Figure[] {
  const entry = join(root, 'dist/extension.js');
  const core = join(root, 'dist/extension-core.js');
  if (!existsSync(entry) || !existsSync(core)) return [];
  const dir = mkdtempSync(join(tmpdir(), 'devlane-activation-'));
  try {
    writeFileSync(join(dir, 'kubeconfig'), kubeconfig);
    const probe = (bundle: string, mode: string): Probe =>
      JSON.parse(
        execFileSync(process.execPath, [join(root, 'bench/activation-probe.cjs'), bundle, mode], {
          encoding: 'utf8',
          env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig') },
        }),
      );
    const lazy: Probe[] = [];
    const eager: Probe[] = [];
    // Interleaved, so that a busy moment of the machine falls on both.
    for (let i = 0; i < runs; i++) {
      lazy.push(probe(entry, 'entry'));
      eager.push(probe(core, 'core'));
    }
    const median = (xs: number[]) => percentile(xs, 50);
    const bench = 'explorer';
    const wholeActivation = median(eager.map((p) => p.load + p.activate));
    return [
      {
        bench,
        metric: 'entry_bundle_size',
        value: statSync(entry).size,
        unit: 'bytes',
        baseline: 'core_bundle_size',
        baseline_value: statSync(core).size,
      },
      {
        bench,
        metric: 'entry_load_median',
        value: median(lazy.map((p) => p.load)),
        unit: 'ms',
        baseline: 'core_bundle_load_median',
        baseline_value: median(eager.map((p) => p.load)),
      },
      {
        bench,
        metric: 'activation_median',
        value: median(lazy.map((p) => p.load + p.activate)),
        unit: 'ms',
        baseline: 'whole_extension_at_activation_median',
        baseline_value: wholeActivation,
      },
      {
        bench,
        metric: 'first_use_core_start_median',
        value: median(lazy.map((p) => p.firstUse ?? NaN)),
        unit: 'ms',
        baseline: 'whole_extension_at_activation_median',
        baseline_value: wholeActivation,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
