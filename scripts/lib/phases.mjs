// The demo's phases and how long each took, printed as each ends and once more at the end, so a
// slow first run says where its time went. Figures are printed, never compared to a limit.

/** @param {() => number} now */
export function phaseClock(now = () => Date.now()) {
  const started = now();
  /** @type {{ name: string, ms?: number, note?: string }[]} */
  const phases = [];
  return {
    /** Starts a phase; the returned function ends it and returns its line. */
    start(/** @type {string} */ name) {
      const t0 = now();
      return () => {
        const ms = now() - t0;
        phases.push({ name, ms });
        return `${name}: ${seconds(ms)}`;
      };
    },
    /** A phase that had nothing to do this run. */
    skip(/** @type {string} */ name, /** @type {string} */ note) {
      phases.push({ name, note });
    },
    summary() {
      const parts = phases.map((p) =>
        p.ms === undefined ? `${p.name} skipped (${p.note})` : `${p.name} ${seconds(p.ms)}`,
      );
      return `phases: ${parts.join(', ')}; total ${seconds(now() - started)}`;
    },
  };
}

const seconds = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;
