// What "create a launch.json file" writes for the `devlane` type, and how the debug sessions are
// named. Pure, so that the editor glue (src/ui/debug/) only gathers the inputs.
import { debugType } from '../core/contributions';

export interface LaunchConfig {
  type: string;
  request: 'attach';
  name: string;
  service?: string;
}

/**
 * One attach configuration per service: those of the session active in this window first (what
 * you can debug now), then the other services `.vscode/devlane.json` maps (what you will take
 * over). Without either, one configuration that names no service: starting it asks which service
 * of the active session to debug. Only `service` is written, so a launch.json shared with a team
 * follows whichever session is active in each window.
 */
export function initialLaunchConfigs(o: {
  sessionServices: readonly string[];
  configServices: readonly string[];
}): LaunchConfig[] {
  const services = [...new Set([...o.sessionServices, ...[...o.configServices].sort()].filter(Boolean))];
  if (services.length === 0)
    return [{ type: debugType, request: 'attach', name: 'Devlane: debug a service of the active session' }];
  return services.map((service) => ({
    type: debugType,
    request: 'attach',
    name: `Devlane: debug ${service}`,
    service,
  }));
}

/**
 * The name of the debugger's own session started under a `devlane` session (Node: js-debug). The
 * editor shows it in the call stack in place of its parent, and numbers a session whose name is
 * already taken ("… 2"): so it is the parent's name with the debugger's, never the same.
 */
export function childSessionName(parentName: string, debuggerName: string): string {
  return `${parentName} (${debuggerName})`;
}
