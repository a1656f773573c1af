// What a person is told while a session starts: the stages under way (checks, copy, route), how long
// each took, and the latest step in plain words. The session layer marks its own finer phases
// (plan, preflight, confirm, dryRun, record, routeStart, routeReady, copyReady, routeLive:
// StartResult.phases); each stage starts and ends at one of them. The copy and the route may run
// at the same time (the router strategy sets up its route while the copy starts), so each stage is
// timed from its own start. Pure: the caller gives the clock.

export type StartStage = 'checks' | 'copy' | 'route';

export const stageTitles: Record<StartStage, string> = { checks: 'checks', copy: 'copy', route: 'route' };
const order: StartStage[] = ['checks', 'copy', 'route'];

/** The session layer's phase marks that start and end each stage (see Sessions.start). The route
 *  starts at routeStart; a start that marks none (an older shape) routes after the copy. */
const startsAt: Record<StartStage, string | undefined> = { checks: undefined, copy: 'dryRun', route: 'routeStart' };
const endsAt: Record<StartStage, string> = { checks: 'dryRun', copy: 'copyReady', route: 'routeReady' };
/** The whole start is done: the session is live. */
const liveAt = 'routeLive';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** When each stage started and ended, from the time of each phase mark. */
function spans(at: ReadonlyMap<string, number>, origin: number): { stage: StartStage; from?: number; to?: number }[] {
  return order.map((stage) => {
    const start = startsAt[stage];
    const from =
      start === undefined ? origin : (at.get(start) ?? (stage === 'route' ? at.get('copyReady') : undefined));
    const to = at.get(endsAt[stage]) ?? (stage === 'route' ? at.get(liveAt) : undefined);
    return { stage, from, to: from === undefined ? undefined : to };
  });
}

export class StartStages {
  private readonly at = new Map<string, number>();
  private readonly origin: number;
  private step: string | undefined;

  constructor(private readonly now: () => number) {
    this.origin = now();
  }

  /** The first stage still under way, in display order; undefined once the session is live. */
  get current(): StartStage | undefined {
    if (this.at.has(liveAt)) return undefined;
    return spans(this.at, this.origin).find((s) => s.to === undefined)?.stage;
  }

  /** A phase mark from the session layer (any name; only those that start or end a stage count; the first of each counts). */
  mark(phase: string): void {
    if (!this.at.has(phase)) this.at.set(phase, this.now());
  }

  /** The latest step, as the session layer reported it. */
  report(step: string): void {
    this.step = step;
  }

  /** One line for the progress notification: each stage started, done with its time or under way with its time so far, then the latest step. */
  message(): string {
    const t = this.now();
    const live = this.at.has(liveAt);
    const parts = spans(this.at, this.origin).flatMap(({ stage, from, to }) =>
      from === undefined
        ? []
        : to !== undefined || live
          ? [`${stageTitles[stage]} ${seconds((to ?? t) - from)} ✓`]
          : [`${stageTitles[stage]} ${seconds(t - from)}…`],
    );
    return `${parts.join(' · ')}${!live && this.step ? ` — ${this.step}` : ''}`;
  }
}

/** Each stage's time in milliseconds from a finished start's phases (StartResult.phases: each the
 *  time since the mark before it), and whether the route was set up while the copy started;
 *  undefined for a start that did not go live. */
export function stageTimes(
  phases: Readonly<Record<string, number>>,
): { ms: Record<StartStage, number>; alongside: boolean } | undefined {
  if (!(liveAt in phases)) return undefined;
  const at = new Map<string, number>();
  let sum = 0;
  for (const [name, ms] of Object.entries(phases)) at.set(name, (sum += ms));
  const s = spans(at, 0);
  if (s.some((x) => x.from === undefined || x.to === undefined)) return undefined;
  const ms = Object.fromEntries(s.map(({ stage, from, to }) => [stage, to! - from!])) as Record<StartStage, number>;
  return { ms, alongside: (at.get('routeStart') ?? Infinity) < (at.get('copyReady') ?? 0) };
}

/** The stages' times, e.g. "checks 0.4 s · copy 3.1 s · route 1.7 s", with "(route set up alongside the copy)" when it was. */
export function stageSummary(phases: Readonly<Record<string, number>>): string | undefined {
  const t = stageTimes(phases);
  if (!t) return undefined;
  return order
    .map((stage) => `${stageTitles[stage]} ${seconds(t.ms[stage])}`)
    .join(' · ')
    .concat(t.alongside ? ' (route set up alongside the copy)' : '');
}
