// What every benchmark prints: one JSON line per figure (with the side-by-side baseline and the
// ratio where one was measured in the same run), then a table a person can read.

export interface Figure {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: string;
  baseline_value?: number;
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000);

export function report(figures: Figure[]): void {
  const rows = figures.map((f) => {
    const line: Record<string, unknown> = { bench: f.bench, metric: f.metric, value: round(f.value), unit: f.unit };
    if (f.baseline !== undefined && f.baseline_value !== undefined) {
      line.baseline = f.baseline;
      line.baseline_value = round(f.baseline_value);
      line.ratio = f.baseline_value === 0 ? null : round(f.value / f.baseline_value);
    }
    console.log(JSON.stringify(line));
    return line;
  });
  const table = [
    ['metric', 'value', 'unit', 'baseline', 'baseline value', 'ratio'],
    ...rows.map((r) => [
      String(r.metric),
      String(r.value),
      String(r.unit),
      String(r.baseline ?? ''),
      String(r.baseline_value ?? ''),
      String(r.ratio ?? ''),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  console.log('');
  for (const row of table)
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
}

/** Runs `fn` `n` times in sequence and returns each duration in milliseconds. */
export async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}

/** Runs a benchmark's main: a failure is printed and ends the process with 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
