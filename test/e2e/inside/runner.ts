// A small test runner for the extension host: tests register with `test()`, `run()` runs them
// in order and rejects when any failed, which makes the extension host exit with code 1.
// (The extension host only needs a module exporting `run()`; this keeps the suite free of a
// test framework's own module loading, since everything here is one esbuild bundle.)
import { appendFileSync, writeFileSync } from 'node:fs';

type TestFn = () => Promise<void> | void;
const tests: { name: string; fn: TestFn; timeoutMs: number }[] = [];

export function test(name: string, fn: TestFn, timeoutMs = 60_000): void {
  tests.push({ name, fn, timeoutMs });
}

/** Polls `read` until `accept` is true; returns the last value read either way. */
export async function eventually<T>(
  read: () => T | Promise<T>,
  accept: (v: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (accept(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function withTimeout(p: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${name}: no result within ${ms / 1000} s`)), ms)),
  );
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every registered test. Each result is printed (the extension host's output) and, when
 * DEVLANE_INSIDE_RESULTS names a file, written there for the outer test to show.
 */
export async function runAll(): Promise<void> {
  const out = process.env.DEVLANE_INSIDE_RESULTS;
  if (out) writeFileSync(out, '');
  const print = (line: string) => {
    console.log(line);
    if (out) appendFileSync(out, `${line}\n`);
  };
  let failed = 0;
  for (const t of tests) {
    const started = performance.now();
    try {
      await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs, t.name);
      print(`ok     ${t.name} (${Math.round(performance.now() - started)} ms)`);
    } catch (err) {
      failed++;
      print(`FAILED ${t.name}\n${String((err as Error).stack ?? err).replace(/^/gm, '         ')}`);
    }
  }
  print(`${tests.length - failed} of ${tests.length} in-editor tests passed`);
  if (failed) throw new Error(`${failed} in-editor test(s) failed`);
}
