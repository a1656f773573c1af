// The supervisor the developer copy runs its original command under: a few lines of POSIX sh that
// start the program (in a process group of its own), restart it and what it started on SIGUSR1
// (sent by the sync receiver after a batch lands) without restarting the pod, pass SIGTERM/SIGINT
// on so the pod still stops gracefully, and, when the
// program exits by itself (a crash), keep the container up and wait for the next sync to restart it.
import { defaultRunDir } from './receiver';

/** What the supervisor prints when the program exits by itself (then its code), and before a restart. */
export const exitedPrefix = '[devlane] the process exited with code ';
export const restartingPrefix = '[devlane] restarting: ';
export const waitingPrefix = '[devlane] waiting for the first build to make ';

export const supervisorScript = `
run="$DEVLANE_RUN_DIR"; [ -n "$run" ] || run=${defaultRunDir}
mkdir -p "$run"; echo $$ > "$run/supervisor.pid"
restart=0; stop=0; child=
# The program gets a process group of its own (setsid, or busybox's, where the image has one), so that what it
# started goes with it: a debugger's adapter (debugpy) or a server's workers would otherwise keep
# its port, and the restarted program could not listen ("Address already in use").
group=; if command -v setsid >/dev/null 2>&1; then group=setsid; elif busybox setsid true 2>/dev/null; then group='busybox setsid'; fi
signal() { [ -n "$child" ] || return 0; [ -n "$group" ] && kill -"$1" -"$child" 2>/dev/null && return 0; kill -"$1" "$child" 2>/dev/null; }
# The debugger's port (DEVLANE_DEBUG_PORT): debugpy's adapter runs in a session of its own and
# leaves only once its client has, so a restart waits (up to 10 s) until nothing listens there.
portfree() {
  [ -n "$DEVLANE_DEBUG_PORT" ] || return 0
  h=$(printf ':%04X 00000000:0000 0A ' "$DEVLANE_DEBUG_PORT"); n=0
  while grep -q "$h" /proc/net/tcp /proc/net/tcp6 2>/dev/null && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
}
trap 'restart=1; signal TERM' USR1
trap 'stop=1; signal TERM' TERM INT
# A built program (DEVLANE_PROGRAM, the "build" action) exists once the first sync has landed and
# built: until then there is nothing to run, and the receiver's signal after that build starts it.
if [ -n "$DEVLANE_PROGRAM" ] && [ ! -e "$DEVLANE_PROGRAM" ]; then
  echo "${waitingPrefix}$DEVLANE_PROGRAM" >&2
  while [ "$restart" = 0 ] && [ "$stop" = 0 ]; do sleep 1 & wait $!; done
  restart=0; [ "$stop" = 1 ] && exit 0
fi
while [ "$stop" = 0 ]; do
  portfree
  $group "$@" & child=$!
  echo "$child" > "$run/child.pid"
  code=0
  while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
  if [ -n "$group" ]; then
    n=0; while kill -0 -"$child" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    kill -KILL -"$child" 2>/dev/null
  fi
  child=
  [ "$stop" = 1 ] && exit "$code"
  if [ "$restart" = 1 ]; then restart=0; echo "${restartingPrefix}$*" >&2; continue; fi
  echo "${exitedPrefix}$code; the next sync restarts it" >&2
  while [ "$restart" = 0 ] && [ "$stop" = 0 ]; do sleep 1 & wait $!; done
  restart=0; [ "$stop" = 1 ] || echo "${restartingPrefix}$*" >&2
done
`;

export interface OriginalCommand {
  /** The container's `command` (the image's ENTRYPOINT when absent). */
  command?: string[];
  /** The container's `args` (the image's CMD when absent). */
  args?: string[];
}

export class SupervisorError extends Error {}

/**
 * The `command` and `args` for the developer copy's main container: the supervisor, running the
 * original program. `fallback` is the config's `run` (the image's entrypoint and cmd) for a pod
 * spec that names neither command nor args, since the image's own are not visible in the spec.
 */
export function supervisedContainer(
  original: OriginalCommand,
  fallback?: string[],
): { command: string[]; args: string[] } {
  let argv: string[];
  if (original.command?.length) argv = [...original.command, ...(original.args ?? [])];
  else if (fallback?.length) argv = [...fallback];
  else {
    throw new SupervisorError(
      "The container names no command, so Devlane cannot run it under its restart supervisor: the image's entrypoint is not visible in the pod spec. " +
        'Set "run" for this service in .vscode/devlane.json to the image\'s entrypoint and command (e.g. ["node", "server.js"]), or use the action "none".',
    );
  }
  // Kubernetes expands $(VAR) in command and args and reads $$ as $: escape the script. The
  // original arguments are already written that way, so they pass unchanged.
  return { command: ['sh', '-c', escapeForPodSpec(supervisorScript), 'devlane-supervisor'], args: argv };
}

/** A string as it must be written in a container's command or args to reach the process unchanged. */
export function escapeForPodSpec(s: string): string {
  return s.replace(/\$/g, '$$$$');
}
