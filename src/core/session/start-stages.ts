// What a person is told while a session starts: the stage it is in (checks, copy, route), how long
// each took, and the latest step in plain words. The session layer marks its own finer phases
// (plan, preflight, confirm, dryRun, record, copyReady, routeLive: StartResult.phases); each stage
// here ends at one of them. Pure: the caller gives the clock.

export type StartStage = 'checks' | 'copy' | 'route';

export const stageTitles: Record<StartStage, string> = { checks: 'checks', copy: 'copy', route: 'route' };
const order: StartStage[] = ['checks', 'copy', 'route'];

/** The session layer's phase mark that ends each stage (see Sessions.start). */
const endsStage: Record<string, StartStage | undefined> = { dryRun: 'checks', copyReady: 'copy', routeLive: 'route' };

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class StartStages {
  private readonly done: { stage: StartStage; ms: number }[] = [];
  private since: number;
  private step: string | undefined;

  constructor(private readonly now: () => number) {
    this.since = now();
  }

  /** The stage under way; undefined once the route is live. */
  get current(): StartStage | undefined {
    return order[this.done.length];
  }

  /** A phase mark from the session layer (any name; only the ones that end a stage count). */
  mark(phase: string): void {
    const stage = endsStage[phase];
    if (!stage || stage !== this.current) return;
    const t = this.now();
    this.done.push({ stage, ms: t - this.since });
    this.since = t;
    this.step = undefined;
  }

  /** The latest step of the current stage, as the session layer reported it. */
  report(step: string): void {
    this.step = step;
  }

  /** One line for the progress notification: the stages done with their times, the current one with its time so far, and its latest step. */
  message(): string {
    const parts = this.done.map((d) => `${stageTitles[d.stage]} ${seconds(d.ms)} ✓`);
    const cur = this.current;
    if (cur) parts.push(`${stageTitles[cur]} ${seconds(this.now() - this.since)}…`);
    return `${parts.join(' · ')}${cur && this.step ? ` — ${this.step}` : ''}`;
  }
}

/** The stages' times from a finished start's phases (StartResult.phases), e.g. "checks 0.4 s · copy 3.1 s · route 1.7 s". */
export function stageSummary(phases: Readonly<Record<string, number>>): string | undefined {
  const totals: Partial<Record<StartStage, number>> = {};
  let stage = 0;
  for (const [name, ms] of Object.entries(phases)) {
    const s = order[stage];
    if (!s) break;
    totals[s] = (totals[s] ?? 0) + ms;
    if (endsStage[name] === s) stage++;
  }
  if (stage < order.length) return undefined;
  return order.map((s) => `${stageTitles[s]} ${seconds(totals[s] ?? 0)}`).join(' · ');
}
