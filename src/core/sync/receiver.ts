// The receiver: a POSIX `sh` loop started once per connection in the developer container, reading
// line commands from stdin. Writes arrive as a tar archive of known length, read exactly with `dd`
// into a file and extracted with `tar` (so a failing tar can never leave the stream out of step);
// deletes are `rm -rf`. Each batch ends with `E <seq>`, answered `OK <seq>` or `FAIL <seq> <why>`.
// A build (`G`, src/core/sync/build.ts) answers first with its output, each line as `O <line>`,
// then `BUILD <result> <exit code>`.
// Needs only sh, dd, tar, rm, mkdir and kill: what any image with a shell has.

/** Where the receiver and the supervisor keep their small files (pids, the batch in transit). */
export const defaultRunDir = '/tmp/devlane';

export const receiverScript = String.raw`
root="$1"; run="$2"
mkdir -p "$run" "$root" || { echo "FATAL cannot create $run or $root"; exit 3; }
cd "$root" || { echo "FATAL cannot enter $root"; exit 3; }
command -v tar >/dev/null 2>&1 || { echo "FATAL no tar in the container"; exit 4; }
command -v dd >/dev/null 2>&1 || { echo "FATAL no dd in the container"; exit 4; }
fb=0
if dd if=/dev/null of=/dev/null iflag=fullblock count=0 2>/dev/null; then fb=1; fi
readn() {
  n=$1
  if [ "$fb" = 1 ]; then
    q=$((n / 65536)); r=$((n % 65536))
    if [ "$q" -gt 0 ]; then dd bs=65536 count="$q" iflag=fullblock 2>/dev/null; fi
    if [ "$r" -gt 0 ]; then dd bs="$r" count=1 iflag=fullblock 2>/dev/null; fi
  else
    dd bs=1 count="$n" 2>/dev/null
  fi
}
oneline() { tr '\n' ' ' < "$1" | cut -c1-2000; }
restart() {
  if [ -f "$run/supervisor.pid" ] && kill -USR1 "$(cat "$run/supervisor.pid")" 2>/dev/null; then :; else errs="$errs restart: no Devlane supervisor is running in this container (the copy was started without it)"; fi
}
errs=""
echo "READY fullblock=$fb"
while IFS= read -r line; do
  op=${'$'}{line%% *}; arg=${'$'}{line#* }
  case "$op" in
    B)
      readn "$arg" > "$run/batch.tar"
      if ! (umask 000; tar -xof "$run/batch.tar") 2> "$run/tar.err"; then errs="$errs $(oneline "$run/tar.err")"; fi
      rm -f "$run/batch.tar" ;;
    D)
      rm -rf -- "$arg" 2> "$run/rm.err" || errs="$errs cannot delete $arg: $(oneline "$run/rm.err")" ;;
    R) restart ;;
    S)
      if [ -f "$run/child.pid" ] && kill -s "$arg" "$(cat "$run/child.pid")" 2>/dev/null; then :; else errs="$errs signal $arg: no process to signal (the copy was started without the Devlane supervisor, or the process is not running)"; fi ;;
    C)
      if ! sh -c "$arg" > "$run/cmd.out" 2>&1; then errs="$errs command failed: $(tail -n 5 "$run/cmd.out" | tr '\n' ' ')"; fi ;;
    G)
      mode=${'$'}{arg%% *}; arg=${'$'}{arg#* }; bin=${'$'}{arg%% *}; cmd=${'$'}{arg#* }; next="$bin.devlane-next"
      mkdir -p "${'$'}{bin%/*}"; rm -f "$next"
      # Go's caches live in the run directory (an emptyDir: a restarted program, or container, builds incrementally) unless the image says where.
      (export DEVLANE_BUILD_OUTPUT="$next" GOCACHE="${'$'}{GOCACHE:-$run/go/build-cache}" GOMODCACHE="${'$'}{GOMODCACHE:-$run/go/mod-cache}"; sh -c "$cmd") < /dev/null > "$run/build.out" 2>&1
      code=$?; built=failed
      if [ "$code" = 0 ]; then
        if [ -f "$next" ]; then
          if [ "$mode" = changed ] && [ -f "$bin" ] && cmp -s "$next" "$bin" 2>/dev/null; then rm -f "$next"; built=same
          elif mv -f "$next" "$bin"; then built=ok; else errs="$errs cannot replace $bin"; fi
        elif [ -f "$bin" ]; then built=ok; else built=missing; fi
      fi
      tail -n 300 "$run/build.out" | while IFS= read -r l; do printf 'O %s\n' "$l"; done
      echo "BUILD $built $code"
      [ "$built" = ok ] && restart ;;
    E)
      if [ -z "$errs" ]; then echo "OK $arg"; else echo "FAIL $arg$errs"; fi
      errs="" ;;
    P) echo "PONG $arg" ;;
    Q) exit 0 ;;
  esac
done
`;

/** The exec command that starts the receiver for one mapping. */
export function receiverCommand(remoteRoot: string, runDir = defaultRunDir): string[] {
  return ['sh', '-c', receiverScript, 'devlane-receiver', remoteRoot, runDir];
}

/** One batch on the wire: deletes, then the archive (if any), the action, then the end marker. */
export function batchFrame(
  seq: number,
  deletes: string[],
  archive: Buffer | undefined,
  action: string | undefined,
): Buffer[] {
  const lines = deletes.map((d) => `D ${d}\n`);
  const parts: Buffer[] = [Buffer.from(lines.join(''), 'utf8')];
  if (archive) parts.push(Buffer.from(`B ${archive.length}\n`), archive);
  parts.push(Buffer.from(`${action ? `${action}\n` : ''}E ${seq}\n`, 'utf8'));
  return parts;
}

export type ReceiverLine =
  | { kind: 'ready' }
  | { kind: 'ok'; seq: number }
  | { kind: 'fail'; seq: number; message: string }
  | { kind: 'pong' }
  | { kind: 'output'; text: string }
  | { kind: 'build'; result: 'ok' | 'same' | 'failed' | 'missing'; code: number }
  | { kind: 'fatal'; message: string }
  | { kind: 'other'; text: string };

export function parseReceiverLine(line: string): ReceiverLine {
  if (line.startsWith('READY')) return { kind: 'ready' };
  if (line.startsWith('PONG')) return { kind: 'pong' };
  if (line.startsWith('O ') || line === 'O') return { kind: 'output', text: line.slice(2) };
  const build = /^BUILD (ok|same|failed|missing) (\d+)$/.exec(line);
  if (build) return { kind: 'build', result: build[1] as 'ok', code: Number(build[2]) };
  if (line.startsWith('FATAL ')) return { kind: 'fatal', message: line.slice(6) };
  const m = /^(OK|FAIL) (\d+)(?: (.*))?$/.exec(line);
  if (m)
    return m[1] === 'OK'
      ? { kind: 'ok', seq: Number(m[2]) }
      : { kind: 'fail', seq: Number(m[2]), message: (m[3] ?? '').trim() };
  return { kind: 'other', text: line };
}

/** The receiver line for the configured action, or undefined for `none`. */
export function actionLine(
  action: 'restart' | 'signal' | 'command' | 'none',
  opts: { signal?: string; command?: string },
): string | undefined {
  if (action === 'restart') return 'R restart';
  if (action === 'signal') return `S ${(opts.signal ?? 'SIGHUP').replace(/^SIG/, '')}`;
  if (action === 'command') return `C ${opts.command ?? 'true'}`;
  return undefined;
}
