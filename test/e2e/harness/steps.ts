// The suite's steps as a person performs them: each is timed (printed, never asserted) and,
// when it fails, leaves a screenshot of the workbench in test-results/e2e/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { RESULTS_DIR } from './paths';

export interface StepTiming {
  step: string;
  ms: number;
  ok: boolean;
}

export class Steps {
  readonly timings: StepTiming[] = [];

  constructor(
    private readonly suite: string,
    private readonly page: () => Page | undefined,
  ) {}

  /** Runs one user-visible step; on failure saves a screenshot and rethrows with its path. */
  async step<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await fn();
      this.timings.push({ step: title, ms: performance.now() - started, ok: true });
      return result;
    } catch (err) {
      this.timings.push({ step: title, ms: performance.now() - started, ok: false });
      const shot = await this.screenshot(title);
      const e = err as Error;
      e.message = `${title}: ${e.message}${shot ? `\n  screenshot: ${shot}` : ''}`;
      throw e;
    }
  }

  private async screenshot(title: string): Promise<string | undefined> {
    const page = this.page();
    if (!page || page.isClosed()) return undefined;
    mkdirSync(RESULTS_DIR, { recursive: true });
    const slug = `${this.suite}-${this.timings.length}-${title}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 100);
    const path = join(RESULTS_DIR, `${slug}.png`);
    try {
      await page.screenshot({ path, fullPage: true });
      return path;
    } catch {
      return undefined;
    }
  }

  /** The figures, one line a step, for the test's output. */
  report(): string {
    const width = Math.max(...this.timings.map((t) => t.step.length), 4);
    return [
      `${this.suite}: time per step (measured, not asserted)`,
      ...this.timings.map(
        (t) => `  ${t.step.padEnd(width)}  ${(t.ms / 1000).toFixed(2).padStart(7)} s${t.ok ? '' : '  (failed)'}`,
      ),
    ].join('\n');
  }
}
