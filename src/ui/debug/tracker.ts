// What the session UI shows about debugging: attached, paused at file:line, detached, per service.
// A DAP tracker on every session that belongs to a `devlane` session (itself for Python; js-debug's
// sessions under it for Node) watches `stopped` / `continued` and the editor's resume requests, and
// reads the top frame from the stack trace the editor asks for right after a stop. "Attached" is
// said once the adapter is configured and has bound the breakpoints it was given.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from '../../core/lifecycle';
import type { ActivityReporter } from '../../sessionview/activity';
import type { DevlaneAdapterFactory, OpenDebugSession } from './factory';

/* eslint-disable @typescript-eslint/no-explicit-any -- DAP messages are plain JSON */
const resumes = new Set([
  'continue',
  'next',
  'stepIn',
  'stepOut',
  'stepBack',
  'reverseContinue',
  'goto',
  'restartFrame',
]);

export class DebugActivity extends Disposable {
  constructor(
    private readonly factory: DevlaneAdapterFactory,
    private readonly activity: ActivityReporter,
  ) {
    super();
    this._register(
      vscode.debug.registerDebugAdapterTrackerFactory('*', { createDebugAdapterTracker: (s) => this.tracker(s) }),
    );
    this._register(factory.onDidEnd((o) => this.activity.forgetService(o.target, o.target.service, 'debug')));
  }

  private tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    const owner = this.factory.owner(session);
    if (!owner) return undefined;
    // For Node the devlane session is only the parent of js-debug's: its own handshake says nothing about breakpoints.
    if (session.type === 'devlane' && owner.plan.target.spec.runtime === 'node') return undefined;
    let wantFrame = false;
    let paused = false;
    let attached = false;
    let configured = false;
    // Breakpoints the adapter has not bound yet: "attached" waits for them, so that a request sent
    // once the status says attached really stops (js-debug binds them a moment after configurationDone).
    const unbound = new Set<number>();
    let fallback: ReturnType<typeof setTimeout> | undefined;
    const ready = (force = false) => {
      if (attached || paused || !configured || (unbound.size > 0 && !force)) return;
      attached = true;
      if (fallback) clearTimeout(fallback);
      this.report(owner, 'attached');
    };
    return {
      onDidSendMessage: (m: any) => {
        if (m.type === 'event' && m.event === 'stopped') {
          wantFrame = true;
          paused = true;
          this.report(owner, 'paused');
        } else if (m.type === 'event' && m.event === 'continued') {
          paused = false;
          attached = true;
          this.report(owner, 'attached');
        } else if (m.type === 'event' && m.event === 'breakpoint' && m.body?.breakpoint?.id !== undefined) {
          if (m.body.breakpoint.verified || m.body.reason === 'removed') unbound.delete(m.body.breakpoint.id);
          else unbound.add(m.body.breakpoint.id);
          ready();
        } else if (m.type === 'response' && m.success && m.command === 'setBreakpoints') {
          for (const b of m.body?.breakpoints ?? []) {
            if (b.id === undefined) continue;
            if (b.verified) unbound.delete(b.id);
            else unbound.add(b.id);
          }
          ready();
        } else if (m.type === 'response' && m.success && m.command === 'configurationDone') {
          configured = true;
          // A breakpoint in a file the program never loads stays unbound: do not wait for it forever.
          fallback = setTimeout(() => ready(true), 5_000);
          ready();
        } else if (m.type === 'response' && m.success && m.command === 'stackTrace' && wantFrame) {
          wantFrame = false;
          const frame = m.body?.stackFrames?.[0];
          if (frame)
            this.report(
              owner,
              'paused',
              `${basename(frame.source?.path ?? frame.source?.name ?? frame.name ?? '?')}:${frame.line}`,
            );
        }
      },
      onWillReceiveMessage: (m: any) => {
        if (m.type === 'request' && resumes.has(m.command)) {
          paused = false;
          attached = true;
          this.report(owner, 'attached');
        }
      },
      onWillStopSession: () => {
        if (fallback) clearTimeout(fallback);
      },
    };
  }

  private report(o: OpenDebugSession, state: 'attached' | 'paused', where?: string): void {
    this.activity.reportDebug(o.target, {
      service: o.target.service,
      state,
      runtime: o.plan.target.spec.runtime,
      where,
    });
  }
}
