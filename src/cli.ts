#!/usr/bin/env node
// `devlane`: routed sessions without VS Code (CI jobs, scripts, benchmarks). Finds the cluster as
// kubectl does (KUBECONFIG, --kubeconfig, --context, -n), prints plain text or --json, and exits
// non-zero with a clear message on failure. Drives the same src/session/ code as the editor:
// `start` is Develop this service (src/session/develop.ts), its questions answered on the
// terminal or by --yes.
import { stageSummary } from './core/session/start-stages';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { resolve } from 'node:path';
import * as readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { KubeClusters } from './cluster/clusters';
import { DevlaneError } from './core/error-base';
import { ClusterError } from './core/errors';
import { type Logger, redact } from './core/logger';
import { SessionError } from './core/session/errors';
import { defaultProductionGlobs, defaultProductionNamespaceGlobs, parseGlobList } from './core/session/globs';
import { cliInstance, instanceProblem, tracerOf } from './core/session/participant';
import type { StrategyName } from './core/session/plan';
import { observeBeforeJudgingMs } from './session/lease-observer';
import { participantOf } from './session/participant';
import { develop, type DevelopQuestions } from './session/develop';
import { Sessions, type SessionsOptions } from './session/sessions';
import { deleteConfirmThreshold, type DeletePreview, describeDeletes } from './core/sync/deletes';
import { baggageLine, routeHeaderLine } from './core/session/route-contract';
import { entryText, resolveEntry } from './doctor/entry';
import { graphText, traceGraph } from './doctor/graph';
import { traceSession } from './doctor/trace';
import { renderTrace, type TraceResult } from './doctor/verdict';
import { defaultBranchLimitMb } from './core/data/branch';

const usage = `Usage: devlane <command> [options]

Commands:
  sessions                     list the sessions in the namespace
  start SERVICE                start a session on SERVICE (or take SERVICE over in a session you are in)
      --session NAME           session name (default <user>-<hash>-<service>)
      --image IMAGE            run IMAGE in the copy instead of the original image
      --strategy S             istio | router | gateway-api (default: istio or router, chosen automatically)
      --rwo-as-emptydir        give the copy an emptyDir for ReadWriteOnce volumes
      --branch-data            give the session a data branch: a PostgreSQL of its own, seeded from the
                               database the copy uses (read-only, one snapshot); only the copy is pointed at it
      --branch-data-limit MB   refuse to branch a database larger than MB megabytes (default ${defaultBranchLimitMb})
      --router-image IMAGE     the router strategy's nginx image, e.g. a registry mirror (default nginx:1.27)
      --workspace DIR          where .vscode/devlane.json is (default: the current directory); when it maps
                               SERVICE, the copy runs under the restart supervisor and, unless --detach,
                               local changes are synced into it until you leave
      --no-sync                do not sync, even when the workspace maps SERVICE
      --detach                 return once live; the session stays for --ttl seconds unless renewed
      --ttl SECONDS            Lease duration with --detach (default 3600)
      --yes                    confirm the plan in production-looking places, and let the first sync delete
                               more than ${deleteConfirmThreshold} paths in the copy that are not in the local folder
                               (needed when stdin is not a terminal; without it they are kept)
  join NAME                    become a participant of session NAME (prints its route key)
  leave NAME                   give back what you took over; the last one leaving ends it
  stop NAME                    end session NAME for everyone and put everything back
  gc                           collect sessions whose participants' Leases expired (watches the Leases for 36 s
                               first: expiry is judged by renewals seen from here, not by another machine's clock);
                               records that fail validation are reported and left alone
      --yes                    collect in a production-looking place without asking (needed when stdin
                               is not a terminal)
  route-key NAME               print the route key of session NAME
  trace NAME                   send a probe with session NAME's key into --entry and show which Services it
                               reached with and without the key, and which hop dropped it (router strategy);
                               Services with no router get an observe-only hop for the trace
      --entry SERVICE          where the probe enters: a Service, or ingress/NAME for the Service that Ingress
                               sends --path to. Default: the Service an Ingress sends --path to, else the
                               one of type LoadBalancer or NodePort, else the one no other workload names in
                               its environment; when that is not exactly one, trace lists the choices
      --path /P                the probe's path and query (default /)
      --yes                    put observe hops in a production-looking place without asking
                               exit codes: 0 every copy of the session was reached with the key, 4 a hop
                               dropped it (named in the output), 1 an error

Options: --kubeconfig FILE, --context NAME, -n/--namespace NS, --json, -v/--verbose
  --instance ID                which Devlane of yours this is (default: $DEVLANE_INSTANCE, else one id per machine);
                               you are the user the API server authenticates, plus this id
  --as-participant NAME        act as this participant id instead (e.g. to leave for a closed editor window)
  --production-contexts G      comma-separated globs of production-looking context names, also matched
                               against the API server's host (default: $DEVLANE_PRODUCTION_CONTEXTS,
                               else *prod*,*live*)
  --production-namespaces G    the same for namespace names (default: $DEVLANE_PRODUCTION_NAMESPACES,
                               else *prod*,*live*)
In a production-looking place, start shows its plan, gc lists what it would collect and trace says
which Services get observe hops; they ask (or need --yes) before changing anything.`;

function stderrLogger(verbose: boolean): Logger {
  const w = (level: string) => (m: string | Error) =>
    process.stderr.write(`${level} ${redact(String(m instanceof Error ? m.message : m))}\n`);
  return {
    trace: () => {},
    debug: verbose ? w('debug') : () => {},
    info: verbose ? w('info') : () => {},
    warn: w('warn'),
    error: w('error'),
  };
}

/** The flag, else the environment variable, else one id per machine. */
function instance(flag: string | undefined): string {
  const given = flag ?? (process.env.DEVLANE_INSTANCE || undefined);
  if (given === undefined) return cliInstance(hostname());
  const problem = instanceProblem(given);
  if (problem)
    throw new SessionError(
      'invalid',
      `Cannot use ${problem}`,
      'Nothing was changed. Pass another --instance (or DEVLANE_INSTANCE).',
    );
  return given;
}

/** The flag, else the environment variable, else the setting's default. */
function globsFrom(flag: string | undefined, env: string, defaults: string[]): string[] {
  const text = flag ?? process.env[env];
  return text === undefined ? defaults : parseGlobList(text);
}

/** --branch-data and --branch-data-limit (which alone asks for a branch too). */
function branchOption(branch: boolean | undefined, limit: string | undefined): { limitMb?: number } | undefined {
  if (!branch && limit === undefined) return undefined;
  if (limit === undefined) return {};
  const limitMb = Number(limit);
  if (limit.trim() === '' || !Number.isFinite(limitMb) || limitMb < 0)
    throw new SessionError(
      'invalid',
      `--branch-data-limit must be a number of megabytes (got "${limit}")`,
      'Nothing was created.',
    );
  return { limitMb };
}

/** --yes, else a y/N question on the terminal; refuses (with what to do) when there is no terminal. */
async function confirmOnTerminal(
  yes: boolean | undefined,
  question: string,
  refusal: () => SessionError,
): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw refusal();
  return askYesNo(`${question} [y/N] `);
}

async function askYesNo(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** Many deletions in the copy: --yes, else a question on a terminal, else they are kept. */
async function confirmDeletes(p: DeletePreview, yes: boolean): Promise<boolean> {
  process.stderr.write(`${describeDeletes(p)}\n`);
  if (yes) return true;
  if (!process.stdin.isTTY) {
    process.stderr.write(
      'Not deleting them (stdin is not a terminal to ask on); run with --yes to let sync delete them.\n',
    );
    return false;
  }
  return askYesNo('Delete them? [y/N] ');
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
      'branch-data': { type: 'boolean' },
      'branch-data-limit': { type: 'string' },
      'router-image': { type: 'string' },
      workspace: { type: 'string' },
      'no-sync': { type: 'boolean' },
      detach: { type: 'boolean' },
      ttl: { type: 'string' },
      yes: { type: 'boolean' },
      'production-contexts': { type: 'string' },
      'production-namespaces': { type: 'string' },
      'as-participant': { type: 'string' },
      instance: { type: 'string' },
      entry: { type: 'string' },
      path: { type: 'string' },
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
    if (!contextName)
      throw new ClusterError('config', 'No context: the kubeconfig has no current-context', 'Pass --context NAME.');
    const conn = clusters.connection(contextName);
    const namespace = values.namespace ?? conn.context.namespace;
    const detach = !!values.detach;
    const report = values.json ? undefined : (m: string) => process.stderr.write(`${m}\n`);
    const questions: DevelopQuestions = {
      confirmPlan: async (_plan, text) => {
        process.stderr.write(`${text}\n`);
        return confirmOnTerminal(
          values.yes,
          'Apply this plan?',
          () =>
            new SessionError(
              'declined',
              'This looks like production, so the plan above must be confirmed, and stdin is not a terminal to ask on',
              'Nothing was created. Read the plan, then run the same command with --yes to apply it.',
            ),
        );
      },
      // No mapping question: a service the workspace does not map is started without sync.
      confirmDeletes: (_service, p) => confirmDeletes(p, !!values.yes),
    };
    const options: SessionsOptions = {
      api: conn.objects,
      context: contextName,
      namespace,
      participant: values['as-participant'] ?? participantOf(conn, instance(values.instance)),
      logger,
      productionGlobs: globsFrom(values['production-contexts'], 'DEVLANE_PRODUCTION_CONTEXTS', defaultProductionGlobs),
      productionNamespaces: globsFrom(
        values['production-namespaces'],
        'DEVLANE_PRODUCTION_NAMESPACES',
        defaultProductionNamespaceGlobs,
      ),
      server: conn.context.server,
      routerImage: values['router-image'],
      confirm: questions.confirmPlan,
      confirmCollect: async (text) => {
        process.stderr.write(`${text}\n`);
        return confirmOnTerminal(
          values.yes,
          'Collect them?',
          () =>
            new SessionError(
              'declined',
              'This looks like production, so collecting must be confirmed, and stdin is not a terminal to ask on',
              'Nothing was changed. Read the line above, then run `devlane gc --yes` to collect.',
            ),
        );
      },
      report,
      leaseSeconds: detach ? Number(values.ttl ?? 3600) : undefined,
    };
    const sessions = new Sessions(options);
    const out = (text: string, json: unknown) =>
      process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
    const need = (what: string) => {
      if (!arg) throw new SessionError('invalid', `${command} needs ${what}`, `Run devlane --help.`);
      return arg;
    };
    switch (command) {
      case 'sessions': {
        const [list, unreadable] = await Promise.all([
          sessions.list(controller.signal),
          sessions.unreadable(controller.signal),
        ]);
        for (const line of unreadable) process.stderr.write(`${line}\n`);
        const text =
          list.length === 0
            ? `No sessions in namespace ${namespace}.`
            : list
                .map(
                  (s) =>
                    `${s.name}\tparticipants: ${s.participants.map((p) => `${p.name}${p.alive ? '' : ' (expired)'}`).join(', ') || '-'}\tservices: ${s.services.map((x) => `${x.service} (${x.owner}, ${x.strategy}, ${x.state})`).join(', ') || '-'}`,
                )
                .join('\n');
        out(text, list);
        return 0;
      }
      case 'start': {
        const strategy = values.strategy as StrategyName | undefined;
        if (strategy && !['istio', 'router', 'gateway-api'].includes(strategy))
          throw new SessionError('invalid', `Unknown strategy "${strategy}"`, 'Use istio, router or gateway-api.');
        const developing = await develop(
          { conn, namespace, logger },
          {
            service: need('a SERVICE'),
            session: values.session,
            image: values.image,
            strategy,
            rwoAsEmptyDir: values['rwo-as-emptydir'],
            data: branchOption(values['branch-data'], values['branch-data-limit']),
            workspace: resolve(values.workspace ?? process.cwd()),
            noSync: values['no-sync'],
            detach,
          },
          {
            questions,
            sessions: (extra) => new Sessions({ ...options, ...extra }),
            phase: (_phase, work) => work(report ?? (() => {}), controller.signal),
            sinks: { failed: (err) => process.stderr.write(`Sync did not start: ${err.message}\n`) },
          },
          controller.signal,
        );
        // Not reached: the CLI asks no question that cancels before the start.
        if (!developing) return 3;
        const r = developing.started;
        const took = r.resumed ? undefined : stageSummary(r.phases);
        const branch = r.plan?.dataBranch;
        const branchLine = branch
          ? `\nData branch: ${branch.name}, ${branch.shared ? "the session's, shared" : 'seeded'} from ${branch.source}; only the copy writes to it.`
          : '';
        out(
          `Session ${r.session} is live on ${r.service} (${r.strategy}${r.resumed ? ', resumed' : ''})${took ? `: ${took}` : ''}.\nRoute key: ${r.routeKey}\nSend requests with the header "${routeHeaderLine(r.routeKey)}" or "${baggageLine(r.routeKey)}".${branchLine}`,
          {
            session: r.session,
            routeKey: r.routeKey,
            service: r.service,
            devService: r.devService,
            strategy: r.strategy,
            resumed: r.resumed,
            namespace,
            context: contextName,
            phasesMs: r.phases,
            ...(branch ? { dataBranch: branch } : {}),
          },
        );
        if (detach) {
          r.heartbeat.dispose();
          return 0;
        }
        const syncing = await developing.sync?.ready;
        if (syncing) {
          process.stderr.write(
            `Syncing ${syncing.localRoot} into ${syncing.mapping.remotePath} of the copy (${syncing.mapping.action} after each change).\n`,
          );
          for (const n of syncing.syncer.current.notes ?? []) process.stderr.write(`sync: ${n}\n`);
          let failures = 0;
          let build = syncing.syncer.current.build;
          syncing.syncer.onDidChangeStatus((st) => {
            for (const f of st.failures.slice(failures)) process.stderr.write(`sync: ${f.message}\n`);
            failures = st.failures.length;
            // A failed build was printed as a failure; the next good one says the new program runs.
            if (st.build && st.build !== build && st.build.ok && build && !build.ok)
              process.stderr.write('sync: the build succeeded; the new program runs\n');
            build = st.build;
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
        developing.sync?.dispose();
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
        out(r.ended ? `Left ${arg}; you were the last participant, so the session ended.` : `Left ${arg}.`, {
          session: arg,
          ended: r.ended,
        });
        return 0;
      }
      case 'stop': {
        const refused = await sessions.stop(need('a session NAME'), controller.signal);
        out([`Stopped ${arg}.`, ...refused].join('\n'), { session: arg, stopped: true, refused });
        return 0;
      }
      case 'gc': {
        // Expiry is judged by renewals seen from here (never by another machine's clock), so watch for a Lease's duration first.
        const first = await sessions.gc(controller.signal);
        process.stderr.write(
          `Watching the Leases for ${Math.round(observeBeforeJudgingMs / 1000)} s to see which are still renewed…\n`,
        );
        await delay(observeBeforeJudgingMs, undefined, { signal: controller.signal });
        const done = [...first, ...(await sessions.gc(controller.signal))];
        out(done.length ? done.join('\n') : 'Nothing to collect.', { collected: done });
        return 0;
      }
      case 'route-key': {
        const key = await sessions.routeKey(need('a session NAME'), controller.signal);
        out(key, { session: arg, routeKey: key });
        return 0;
      }
      case 'trace': {
        const session = need('a session NAME');
        // Chosen before anything changes: a wrong or ambiguous entry fails listing the choices.
        const entry = await resolveEntry(conn.objects, namespace, values.entry, values.path ?? '/', controller.signal);
        report?.(`The probe enters through ${entryText(entry)}`);
        const production = sessions.productionReason();
        if (production) {
          const asked = await confirmOnTerminal(
            values.yes,
            `This looks like production (${production}). Trace Route puts a Devlane router in front of every Service in ${namespace} that has none, for the trace. Go ahead?`,
            () =>
              new SessionError(
                'declined',
                `This looks like production (${production}), so the observe hops must be confirmed, and stdin is not a terminal to ask on`,
                'Nothing was changed. Run the same command with --yes to trace.',
              ),
          );
          if (!asked) throw new SessionError('declined', 'The trace was not confirmed', 'Nothing was changed.');
        }
        const tracer = new Sessions({
          ...options,
          participant: async (signal) => tracerOf(await sessions.me(signal)),
          leaseSeconds: undefined,
        });
        // The answer is printed as soon as it is known; the observe hops come out after it.
        let printed = false;
        const print = (result: TraceResult) => {
          if (printed) return;
          printed = true;
          const graph = traceGraph(result);
          out(`${graphText(graph, entry.ingress ? `Ingress ${entry.ingress}` : 'entry')}\n${renderTrace(result)}`, {
            ...result,
            entryChoice: entry,
            graph,
          });
        };
        const result = await traceSession(
          { api: conn.objects, logger, signal: controller.signal, report: report ?? (() => {}) },
          tracer,
          {
            namespace,
            session,
            entry: entry.service,
            path: values.path,
            routerImage: values['router-image'],
            onVerdict: print,
          },
        );
        print(result);
        return result.ok ? 0 : 4;
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
    const text = err instanceof DevlaneError ? err.fullOn('cli') : err instanceof Error ? err.message : String(err);
    process.stderr.write(`devlane: ${redact(text)}\n`);
    process.exit(err instanceof SessionError && err.code === 'declined' ? 3 : 1);
  },
);
