// What a trace found, from the access records of every observed Service: where the probe went,
// with or without the session's key, who called whom, and the one sentence that names the hop
// that dropped the key. Pure, so every case is unit-tested.
import { type AccessRecord, carriesKey } from './records';

/** Who a source address belongs to, as the cluster says (src/doctor/trace.ts). */
export interface Caller {
  /** The Service whose pods include it. */
  service: string;
  pod: string;
  /** A session's developer copy: a pod of its own, so a call from it is this session's. */
  copy?: boolean;
  /** A proxy's address (one of Devlane's router pods, or loopback: a node-local forwarder or sidecar in between): it says nothing about who called. */
  proxy?: boolean;
}

/** certain: the caller is a session's copy (its pod serves only this session's requests); likely: an original pod at the time, or the time alone. */
export type Certainty = 'certain' | 'likely';

export interface Hop {
  /** The Service called. */
  service: string;
  /** Who called it: `probe` for the entry, else a Service; undefined when nothing tells. */
  from?: string;
  /** How the caller was found: its address, or the probe's time window alone. */
  by?: 'address' | 'time';
  certainty: Certainty;
  /** Whether the request carried the session's key. */
  key: boolean;
  /** The session's copy answered it (the router sent it to the session). */
  copy: boolean;
  status: number;
}

export interface TraceFacts {
  session: string;
  routeKey: string;
  probe: string;
  entry: string;
  /** The Services the session holds: where the probe must reach the copy. */
  copies: string[];
  /** The Services whose routers were read. */
  observed: string[];
  /**
   * Observed Services that stand for a copy, each with the Service it is the copy of: the dev
   * Service a mesh's VirtualService sends the session's key to. A request recorded there reached the copy.
   */
  copyFronts?: Record<string, string>;
  records: AccessRecord[];
  whois: (address: string) => Caller | undefined;
}

export interface TraceResult {
  session: string;
  probe: string;
  entry: string;
  observed: string[];
  /** Every request the probe caused, in the order they came in. */
  hops: Hop[];
  /** Per Service the session holds: whether the probe reached its copy with the key. */
  copies: { service: string; reached: boolean }[];
  ok: boolean;
  /** The hop that dropped the key, when one is known. */
  dropped?: { from: string; to: string; certainty: Certainty; by: 'address' | 'time' };
  sentence: string;
}

/** Clocks of different router pods (nodes) differ a little: a call is inside its caller's request within this much. */
export const windowSlackMs = 1000;

const inside = (inner: AccessRecord, outer: AccessRecord, slack = windowSlackMs) =>
  inner.start >= outer.start - slack && inner.end <= outer.end + slack;

/**
 * Who made the request `r`: its source address, when that is a pod of another Service. When the
 * address says nothing (a proxy's: a router pod, or loopback as in the sandbox), the
 * innermost probe request around it in time: one that contains it outright, else within the slack
 * allowed for clocks. An address that is no pod of the namespace is someone else's traffic.
 */
function attribute(
  r: AccessRecord,
  probeRecords: AccessRecord[],
  whois: TraceFacts['whois'],
): Pick<Hop, 'from' | 'by' | 'certainty'> {
  const caller = whois(r.from);
  if (caller && !caller.proxy && caller.service !== r.service)
    return { from: caller.service, by: 'address', certainty: caller.copy ? 'certain' : 'likely' };
  if (!caller) return { certainty: 'likely' };
  const others = probeRecords.filter((p) => p !== r && p.service !== r.service);
  const innermost = (slack: number) => others.filter((p) => inside(r, p, slack)).sort((a, b) => b.start - a.start)[0];
  const around = innermost(0) ?? innermost(windowSlackMs);
  if (around) return { from: around.service, by: 'time', certainty: 'likely' };
  return { certainty: 'likely' };
}

/** A record of a copy's own Service, as the Service it is the copy of would have recorded it: sent to the session. */
function atCopy(r: AccessRecord, f: TraceFacts): AccessRecord {
  const of = f.copyFronts?.[r.service];
  return of ? { ...r, service: of, session: f.session } : r;
}

export function traceVerdict(facts: TraceFacts): TraceResult {
  const f = { ...facts, records: facts.records.map((r) => atCopy(r, facts)) };
  const probeRecords = f.records.filter((r) => r.probe === f.probe).sort((a, b) => a.start - b.start);
  const base = { session: f.session, probe: f.probe, entry: f.entry, observed: f.observed };
  const entryRecord = probeRecords.find((r) => r.service === f.entry);
  if (!entryRecord) {
    return {
      ...base,
      hops: [],
      copies: f.copies.map((service) => ({ service, reached: false })),
      ok: false,
      sentence: `The probe was not seen arriving at ${f.entry}, so nothing can be said about the hops after it`,
    };
  }
  // The requests without the probe id that the probe's hops made: key-less calls within the probe's window.
  const window = { start: entryRecord.start, end: Math.max(...probeRecords.map((r) => r.end)) };
  const keyless = f.records.filter(
    (r) =>
      r.probe !== f.probe &&
      !carriesKey(r, f.routeKey) &&
      r.start >= window.start - windowSlackMs &&
      r.end <= window.end + windowSlackMs,
  );
  const hops: Hop[] = [];
  for (const r of [...probeRecords, ...keyless].sort((a, b) => a.start - b.start)) {
    const who =
      r === entryRecord
        ? { from: 'probe', by: 'address' as const, certainty: 'certain' as const }
        : attribute(r, probeRecords, f.whois);
    const key = carriesKey(r, f.routeKey);
    // A key-less request counts only when a hop of the probe made it; anyone else's traffic is not
    // the probe's. Found by time alone, it counts only where the probe never arrived with the key:
    // elsewhere it is as likely to be other traffic that came in meanwhile.
    if (r.probe !== f.probe) {
      if (!(who.from && probeRecords.some((p) => p.service === who.from))) continue;
      if (who.by === 'time' && probeRecords.some((p) => p.service === r.service && carriesKey(p, f.routeKey))) continue;
    }
    hops.push({ service: r.service, ...who, key, copy: key && r.session === f.session, status: r.status });
  }
  const copies = f.copies.map((service) => ({
    service,
    reached: hops.some((h) => h.service === service && h.copy),
  }));
  const ok = copies.every((c) => c.reached);
  const path = pathText(hops);
  if (ok)
    return {
      ...base,
      hops,
      copies,
      ok,
      sentence: `The probe reached ${copies.map((c) => `the copy of ${c.service}`).join(' and ')} with the key: ${path}`,
    };
  // The first key-less call made by a Service that had received the key.
  const keyedAt = (service: string) => hops.some((h) => h.service === service && h.key);
  const drop = hops.find((h) => !h.key && h.from && h.from !== 'probe' && keyedAt(h.from));
  const missed = copies.filter((c) => !c.reached).map((c) => c.service);
  if (drop?.from) {
    const how =
      drop.certainty === 'certain'
        ? ''
        : drop.by === 'address'
          ? ` (likely: the call came from a pod of ${drop.from} while it handled the probe)`
          : ` (likely: a call without the key reached ${drop.service} while ${drop.from} handled the probe; the source address did not say who sent it)`;
    return {
      ...base,
      hops,
      copies,
      ok,
      dropped: { from: drop.from, to: drop.service, certainty: drop.certainty, by: drop.by ?? 'time' },
      sentence: `${drop.from} received the key but called ${drop.service} without it${how}`,
    };
  }
  const lastKeyed = [...hops].reverse().find((h) => h.key);
  return {
    ...base,
    hops,
    copies,
    ok,
    sentence: `The probe did not reach the copy of ${missed.join(' or ')}${
      lastKeyed ? `; the last Service seen with the key was ${lastKeyed.service}` : ''
    }, and no call without the key was seen there either: check that the Services on the way call it for this path`,
  };
}

/** `probe → web (key ✓) → catalog (key ✓) → ratings (key ✗)` */
export function pathText(hops: Hop[]): string {
  return hops
    .map((h) => `${h.from ?? '?'} → ${h.service}${h.copy ? ' copy' : ''} (key ${h.key ? '✓' : '✗'})`)
    .filter((line, i, all) => all.indexOf(line) === i)
    .join(', ');
}

/** The result as the CLI prints it: one line per distinct call, the copies, and the sentence. */
export function renderTrace(r: TraceResult): string {
  const lines = [`Trace of session ${r.session} (probe ${r.probe}), entering through ${r.entry}:`];
  const seen = new Set<string>();
  for (const h of r.hops) {
    const line = `  ${h.from ?? '(unknown caller)'} → ${h.service}${h.copy ? ' copy' : ''}  key ${h.key ? '✓' : '✗'}  ${h.status}${
      h.from && h.from !== 'probe' && h.certainty === 'likely' ? `  (caller likely, by ${h.by})` : ''
    }`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  for (const c of r.copies) if (!c.reached) lines.push(`  ${c.service} copy: not reached`);
  lines.push(r.sentence);
  return lines.join('\n');
}
