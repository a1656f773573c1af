// Debug on a taken-over service row of the Sessions view, or from the command palette (a service of
// the active session): starts a `devlane` debug session, the same as the launch configuration
// `{ "type": "devlane", "request": "attach", "service": NAME }`.
import * as vscode from 'vscode';
import { commands } from '../../core/contributions';
import { Disposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { DebugError } from '../../debug/errors';
import type { ActiveSessions } from '../../sessionview/active';
import type { SessionsWatch } from '../../sessionview/watch';
import { type SessionServiceArg, sessionOf } from '../command-args';
import { registerCommand } from '../vscode-utils';
import { debugType } from './provider';

export class DebugCommands extends Disposable {
  constructor(
    private readonly active: ActiveSessions,
    private readonly watch: SessionsWatch,
    logger: Logger,
  ) {
    super();
    this._register(registerCommand(commands.debugService, (target) => this.debug(target), logger));
  }

  /** A service row of the Sessions view, or a session's service (the panel); else the session active here, and its service. */
  private async debug(target?: SessionServiceArg): Promise<void> {
    const given = target && (!('kind' in target) || target.kind === 'service') ? target : undefined;
    let ref = sessionOf(given);
    let service = ref && given?.service;
    if (!ref) {
      ref = this.active.current()?.ref;
      if (!ref)
        throw new DebugError(
          'no-session',
          'No Devlane session is active in this window',
          'Start or join a session first (Develop This Service, or Join Session in the Sessions view), then choose Debug on one of its services.',
        );
    }
    if (!service) {
      const held =
        this.watch
          .get(ref)
          ?.services.filter((s) => s.state === 'live')
          .map((s) => s.service) ?? [];
      if (held.length === 0)
        throw new DebugError(
          'no-copy',
          `Session ${ref.session} has no service taken over yet`,
          'Take over a service first (Take Over Service), then debug it.',
        );
      service =
        held.length === 1
          ? held[0]
          : await vscode.window.showQuickPick(held, { title: `Debug which service of session ${ref.session}?` });
      if (!service) return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    await vscode.debug.startDebugging(folder, {
      type: debugType,
      request: 'attach',
      name: `${service} (session ${ref.session})`,
      service,
      session: ref.session,
      context: ref.context,
      namespace: ref.namespace,
    });
  }
}
