// Tests that build on each other, for the e2e files that walk one editor session through in order.
// (Its own module: the rest of the harness is also loaded by scripts/demo.mjs, outside node:test.)
import { it, type TestContext } from 'node:test';

/**
 * Tests that build on each other (one editor session walked through in order): once one fails,
 * the ones after it are skipped, naming it, since they would only fail for that reason.
 */
export class Chain {
  private broken: string | undefined;

  /** False, and the test skipped, when an earlier part of the chain failed. */
  open(t: TestContext): boolean {
    if (this.broken) t.skip(`an earlier step failed (${this.broken})`);
    return !this.broken;
  }

  /** Runs one part; its failure breaks the chain. */
  async run(part: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.broken ??= part;
      throw err;
    }
  }

  /** A test (node:test `it`) that is one part of the chain. */
  it(name: string, part: string, fn: () => Promise<void>): void {
    it(name, async (t) => {
      if (this.open(t)) await this.run(part, fn);
    });
  }

  /** The part that failed first, if any. */
  get failed(): string | undefined {
    return this.broken;
  }
}
