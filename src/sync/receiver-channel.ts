// One connection to the receiver in the developer container: starts it over a long-lived exec,
// waits for READY, sends batches and waits for each one's answer, pings it while idle.
import type { ExecStream, ObjectApi } from '../cluster/api';
import { ClusterError } from '../core/errors';
import type { BuildOutcome } from '../core/sync/build';
import { parseReceiverLine, receiverCommand } from '../core/sync/receiver';

export interface SyncTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** The image cannot run the receiver: no shell, or no tar. Reconnecting will not help. */
export class NoShellError extends Error {
  constructor(
    readonly target: SyncTarget,
    detail: string,
  ) {
    super(
      `Cannot sync into ${target.namespace}/${target.pod} (${target.container}): ${detail}. Devlane needs a POSIX shell (sh) and tar in the container; ` +
        `distroless and scratch images have neither. Set "devImage" for this service in .vscode/devlane.json to an image that has them (the same app built on a -slim or -debug base), and start the session again.`,
    );
    this.name = 'NoShellError';
  }
}

const keepaliveMs = 30_000;

/** A batch's answer: why it did not all land (undefined when it did), and what its build did. */
export interface BatchAnswer {
  failure?: string;
  build?: BuildOutcome;
}

export class ReceiverChannel {
  private buffer = '';
  private readonly waiting = new Map<number, { resolve: (answer: BatchAnswer) => void; reject: (e: Error) => void }>();
  private closedWith: Error | undefined;
  private stderr = '';
  private keepalive: NodeJS.Timeout | undefined;
  private readonly closeListeners: ((e: Error) => void)[] = [];
  /** What a build in the batch being answered printed, and its result. */
  private output: string[] = [];
  private build: BuildOutcome | undefined;

  private constructor(
    private readonly stream: ExecStream,
    readonly target: SyncTarget,
  ) {}

  static async open(
    api: ObjectApi,
    target: SyncTarget,
    remoteRoot: string,
    runDir: string,
    signal: AbortSignal,
  ): Promise<ReceiverChannel> {
    let stream: ExecStream;
    try {
      stream = await api.openExec({ ...target, command: receiverCommand(remoteRoot, runDir) }, signal);
    } catch (e) {
      if (looksLikeNoShell(e)) throw new NoShellError(target, 'the container has no `sh`');
      throw e;
    }
    const ch = new ReceiverChannel(stream, target);
    await ch.start();
    return ch;
  }

  private start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      this.stream.onStderr((d) => (this.stderr = (this.stderr + d.toString('utf8')).slice(-4000)));
      this.stream.onStdout((d) => {
        this.buffer += d.toString('utf8');
        let i: number;
        while ((i = this.buffer.indexOf('\n')) >= 0) {
          const line = parseReceiverLine(this.buffer.slice(0, i));
          this.buffer = this.buffer.slice(i + 1);
          if (line.kind === 'ready' && !ready) {
            ready = true;
            resolve();
          } else if (line.kind === 'fatal') {
            const err = /no tar|no dd/.test(line.message)
              ? new NoShellError(this.target, line.message.replace(/^no /, 'there is no '))
              : new Error(`The sync receiver in ${this.target.pod} stopped: ${line.message}`);
            this.fail(err);
            if (!ready) reject(err);
          } else if (line.kind === 'output') this.output.push(line.text);
          else if (line.kind === 'build') {
            this.build = { result: line.result, code: line.code, output: this.output };
            this.output = [];
          } else if (line.kind === 'ok' || line.kind === 'fail') {
            const w = this.waiting.get(line.seq);
            this.waiting.delete(line.seq);
            const build = this.build;
            this.build = undefined;
            this.output = [];
            w?.resolve({ ...(line.kind === 'fail' ? { failure: line.message } : {}), ...(build ? { build } : {}) });
          }
        }
      });
      this.stream.onClose((end) => {
        const why =
          end.error ??
          (end.exitCode === 127 || /not found|no such file/i.test(this.stderr)
            ? new NoShellError(this.target, 'the container has no `sh`')
            : new ClusterError(
                'unreachable',
                `The sync receiver in ${this.target.pod} ended (exit code ${end.exitCode})${this.stderr ? `: ${this.stderr.trim()}` : ''}`,
                'It is started again.',
              ));
        this.fail(why);
        if (!ready) reject(why);
      });
      this.keepalive = setInterval(() => void this.stream.write('P\n').catch(() => {}), keepaliveMs);
      this.keepalive.unref();
    });
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    clearInterval(this.keepalive);
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.stream.close();
    for (const l of this.closeListeners) l(err);
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  onClose(listener: (e: Error) => void): void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /** Sends one framed batch; resolves with the receiver's answer (its failure text, and its build's outcome). */
  async send(seq: number, parts: Buffer[]): Promise<BatchAnswer> {
    if (this.closedWith) throw this.closedWith;
    const answer = new Promise<BatchAnswer>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    answer.catch(() => {});
    for (const p of parts) if (p.length) await this.stream.write(p);
    return answer;
  }

  close(): void {
    if (this.closedWith) return;
    void this.stream.write('Q\n').catch(() => {});
    this.fail(new Error('closed'));
  }
}

function looksLikeNoShell(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /executable file not found|no such file or directory.*sh|"sh": .*not found|exec: "sh"/i.test(m);
}
