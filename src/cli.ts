#!/usr/bin/env node
// `devlane`: routed sessions without VS Code (CI jobs, scripts, benchmarks). Finds the cluster as
// kubectl does (KUBECONFIG, --kubeconfig, --context, -n), prints plain text or --json, and exits
// non-zero with a clear message on failure. Drives the same src/session/ code as the editor.
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import * as readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { KubeClusters } from './cluster/clusters';
import { ClusterError } from './core/errors';
import { type Logger, redact } from './core/logger';
import { SessionError } from './core/session/errors';
import { defaultProductionGlobs, parseGlobList } from './core/session/globs';
import type { StrategyName } from './core/session/plan';
import { Sessions } from './session/sessions';
import { findMapping, startServiceSync } from './sync/service-sync';

const usage = `Usage: devlane <command> [options]

Commands:
  sessions                     list the sessions in the namespace
  start SERVICE                start a session on SERVICE (or take SERVICE over in a session you are in)
      --session NAME           session name (default <user>-<service>)
      --image IMAGE            run IMAGE in the copy instead of the original image
      --strategy S             istio | router | gateway-api (default: istio or router, chosen automatically)
      --rwo-as-emptydir        give the copy an emptyDir for ReadWriteOnce volumes
      --router-image IMAGE     the router strategy's nginx image, e.g. a registry mirror (default nginx:1.27)
      --workspace DIR          where .vscode/devlane.json is (default: the current directory); when it maps
                               SERVICE, the copy runs under the restart supervisor and, unless --detach,
                               local changes are synced into it until you leave
      --no-sync                do not sync, even when the workspace maps SERVICE
      --detach                 return once live; the session stays for --ttl seconds unless renewed
      --ttl SECONDS            Lease duration with --detach (default 3600)
      --yes                    confirm the plan on production-looking contexts (needed when stdin is not a terminal)
      --production-contexts G  comma-separated globs of production-looking context names, whose plan is
                               shown and must be confirmed (default: $DEVLANE_PRODUCTION_CONTEXTS, else *prod*,*live*)
  join NAME                    become a participant of session NAME (prints its route key)
  leave NAME                   give back what you took over; the last one leaving ends it
  stop NAME                    end session NAME for everyone and put everything back
  gc                           collect sessions whose participants' Leases expired
  route-key NAME               print the route key of session NAME

Options: --kubeconfig FILE, --context NAME, -n/--namespace NS, --as-participant NAME, --json, -v/--verbose`;

function stderrLogger(verbose: boolean): Logger {
  const w = (level: string) => (m: string | Error) => process.stderr.write(`${level} ${redact(String(m instanceof Error ? m.message : m))}\n`);
  return { trace: () => {}, debug: verbose ? w('debug') : () => {}, info: verbose ? w('info') : () => {}, warn: w('warn'), error: w('error') };
}

/** The flag, else the environment variable, else the setting's default. */
function productionGlobs(flag: string | undefined): string[] {
  const text = flag ?? process.env.DEVLANE_PRODUCTION_CONTEXTS;
  return text === undefined ? defaultProductionGlobs : parseGlobList(text);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
      session: { type: 'string' },
      image: { type: 'string' },
      strategy: { type: 'string' },
      'rwo-as-emptydir': { type: 'boolean' },
      'router-image': { type: 'string' },
      workspace: { type: 'string' },
      'no-sync': { type: 'boolean' },
      detach: { type: 'boolean' },
      ttl: { type: 'string' },
      yes: { type: 'boolean' },
      'production-contexts': { type: 'string' },
      'as-participant': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${usage}\n`);
    return command || values.help ? 0 : 2;
  }
  const logger = stderrLogger(!!values.verbose);
  const clusters = new KubeClusters({ setting: () => values.kubeconfig, env: process.env }, { logger, idleMs: 0 });
  const controller = new AbortController();
  // One signal is shared by many concurrent requests (access reviews run in parallel).
  setMaxListeners(500, controller.signal);
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    controller.abort();
    if (interrupted > 1) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const contextName = values.context ?? clusters.kubeconfig.currentContext;
    if (!contextName) throw new ClusterError('config', 'No context: the kubeconfig has no current-context', 'Pass --context NAME.');
    const conn = clusters.connection(contextName);
    const namespace = values.namespace ?? conn.context.namespace;
    const detach = !!values.detach;
    const sessions = new Sessions({
      api: conn.objects,
      context: contextName,
      namespace,
      participant: values['as-participant'] ?? conn.context.user,
      logger,
      productionGlobs: productionGlobs(values['production-contexts']),
      routerImage: values['router-image'],
      confirm: async (_plan, text) => {
        process.stderr.write(`${text}\n`);
        if (values.yes) return true;
        if (!process.stdin.isTTY) {
          throw new SessionError(
            'declined',
            `Context "${contextName}" looks like production (--production-contexts, DEVLANE_PRODUCTION_CONTEXTS or *prod*,*live*), so the plan above must be confirmed, and stdin is not a terminal to ask on`,
            'Nothing was created. Read the plan, then run the same command with --yes to apply it.',
          );
        }
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question('Apply this plan? [y/N] ');
        rl.close();
        return /^y(es)?$/i.test(answer.trim());
      },
      report: values.json ? undefined : (m) => process.stderr.write(`${m}\n`),
      leaseSeconds: detach ? Number(values.ttl ?? 3600) : undefined,
    });
    const out = (text: string, json: unknown) => process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
    const need = (what: string) => {
      if (!arg) throw new SessionError('invalid', `${command} needs ${what}`, `Run devlane --help.`);
      return arg;
    };
    switch (command) {
      case 'sessions': {
        const list = await sessions.list(controller.signal);
        const text = list.length === 0 ? `No sessions in namespace ${namespace}.` : list.map((s) => `${s.name}\tparticipants: ${s.participants.map((p) => `${p.name}${p.alive ? '' : ' (expired)'}`).join(', ') || '-'}\tservices: ${s.services.map((x) => `${x.service} (${x.owner}, ${x.strategy}, ${x.state})`).join(', ') || '-'}`).join('\n');
        out(text, list);
        return 0;
      }
      case 'start': {
        const strategy = values.strategy as StrategyName | undefined;
        if (strategy && !['istio', 'router', 'gateway-api'].includes(strategy)) throw new SessionError('invalid', `Unknown strategy "${strategy}"`, 'Use istio, router or gateway-api.');
        const workspace = resolve(values.workspace ?? process.cwd());
        const sync = values['no-sync'] ? undefined : await findMapping(workspace, need('a SERVICE'));
        const r = await sessions.start({ service: need('a SERVICE'), session: values.session, image: values.image, strategy, rwoAsEmptyDir: values['rwo-as-emptydir'], sync }, controller.signal);
        out(`Session ${r.session} is live on ${r.service} (${r.strategy}${r.resumed ? ', resumed' : ''}).\nRoute key: ${r.routeKey}\nSend requests with the header "x-devlane-route: ${r.routeKey}" or "baggage: devlane=${r.routeKey}".`, {
          session: r.session, routeKey: r.routeKey, service: r.service, devService: r.devService, strategy: r.strategy, resumed: r.resumed, namespace, context: contextName, phasesMs: r.phases,
        });
        if (detach) {
          r.heartbeat.dispose();
          return 0;
        }
        const syncing = sync
          ? await startServiceSync({ api: conn.objects, namespace, session: r.session, service: r.service, workspaceFolder: workspace, logger }, controller.signal).catch((err: unknown) => {
              process.stderr.write(`Sync did not start: ${(err as Error).message}\n`);
              return undefined;
            })
          : undefined;
        if (syncing) {
          process.stderr.write(`Syncing ${syncing.localRoot} into ${syncing.mapping.remotePath} of the copy (${syncing.mapping.action} after each change).\n`);
          let failures = 0;
          syncing.syncer.onDidChangeStatus((st) => {
            for (const f of st.failures.slice(failures)) process.stderr.write(`sync: ${f.message}\n`);
            failures = st.failures.length;
          });
        }
        process.stderr.write('Renewing the session; press Ctrl-C to leave it (what you took over is given back).\n');
        await new Promise<void>((resolve) => {
          controller.signal.addEventListener('abort', () => resolve(), { once: true });
          r.heartbeat.onDidLose(() => {
            process.stderr.write('The session was stopped elsewhere.\n');
            resolve();
          });
        });
        syncing?.dispose();
        r.heartbeat.dispose();
        if (controller.signal.aborted) await sessions.leave(r.session, AbortSignal.timeout(180_000));
        return 0;
      }
      case 'join': {
        const r = await sessions.join(need('a session NAME'), controller.signal);
        r.heartbeat.dispose();
        out(`Joined ${arg}. Route key: ${r.routeKey}`, { session: arg, routeKey: r.routeKey });
        return 0;
      }
      case 'leave': {
        const r = await sessions.leave(need('a session NAME'), controller.signal);
        out(r.ended ? `Left ${arg}; you were the last participant, so the session ended.` : `Left ${arg}.`, { session: arg, ended: r.ended });
        return 0;
      }
      case 'stop':
        await sessions.stop(need('a session NAME'), controller.signal);
        out(`Stopped ${arg}.`, { session: arg, stopped: true });
        return 0;
      case 'gc': {
        const done = await sessions.gc(controller.signal);
        out(done.length ? done.join('\n') : 'Nothing to collect.', { collected: done });
        return 0;
      }
      case 'route-key': {
        const key = await sessions.routeKey(need('a session NAME'), controller.signal);
        out(key, { session: arg, routeKey: key });
        return 0;
      }
      default:
        throw new SessionError('invalid', `Unknown command "${command}"`, 'Run devlane --help.');
    }
  } finally {
    clusters.dispose();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const text = err instanceof SessionError || err instanceof ClusterError ? err.full : err instanceof Error ? err.message : String(err);
    process.stderr.write(`devlane: ${redact(text)}\n`);
    process.exit(err instanceof SessionError && err.code === 'declined' ? 3 : 1);
  },
);
