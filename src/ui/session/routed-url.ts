// Open Routed URL: a local proxy on 127.0.0.1 in front of a Service, or of an Ingress's rules for
// one host, that adds the session's route key to every request (src/proxy/routed-proxy.ts); one
// proxy per session and target, kept while this window is in the session. Here: picking the target,
// starting or reusing its proxy, and opening the URL.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { type IngressObject, ingressHosts, ingressServices } from '../../core/ingress';
import type { Logger } from '../../core/logger';
import { listEntryPoints } from '../../doctor/entry';
import { RoutedProxy } from '../../proxy/routed-proxy';
import type { ActiveSessions } from '../../sessionview/active';
import { type SessionRef, sessionKey } from '../../sessionview/refs';
import type { SessionsWatch } from '../../sessionview/watch';

export interface RoutedUrlDeps {
  clusters: Clusters;
  logger: Logger;
  active: ActiveSessions;
  watch: SessionsWatch;
  /** The session's route key, from the watch or the record. */
  routeKey: (ref: SessionRef) => Promise<string>;
  /** Joins the session (the proxy lives as long as this window is in it). */
  join: (ref: SessionRef) => Promise<void>;
}

/** Where Open Routed URL sends requests: a Service, or an Ingress's rules. */
type RoutedTarget =
  { kind: 'service'; name: string } | { kind: 'ingress'; name: string; object: IngressObject; host?: string };

export class RoutedUrls {
  private readonly proxies = new Map<string, Promise<RoutedProxy>>();

  constructor(private readonly deps: RoutedUrlDeps) {}

  /** Opens the routed URL for `service`, or for a Service or Ingress the user picks; joins first if needed. */
  async open(ref: SessionRef, service?: string): Promise<void> {
    if (!this.deps.active.get(ref)?.joined) {
      const join = 'Join Session';
      if (
        (await vscode.window.showInformationMessage(
          `Open a routed URL in session ${ref.session}: join it first?`,
          { modal: true, detail: 'The local proxy lives as long as you are in the session.' },
          join,
        )) !== join
      )
        return;
      await this.deps.join(ref);
    }
    const target: RoutedTarget | undefined = service ? { kind: 'service', name: service } : await this.pickTarget(ref);
    if (!target) return;
    const what =
      target.kind === 'service' ? target.name : `Ingress ${target.name}${target.host ? ` (${target.host})` : ''}`;
    const key = `${sessionKey(ref)}/${target.kind}/${target.name}/${target.kind === 'ingress' ? (target.host ?? '') : ''}`;
    let proxy = this.proxies.get(key);
    if (!proxy) {
      const conn = this.deps.clusters.connection(ref.context);
      const routeKey = await this.deps.routeKey(ref);
      proxy = RoutedProxy.start({
        cluster: conn,
        namespace: ref.namespace,
        service: target.name,
        ...(target.kind === 'ingress' ? { ingress: { object: target.object, host: target.host } } : {}),
        routeKey,
        devService: (svc) =>
          this.deps.watch.get(ref)?.services.find((s) => s.service === svc && s.state === 'live')?.devService,
        logger: this.deps.logger,
      });
      this.proxies.set(key, proxy);
      proxy.then(
        (p) => this.deps.active.own(ref, { dispose: () => (p.dispose(), this.proxies.delete(key)) }),
        () => this.proxies.delete(key),
      );
    }
    const url = (await proxy).url;
    this.deps.active.setProxyUrl(ref, url, target.kind === 'service' ? target.name : undefined);
    await vscode.env.openExternal(vscode.Uri.parse(url));
    const copy = 'Copy URL';
    if (
      (await vscode.window.showInformationMessage(
        `Routed URL for ${what} (session ${ref.session}): ${url}. Every request through it carries the route key. It closes when you leave the session.`,
        copy,
      )) === copy
    ) {
      await vscode.env.clipboard.writeText(url);
    }
  }

  /** A Service, or an Ingress (and which of its hosts) to stand in for. */
  private async pickTarget(ref: SessionRef): Promise<RoutedTarget | undefined> {
    const view = this.deps.watch.get(ref);
    const conn = this.deps.clusters.connection(ref.context);
    const { services, ingresses } = await listEntryPoints(conn.objects, ref.namespace, AbortSignal.timeout(30_000));
    const held = new Set(view?.services.map((s) => s.service));
    type Item = vscode.QuickPickItem & { target?: RoutedTarget };
    const serviceItems: Item[] = services
      .map((s) => ({
        label: s.metadata.name,
        description: held.has(s.metadata.name) ? 'taken over in this session' : '',
        target: { kind: 'service' as const, name: s.metadata.name },
      }))
      .sort((a, b) => Number(!!b.description) - Number(!!a.description));
    const ingressItems: Item[] = ingresses.map((i) => ({
      label: `$(globe) ${i.metadata.name}`,
      description: `Ingress → ${ingressServices(i).join(', ')}`,
      target: { kind: 'ingress' as const, name: i.metadata.name, object: i },
    }));
    const items: Item[] = [
      ...serviceItems,
      ...(ingressItems.length
        ? [{ label: 'Ingresses', kind: vscode.QuickPickItemKind.Separator }, ...ingressItems]
        : []),
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: `Open a routed URL in session ${ref.session}: where do the requests go?`,
      placeHolder: 'A Service (usually the entry point, e.g. the web front end), or an Ingress',
    });
    const target = pick?.target;
    if (target?.kind !== 'ingress') return target;
    const hosts = ingressHosts(target.object);
    if (hosts.length <= 1) return { ...target, host: hosts[0] };
    const host = await vscode.window.showQuickPick(hosts, {
      title: `Ingress ${target.name}: which host's rules?`,
      placeHolder: "The proxy applies this host's rules and sends it as Host",
    });
    return host ? { ...target, host } : undefined;
  }
}
