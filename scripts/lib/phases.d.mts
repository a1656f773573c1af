// Types of phases.mjs, for the unit test that imports it.
export function phaseClock(now?: () => number): {
  start(name: string): () => string;
  skip(name: string, note: string): void;
  summary(): string;
};
