// Where Trace Route's probe enters: a Service named by the user, the Service an Ingress named by
// the user sends the probe's path to, or, when none is named, the one the namespace itself points
// at. The inference (pure, `inferEntry`) asks, in order, and stops at the first question with an
// answer:
//   1. Which Services do the namespace's Ingresses send the path to? (what outside traffic reaches)
//   2. Which Services are of type LoadBalancer or NodePort? (reachable from outside without an Ingress)
//   3. Which Services does no other workload name in its environment (`http://catalog`,
//      `catalog.shop.svc:80`)? (nothing in the namespace is known to call them, so clients outside do)
// A question with several answers is narrowed by the third; if still more than one, or no question
// has an answer, the trace fails listing the choices, having changed nothing. Static facts only:
// reading the routers' access records would need hops in place first, which the trace must not
// put in before it knows where to send the probe.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { type IngressObject, ingressBackend, ingressHosts } from '../core/ingress';
import type { KubeObject, Service } from '../core/resources';
import { matchesServiceSelector } from '../core/selectors';
import { SessionError } from '../core/session/errors';
import { labels } from '../core/session/route-contract';
import { originalSelectorOf } from '../routing/router';
import { observable } from './trace';

/** The entry the probe is sent to, and why it is that one (shown to the user). */
export interface EntryChoice {
  service: string;
  /** The Ingress that led to it, when one did. */
  ingress?: string;
  reason: string;
}

/** A workload as far as the inference reads it: its pod template's labels and literal env values. */
export interface TemplateWorkload extends KubeObject {
  spec?: {
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { containers?: { env?: { value?: string }[] }[] };
    };
  };
}

export interface EntryFacts {
  namespace: string;
  /** The Services a probe can enter by (the trace's `observable` ones). */
  services: Service[];
  ingresses: IngressObject[];
  workloads: TemplateWorkload[];
}

/** The Services and Ingresses a user may send requests into (Devlane's own Services left out). */
export async function listEntryPoints(
  api: ObjectApi,
  namespace: string,
  signal: AbortSignal,
): Promise<{ services: Service[]; ingresses: IngressObject[] }> {
  const [services, ingresses] = await Promise.all([
    api.list<Service>(apiTypes.service, namespace, {}, signal),
    // Not every user may read Ingresses, and not every cluster serves them: then Services only.
    api.list<IngressObject>(apiTypes.ingress, namespace, {}, signal).catch(() => [] as IngressObject[]),
  ]);
  return { services: services.filter((s) => !s.metadata.labels?.[labels.role]), ingresses };
}

/** What the inference reads; `observable` is the trace's filter for Services it can enter by. */
export async function readEntryFacts(
  api: ObjectApi,
  namespace: string,
  observable: (s: Service) => boolean,
  signal: AbortSignal,
): Promise<EntryFacts> {
  const [{ services, ingresses }, workloads] = await Promise.all([
    listEntryPoints(api, namespace, signal),
    api.list<TemplateWorkload>(apiTypes.deployment, namespace, {}, signal).catch(() => [] as TemplateWorkload[]),
  ]);
  return { namespace, services: services.filter(observable), ingresses, workloads };
}

/** The Services an Ingress sends `path` to, for any of its hosts (or none), in order, once each. */
export function ingressTargets(ing: IngressObject, path: string): string[] {
  const hosts = [...ingressHosts(ing), undefined];
  const found = hosts.map((h) => ingressBackend(ing, h, path)?.service).filter((s): s is string => !!s);
  return [...new Set(found)];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether an env value names the Service as a host: `http://NAME`, `NAME:80`, `NAME.ns.svc`, or just `NAME`. */
export function namesService(value: string, service: string): boolean {
  return new RegExp(`(^|[/@=,\\s])${escapeRe(service)}([.:/,\\s]|$)`).test(value);
}

/** The Services no workload other than their own names in its environment. */
export function uncalled(facts: EntryFacts, among: Service[] = facts.services): Service[] {
  return among.filter((svc) => {
    const selector = originalSelectorOf(svc);
    return !facts.workloads.some((w) => {
      const template = w.spec?.template;
      if (matchesServiceSelector(selector, template?.metadata?.labels ?? {})) return false;
      const values = (template?.spec?.containers ?? []).flatMap((c) => (c.env ?? []).map((e) => e.value ?? ''));
      return values.some((v) => namesService(v, svc.metadata.name));
    });
  });
}

export type Inference =
  | { entry: EntryChoice }
  /** No single answer: the candidates to list, and why there was none. */
  | { entry?: undefined; candidates: string[]; why: string };

export function inferEntry(facts: EntryFacts, path: string): Inference {
  const byName = new Map(facts.services.map((s) => [s.metadata.name, s]));
  const names = (list: Service[]) => list.map((s) => s.metadata.name);
  const pick = (found: Service[], reason: (s: Service) => string): Inference | undefined => {
    if (found.length === 0) return undefined;
    const narrowed = found.length > 1 ? uncalled(facts, found) : found;
    if (narrowed.length === 1) return { entry: { service: narrowed[0].metadata.name, reason: reason(narrowed[0]) } };
    return {
      candidates: names(found),
      why: `${names(found).join(', ')} could each be where clients' requests for ${path} arrive`,
    };
  };
  const viaIngress = new Map<string, string>();
  for (const ing of facts.ingresses)
    for (const svc of ingressTargets(ing, path))
      if (byName.has(svc) && !viaIngress.has(svc)) viaIngress.set(svc, ing.metadata.name);
  const fromIngress = pick(
    [...viaIngress.keys()].map((n) => byName.get(n)!),
    (s) => `Ingress ${viaIngress.get(s.metadata.name)} sends ${path} to it`,
  );
  if (fromIngress?.entry) fromIngress.entry.ingress = viaIngress.get(fromIngress.entry.service);
  const exposed = facts.services.filter((s) => s.spec?.type === 'LoadBalancer' || s.spec?.type === 'NodePort');
  return (
    fromIngress ??
    pick(exposed, (s) => `the Service of type ${s.spec?.type} in the namespace`) ??
    pick(uncalled(facts), () => 'the one Service that no other workload in the namespace names in its environment') ?? {
      candidates: names(facts.services),
      why: 'every Service is named in another workload\u2019s environment',
    }
  );
}

const invalid = (message: string, hint: string) => new SessionError('invalid', message, hint);

const choicesHint = (services: string[], ingresses: IngressObject[]) =>
  `Nothing was changed. Pass --entry with one of: ${
    [...services, ...ingresses.map((i) => `ingress/${i.metadata.name}`)].join(', ') || '(no Service there)'
  }.`;

/** The entry for a trace: `given` as `SERVICE`, `service/SERVICE` or `ingress/NAME`, else inferred. */
export function chooseEntry(facts: EntryFacts, given: string | undefined, path: string): EntryChoice {
  const services = facts.services.map((s) => s.metadata.name);
  if (!given) {
    const inferred = inferEntry(facts, path);
    if (inferred.entry) return inferred.entry;
    throw invalid(
      `Cannot tell where the probe should enter: ${inferred.why}`,
      choicesHint(inferred.candidates.length ? inferred.candidates : services, facts.ingresses),
    );
  }
  const ingressName = /^(ingress|ing)\//i.exec(given) ? given.slice(given.indexOf('/') + 1) : undefined;
  if (ingressName === undefined) {
    const name = given.replace(/^(service|svc)\//i, '');
    if (!services.includes(name))
      throw invalid(
        `Service ${name} does not exist in namespace ${facts.namespace}, or selects no pods`,
        choicesHint(services, facts.ingresses),
      );
    return { service: name, reason: 'named with --entry' };
  }
  const ing = facts.ingresses.find((i) => i.metadata.name === ingressName);
  if (!ing)
    throw invalid(
      `Ingress ${ingressName} does not exist in namespace ${facts.namespace} (or cannot be read)`,
      choicesHint(services, facts.ingresses),
    );
  const targets = ingressTargets(ing, path);
  if (targets.length === 0)
    throw invalid(`Ingress ${ingressName} sends ${path} to no Service`, choicesHint(services, facts.ingresses));
  if (targets.length > 1)
    throw invalid(
      `Ingress ${ingressName} sends ${path} to ${targets.join(' or ')}, depending on the host`,
      `Nothing was changed. Pass --entry with the Service to enter by: ${targets.join(', ')}.`,
    );
  if (!services.includes(targets[0]))
    throw invalid(
      `Ingress ${ingressName} sends ${path} to Service ${targets[0]}, which does not exist or selects no pods`,
      choicesHint(services, facts.ingresses),
    );
  return { service: targets[0], ingress: ingressName, reason: `Ingress ${ingressName} sends ${path} to it` };
}

/** `web (Ingress shop sends /api/products to it)` */
export const entryText = (e: EntryChoice) => `${e.service} (${e.reason})`;

/** Reads the namespace and chooses the entry (see chooseEntry); changes nothing. */
export async function resolveEntry(
  api: ObjectApi,
  namespace: string,
  given: string | undefined,
  path: string,
  signal: AbortSignal,
): Promise<EntryChoice> {
  return chooseEntry(await readEntryFacts(api, namespace, observable, signal), given, path);
}
