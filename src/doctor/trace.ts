// Trace Route: sends one probe request with a session's route key and a probe id into
// an entry Service, and reads where it went from the access records of the Devlane routers in the
// namespace. A Service with no router gets an observe-only hop for the trace: the same router a
// session puts in (zero routes, so every request goes to the original pods), switched in and out
// the same way, and written first into the session record's undo log as an `observe` entry owned by
// the trace's own participant (a Lease of its own): leaving takes the hops out, and when this
// process dies first, collecting its expired participant does.
// A Service the session routes with Istio has no router of the session: its VirtualService sends
// keyed requests to the copy's dev Service and the rest to the Service itself. So both get an
// observe hop, and a request the dev Service's hop records is one that reached the copy.
import { randomBytes } from 'node:crypto';
import type { ExecContext } from '../session/exec-context';
import { runStep } from '../session/executor';
import { getRecord, updateRecord } from '../session/record-store';
import { parseAnswer, readyRouterPods } from '../session/router-admin';
import { routerSteps } from '../session/router-plan';
import { findDeployment } from '../session/target';
import { apiTypes } from '../core/api-types';
import { sleep } from '../core/backoff';
import type { Json, KubeObject, Pod, Service } from '../core/resources';
import { matchesServiceSelector } from '../core/selectors';
import { SessionError } from '../core/session/errors';
import { devServiceName, devWorkloadName, recordName, routerName } from '../core/session/names';
import type { Step } from '../core/session/plan';
import type { SessionState, TakenOver } from '../core/session/record';
import { baggageKey, labels, managedBy, routeHeader } from '../core/session/route-contract';
import { accessLogFile, portProtocol, probeBaggageKey } from '../routing/nginx-config';
import { originalSelectorOf, pointsAtRouter } from '../routing/router';
import { type AccessRecord, parseAccessLog } from './records';
import { type Caller, type TraceResult, traceVerdict } from './verdict';

export interface TraceOptions {
  namespace: string;
  session: string;
  /** The Service the probe enters by. */
  entry: string;
  /** Path and query of the probe request (default `/`). */
  path?: string;
  routerImage?: string;
  /**
   * Called with the answer as soon as it is known, before the observe hops are taken out (which
   * takes as long again: each router drains before it goes), so a person reads it at once.
   */
  onVerdict?: (result: TraceResult) => void;
}

/**
 * The trace's own participant in the session (`Sessions` for the tracer's id, src/core/session/
 * participant.ts `tracerOf`): it joins with a Lease of its own and owns the observe hops, so that
 * leaving gives them back, and if this process dies, its Lease stops being renewed and whichever
 * Devlane collects expired participants (the editor's collector, `devlane gc`) gives them back.
 */
export interface Tracer {
  me(signal: AbortSignal): Promise<string>;
  join(session: string, signal: AbortSignal): Promise<{ heartbeat: { dispose(): void } }>;
  leave(session: string, signal: AbortSignal): Promise<{ refused?: string[] }>;
}

/** A path as a probe may carry it: starts with `/`, printable ASCII, no quote (it goes into a shell word). */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `"${path}" does not start with /`;
  if (!/^\/[\x21-\x7e]*$/.test(path) || path.includes("'"))
    return `"${path}" has spaces, quotes or non-ASCII characters`;
  return undefined;
}

/** Node's HTTP agent closes idle keep-alive connections after 5 s (Go's after 90 s: those calls may bypass a new hop). */
export const keepAliveIdleMs = 6000;

const invalid = (message: string, hint: string) => new SessionError('invalid', message, hint);

/**
 * The Services a trace can observe: with a selector, an address and an HTTP port (a probe's key
 * can only be seen in HTTP; a database's Service gets no hop in front of it), not made by Devlane.
 */
export function observable(svc: Service): boolean {
  const sel = originalSelectorOf(svc);
  return (
    Object.keys(sel).length > 0 &&
    (svc.spec?.ports ?? []).some((p) => portProtocol(p) !== 'tcp') &&
    !!svc.spec?.clusterIP &&
    svc.spec.clusterIP !== 'None' &&
    svc.metadata.labels?.[labels.managedBy] !== managedBy &&
    !svc.metadata.labels?.[labels.role]
  );
}

export async function traceSession(ctx: ExecContext, tracer: Tracer, o: TraceOptions): Promise<TraceResult> {
  const { api, signal } = ctx;
  const ns = o.namespace;
  const path = o.path ?? '/';
  const problem = pathProblem(path);
  if (problem)
    throw invalid(`Cannot send the probe to path ${problem}`, 'Nothing was changed. Pass --path /like/this.');
  const record = await getRecord(api, ns, o.session, signal);
  if (!record)
    throw new SessionError(
      'not-found',
      `Session "${o.session}" does not exist in namespace ${ns}`,
      'Nothing was changed. `devlane sessions` lists the sessions there.',
    );
  const held = record.state.services.filter((s) => !s.observe);
  if (held.length === 0)
    throw invalid(
      `Session "${o.session}" holds no service, so there is no copy for the probe to reach`,
      'Nothing was changed. Take a service over first (devlane start SERVICE --session NAME).',
    );
  const gateway = held.find((s) => s.strategy === 'gateway-api');
  if (gateway)
    throw new SessionError(
      'unsupported',
      `Session "${o.session}" routes ${gateway.service} with Gateway API, which routes only what enters through a Gateway; the probe enters by a Service in the namespace, so it could never reach the copy`,
      'Nothing was changed. Trace a session that uses the router or the istio strategy (devlane start --strategy router).',
    );
  const notLive = held.find((s) => s.state !== 'live');
  if (notLive)
    throw invalid(
      `${notLive.service} is still being set up (or rolled back) in session "${o.session}"`,
      'Nothing was changed. Wait until the session is live, then trace again.',
    );
  const listServices = () => api.list<Service>(apiTypes.service, ns, {}, signal);
  let all = await listServices();
  const services = all.filter(observable);
  const entry = services.find((s) => s.metadata.name === o.entry);
  if (!entry)
    throw invalid(
      `Service ${o.entry} does not exist in namespace ${ns}, or selects no pods`,
      `Nothing was changed. Pass --entry with one of: ${services.map((s) => s.metadata.name).join(', ') || '(no Service there)'}.`,
    );
  const participant = await tracer.me(signal);
  // A trace of ours that was interrupted before its Lease was collected: give its hops back first.
  if (record.state.participants.some((p) => p.name === participant)) {
    ctx.report('Taking out what an interrupted trace left');
    await leave(ctx, tracer, o.session);
    // Its hops are gone: the Services point at their own pods again.
    all = await listServices();
  }
  // A Service held by the router is observed by the session's router; one routed by Istio is not.
  const routed = new Set(held.filter((s) => s.strategy === 'router').map((s) => s.service));
  const unobserved: HopTarget[] = all
    .filter((s) => observable(s) && !pointsAtRouter(s) && !routed.has(s.metadata.name))
    .map((service) => ({ service }));
  const copies = await copyServices(
    ctx,
    ns,
    o.session,
    held.filter((s) => s.strategy === 'istio'),
  );
  const { heartbeat } = await tracer.join(o.session, signal);
  try {
    const joined = await getRecord(api, ns, o.session, signal);
    if (!joined) throw invalid(`Session "${o.session}" ended while the trace started`, 'Nothing is left changed.');
    const targets = [...unobserved, ...copies.map((c) => ({ service: c.dev, deployment: c.deployment }))];
    const hops = await putHops(ctx, joined.state, joined.cm.metadata.uid!, targets, participant, o);
    if (hops.length) {
      // A connection opened before a hop went in still goes straight to the pods (kube-proxy keeps
      // established connections), and putting the hops in made calls of its own (the router's
      // check of the original pods): let HTTP clients' idle keep-alive connections close first.
      ctx.report(`Waiting ${keepAliveIdleMs / 1000} s for connections opened before the observe hops to go idle`);
      await sleep(keepAliveIdleMs, signal);
    }
    const probe = randomBytes(8).toString('hex');
    ctx.report(`Sending probe ${probe} into ${o.entry}${path}`);
    const answer = await sendProbe(ctx, ns, entry, path, record.state.routeKey, probe);
    ctx.report(`The probe's answer: ${answer}`);
    const read = [...services, ...copies.map((c) => c.dev)];
    const facts = await readFacts(ctx, ns, read, probe);
    const result = traceVerdict({
      session: o.session,
      routeKey: record.state.routeKey,
      probe,
      entry: o.entry,
      copies: held.map((s) => s.service),
      observed: read.map((s) => s.metadata.name),
      copyFronts: Object.fromEntries(copies.map((c) => [c.dev.metadata.name, c.of])),
      ...facts,
    });
    o.onVerdict?.(result);
    if (hops.length) ctx.report('Taking the observe hops out');
    return result;
  } finally {
    heartbeat.dispose();
    await leave({ ...ctx, signal: AbortSignal.timeout(180_000) }, tracer, o.session);
  }
}

/** The tracer leaves the session: its observe hops are taken out (their undo, newest first), its Lease deleted. */
async function leave(ctx: ExecContext, tracer: Tracer, session: string): Promise<void> {
  const { refused } = await tracer.leave(session, ctx.signal);
  for (const r of refused ?? []) ctx.logger.warn(r);
}

type Workload = KubeObject & { spec?: Json };

/** A Service to put an observe hop in front of, and the workload behind it when already known. */
interface HopTarget {
  service: Service;
  deployment?: Workload;
}

/** The dev Service (and Deployment) of each Service the session routes with Istio: where its key goes. */
async function copyServices(
  ctx: ExecContext,
  ns: string,
  session: string,
  istio: TakenOver[],
): Promise<{ of: string; dev: Service; deployment: Workload }[]> {
  return Promise.all(
    istio.map(async (t) => {
      const [dev, deployment] = await Promise.all([
        ctx.api.tryGet<Service>(apiTypes.service, ns, t.devService, ctx.signal),
        ctx.api.tryGet<Workload>(apiTypes.deployment, ns, devWorkloadName(t.service, session), ctx.signal),
      ]);
      if (!dev || !deployment)
        throw new SessionError(
          'failed',
          `The copy of ${t.service} in session "${session}" has no ${dev ? 'Deployment' : `Service ${t.devService}`} in namespace ${ns}`,
          'Nothing was changed. Start the service again in this session (devlane start SERVICE --session NAME), then trace.',
        );
      return { of: t.service, dev, deployment };
    }),
  );
}

/**
 * A hop's router pods stay out of an Istio mesh: with a sidecar, the router's request to the
 * origin Service would be routed by its Host header (the original Service's name), through the
 * VirtualService, back to the router. Without one, the mesh's clients reach it in plain text and
 * it reaches the original pods by their Service's address, as in a namespace without a mesh.
 */
export function outsideMesh(step: Step): Step {
  if (step.kind !== 'create' || step.ref.type !== 'deployment') return step;
  const object = structuredClone(step.object) as Workload;
  const template = object.spec?.template;
  if (!template) return step;
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, 'sidecar.istio.io/inject': 'false' },
  };
  return { ...step, object };
}

/**
 * Observe hops in front of `targets`: each written into the record first (state starting, its
 * undo: release the router), then put in by the router plan's own steps without the route.
 */
async function putHops(
  ctx: ExecContext,
  state: SessionState,
  recordUid: string,
  targets: HopTarget[],
  owner: string,
  o: TraceOptions,
): Promise<TakenOver[]> {
  if (targets.length === 0) return [];
  const planned = await Promise.all(
    targets.map(async ({ service: svc, deployment: known }) => {
      const deployment = known ?? (await findDeployment(ctx.api, svc, ctx.signal));
      const { setup, route } = await routerSteps(
        ctx.api,
        {
          namespace: state.namespace,
          service: svc,
          deployment,
          copyLabels: deployment.spec?.template?.metadata?.labels ?? {},
          session: state.name,
          routeKey: state.routeKey,
          devService: devServiceName(svc.metadata.name, state.name),
          image: o.routerImage,
          record: { name: recordName(state.name), uid: recordUid },
        },
        ctx.signal,
      );
      const steps = [...setup, ...route]
        .filter((s) => !(s.kind === 'edit' && s.edit.kind === 'router.addRoute'))
        .map(outsideMesh);
      const entry: TakenOver = {
        service: svc.metadata.name,
        owner,
        workload: `Deployment/${deployment.metadata.name}`,
        devService: routerName(svc.metadata.name),
        strategy: 'router',
        state: 'starting',
        undo: steps.flatMap((s) => s.undo),
        observe: true,
      };
      return { entry, steps };
    }),
  );
  await updateRecord(
    ctx.api,
    state.namespace,
    state.name,
    (s) => {
      for (const { entry } of planned) {
        // A Service held by Istio has an entry already: its observe hop is an entry of its own.
        if (s.services.some((x) => x.service === entry.service && (x.observe || x.strategy === 'router')))
          throw invalid(
            `Service ${entry.service} is already in session "${state.name}"`,
            'Nothing was changed. Trace again once the session settles.',
          );
        s.services.push(entry);
      }
      return s;
    },
    ctx.signal,
  );
  const entries = planned.map((p) => p.entry);
  await Promise.all(
    planned.map(async ({ entry, steps }) => {
      ctx.report(`Putting an observe hop in front of ${entry.service}`);
      for (const step of steps) await runStep(ctx, step);
    }),
  );
  return entries;
}

/**
 * The probe, sent from one of the entry's router pods to the entry Service's own address (so it
 * goes the way any client's request goes): the session's key in both forms, the probe id as a
 * baggage member and a W3C traceparent. Returns the status line; the answer's body is not kept.
 */
async function sendProbe(
  ctx: ExecContext,
  ns: string,
  entry: Service,
  path: string,
  routeKey: string,
  probe: string,
): Promise<string> {
  const name = entry.metadata.name;
  const pods = await readyRouterPods(ctx, ns, name);
  if (pods.length === 0)
    throw new SessionError(
      'failed',
      `No Ready router pod in front of ${name} to send the probe from`,
      'Nothing is left changed. Check the router pods (kubectl get pods -l devlane.dev/role=router), then trace again.',
    );
  const port = entry.spec?.ports?.[0]?.port ?? 80;
  const host = entry.spec!.clusterIP!;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  const traceparent = `00-${probe}${randomBytes(8).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  const headers = [
    `${routeHeader}: ${routeKey}`,
    `baggage: ${baggageKey}=${routeKey},${probeBaggageKey}=${probe}`,
    `traceparent: ${traceparent}`,
  ];
  const curlH = headers.map((h) => `-H '${h}'`).join(' ');
  const wgetH = headers.map((h) => `--header '${h}'`).join(' ');
  const script = `if command -v curl >/dev/null 2>&1; then curl -sS -o /dev/null -D - --max-time 30 ${curlH} '${url}'; else wget -S -q -O /dev/null -T 30 ${wgetH} '${url}' 2>&1; fi`;
  const r = await ctx.api.exec(ns, pods[0].metadata.name, 'router', ['sh', '-c', script], ctx.signal);
  const answer = parseAnswer(r.stdout);
  return answer ? `HTTP ${answer.status}` : `no answer (${(r.stderr || r.stdout).trim().slice(0, 200) || 'nothing'})`;
}

/** Every observed Service's router records, and who each pod address in the namespace is. */
async function readFacts(
  ctx: ExecContext,
  ns: string,
  services: Service[],
  probe: string,
): Promise<{ records: AccessRecord[]; whois: (address: string) => Caller | undefined }> {
  let records: AccessRecord[] = [];
  // A router writes its record as the answer ends: the entry's may trail the probe's answer by a moment.
  for (let attempt = 0; attempt < 3; attempt++) {
    const per = await Promise.all(
      services.map(async (svc) => {
        const pods = await readyRouterPods(ctx, ns, svc.metadata.name);
        const texts = await Promise.all(
          pods.map(async (p) => {
            const r = await ctx.api.exec(
              ns,
              p.metadata.name,
              'router',
              [
                'sh',
                '-c',
                `tail -c 1048576 ${accessLogFile}.1 2>/dev/null; tail -c 1048576 ${accessLogFile} 2>/dev/null; true`,
              ],
              ctx.signal,
            );
            return parseAccessLog(r.stdout, { service: svc.metadata.name, pod: p.metadata.name });
          }),
        );
        return texts.flat();
      }),
    );
    records = per.flat();
    if (records.some((r) => r.probe === probe)) break;
    await sleep(500, ctx.signal);
  }
  const pods = await ctx.api.list<Pod>(apiTypes.pod, ns, {}, ctx.signal);
  const byAddress = new Map<string, Caller>();
  for (const p of pods) {
    const ip = p.status?.podIP;
    if (!ip) continue;
    const l = p.metadata.labels ?? {};
    const role = l[labels.role];
    if (role === 'router' && l[labels.service]) {
      byAddress.set(ip, { service: l[labels.service], pod: p.metadata.name, proxy: true });
      continue;
    }
    if (role === 'dev' && l[labels.service]) {
      byAddress.set(ip, { service: l[labels.service], pod: p.metadata.name, copy: true });
      continue;
    }
    const svc = services.find((s) => matchesServiceSelector(originalSelectorOf(s), l));
    if (svc) byAddress.set(ip, { service: svc.metadata.name, pod: p.metadata.name });
  }
  const loopback = /^(127\.|::1$|::ffff:127\.)/;
  return {
    records,
    whois: (address) => (loopback.test(address) ? { service: '', pod: '', proxy: true } : byAddress.get(address)),
  };
}
