// What the session UI shows about debugging: attached, paused at file:line, detached, per service.
// A DAP tracker on every session that belongs to a `devlane` session (itself for Python; js-debug's
// sessions under it for Node) watches `stopped` / `continued` and the editor's resume requests, and
// reads the top frame from the stack trace the editor asks for right after a stop.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from '../../core/lifecycle';
import type { ActivityReporter } from '../../sessionview/activity';
import type { DevlaneAdapterFactory, OpenDebugSession } from './factory';

/* eslint-disable @typescript-eslint/no-explicit-any -- DAP messages are plain JSON */
const resumes = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto', 'restartFrame']);

export class DebugActivity extends Disposable {
  constructor(
    private readonly factory: DevlaneAdapterFactory,
    private readonly activity: ActivityReporter,
  ) {
    super();
    this._register(vscode.debug.registerDebugAdapterTrackerFactory('*', { createDebugAdapterTracker: (s) => this.tracker(s) }));
    this._register(factory.onDidEnd((o) => this.activity.forgetService(o.target, o.target.service, 'debug')));
  }

  private tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    const owner = this.factory.owner(session);
    if (!owner) return undefined;
    let wantFrame = false;
    return {
      onDidSendMessage: (m: any) => {
        if (m.type === 'event' && m.event === 'stopped') {
          wantFrame = true;
          this.report(owner, 'paused');
        } else if (m.type === 'event' && m.event === 'continued') {
          this.report(owner, 'attached');
        } else if (m.type === 'response' && m.success && m.command === 'attach') {
          this.report(owner, 'attached');
        } else if (m.type === 'response' && m.success && m.command === 'stackTrace' && wantFrame) {
          wantFrame = false;
          const frame = m.body?.stackFrames?.[0];
          if (frame) this.report(owner, 'paused', `${basename(frame.source?.path ?? frame.source?.name ?? frame.name ?? '?')}:${frame.line}`);
        }
      },
      onWillReceiveMessage: (m: any) => {
        if (m.type === 'request' && resumes.has(m.command)) this.report(owner, 'attached');
      },
    };
  }

  private report(o: OpenDebugSession, state: 'attached' | 'paused', where?: string): void {
    this.activity.reportDebug(o.target, { service: o.target.service, state, runtime: o.plan.target.spec.runtime, where });
  }
}
