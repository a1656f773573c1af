// The `devlane` debug type in a real VS Code: a launch configuration naming only the service (and,
// with no session active in this window, the session, context and namespace) attaches to the
// Python copy of catalog through the tunnel; a breakpoint set in the workspace's local app.py stops a
// routed request there, with the local path in the stack; continue lets the request finish; when the
// program restarts (as after a sync) Devlane attaches again and the breakpoint stops the next request;
// Stop ends the session for good. The Node copy goes through js-debug as a child session, and one Stop
// (Shift+F5) ends the whole tree.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { devlaneApi, extensionId } from './extension.inside';
import { eventually, test } from './runner';

const kubeconfig = process.env.DEVLANE_TEST_KUBECONFIG;
const alice = process.env.DEVLANE_TEST_CONTEXT_ALICE ?? 'sandbox-alice';
const admin = process.env.DEVLANE_TEST_CONTEXT_ADMIN ?? 'sandbox-admin';
const session = 'inside-debug';
const where = ['--kubeconfig', kubeconfig ?? '', '--context', alice, '-n', 'shop-plain'];

function cli(args: string[]): { code: number; out: string; stdout: string } {
  const r = spawnSync(
    process.execPath,
    [join(vscode.extensions.getExtension(extensionId)!.extensionPath, 'dist/cli.js'), ...where, ...args],
    { encoding: 'utf8', timeout: 240_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
  );
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout ?? '' };
}

/** A routed GET of catalog from the web pod (inside the cluster), without blocking the extension host. */
function routedGet(key: string): Promise<string> {
  return routedGetPath('http://catalog/products', key);
}

function routedGetPath(url: string, key: string): Promise<string> {
  const script = `require('http').get(process.argv[2], { headers: { 'x-devlane-route': process.argv[1] } }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => console.log(r.statusCode, b)); }).on('error', (e) => console.log('ERR', e.code || e.message))`;
  return new Promise((resolve) => {
    const c = spawn('kubectl', [
      '--kubeconfig',
      kubeconfig ?? '',
      '--context',
      admin,
      'exec',
      '-n',
      'shop-plain',
      'deploy/web',
      '-c',
      'web',
      '--',
      'node',
      '-e',
      script,
      key,
      url,
    ]);
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    // A request that failed, or an exec that did, says so instead of answering nothing.
    c.on('exit', (code) => resolve(out || `kubectl exec exited ${code}: ${err.trim().slice(0, 200)}`));
  });
}

test('a devlane launch configuration stops a routed request at a breakpoint in the local Python file, and attaches again after the program restarts', async () => {
  assert.ok(kubeconfig, 'DEVLANE_TEST_KUBECONFIG is set');
  await devlaneApi();
  const folder = vscode.workspace.workspaceFolders![0];
  const appPy = join(folder.uri.fsPath, 'catalog/app.py');
  const line =
    readFileSync(appPy, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('self.send_json(200, {"route"')) + 1;
  // With the workspace's sync mapping, as the editor starts it: the copy runs under the restart supervisor.
  const started = cli([
    'start',
    'catalog',
    '--session',
    session,
    '--detach',
    '--json',
    '--workspace',
    folder.uri.fsPath,
  ]);
  assert.equal(started.code, 0, started.out);
  const routeKey = JSON.parse(started.stdout).routeKey as string;
  const bp = () =>
    new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(appPy), new vscode.Position(line - 1, 0)));
  const subs: vscode.Disposable[] = [];
  try {
    let onStopped: (v: { session: vscode.DebugSession; threadId: number }) => void = () => {};
    subs.push(
      vscode.debug.registerDebugAdapterTrackerFactory('devlane', {
        createDebugAdapterTracker: (s) => ({
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          onDidSendMessage: (m: any) =>
            m.type === 'event' && m.event === 'stopped' && onStopped({ session: s, threadId: m.body.threadId }),
        }),
      }),
    );
    const devlaneSessions: vscode.DebugSession[] = [];
    const ended = new Set<string>();
    subs.push(vscode.debug.onDidStartDebugSession((s) => s.type === 'devlane' && devlaneSessions.push(s)));
    subs.push(vscode.debug.onDidTerminateDebugSession((s) => ended.add(s.id)));
    /** A routed request that stops at the breakpoint: the stop, checked to be in the local file, then continued. */
    const stopsAtBreakpoint = async (what: string) => {
      const b = bp();
      vscode.debug.addBreakpoints([b]);
      const stopped = new Promise<{ session: vscode.DebugSession; threadId: number }>((r) => (onStopped = r));
      const answer = routedGet(routeKey);
      const stop = await stopped;
      const trace = await stop.session.customRequest('stackTrace', { threadId: stop.threadId, levels: 1 });
      // In a remote window (the VS Code server) the editor hands the path back as a vscode-remote: URI.
      const framePath: string = trace.stackFrames[0].source.path;
      assert.equal(
        /^[a-z-]+:\/\//.test(framePath) ? vscode.Uri.parse(framePath).path : framePath,
        appPy,
        `${what}: the top frame is the local file`,
      );
      assert.equal(trace.stackFrames[0].line, line);
      vscode.debug.removeBreakpoints([b]);
      await stop.session.customRequest('continue', { threadId: stop.threadId });
      assert.match(
        await answer,
        /^200 .*"copy": "devlane:inside-debug"/,
        `${what}: the routed request was answered by the copy after continue`,
      );
      return stop.session;
    };

    const ok = await vscode.debug.startDebugging(folder, {
      type: 'devlane',
      request: 'attach',
      name: 'catalog in the cluster',
      service: 'catalog',
      session,
      context: alice,
      namespace: 'shop-plain',
    });
    assert.equal(ok, true, 'the debug session started');
    const first = await stopsAtBreakpoint('first attach');

    // The program restarts, as after a sync: the supervisor in the copy is told to, as the sync receiver does.
    const restart = spawnSync(
      'kubectl',
      [
        '--kubeconfig',
        kubeconfig ?? '',
        '--context',
        admin,
        'exec',
        '-n',
        'shop-plain',
        `deploy/catalog-dl-${session}`,
        '-c',
        'catalog',
        '--',
        'sh',
        '-c',
        'kill -USR1 "$(cat "${DEVLANE_RUN_DIR:-/tmp/devlane}/supervisor.pid")"',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(restart.status, 0, restart.stderr);
    assert.ok(
      await eventually(() => ended.has(first.id), Boolean, 60_000),
      'the first debug session ended with the program',
    );
    const again = () => devlaneSessions.find((s) => s.id !== first.id && !ended.has(s.id));
    if (!(await eventually(again, Boolean, 90_000))) {
      // Say why: what the copy printed (the supervisor's restart, debugpy's own errors).
      const out = spawnSync(
        'kubectl',
        [
          '--kubeconfig',
          kubeconfig ?? '',
          '--context',
          admin,
          'logs',
          '-n',
          'shop-plain',
          `deploy/catalog-dl-${session}`,
          '-c',
          'catalog',
          '--tail',
          '40',
        ],
        { encoding: 'utf8' },
      );
      assert.fail(
        `Devlane did not attach again to the restarted program; the copy's last output:\n${out.stdout}${out.stderr}`,
      );
    }
    const second = await stopsAtBreakpoint('after the restart');
    assert.notEqual(second.id, first.id);

    // Stop is final: Devlane does not attach again.
    await vscode.debug.stopDebugging(second);
    assert.ok(await eventually(() => ended.has(second.id), Boolean, 30_000), 'the second debug session ended');
    await new Promise((r) => setTimeout(r, 5_000));
    assert.deepEqual(
      devlaneSessions.filter((s) => !ended.has(s.id)).map((s) => s.name),
      [],
      'no devlane session runs after Stop',
    );
  } finally {
    for (const s of subs) s.dispose();
    cli(['stop', session]);
  }
}, 300_000);

test('a devlane launch configuration debugs a Node copy through js-debug as its child session', async () => {
  assert.ok(kubeconfig, 'DEVLANE_TEST_KUBECONFIG is set');
  await devlaneApi();
  const folder = vscode.workspace.workspaceFolders![0];
  const serverJs = join(folder.uri.fsPath, 'ratings/server.js');
  const line =
    readFileSync(serverJs, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes("res.writeHead(200, { 'content-type': 'application/json' })")) + 1;
  const started = cli(['start', 'ratings', '--session', `${session}-node`, '--detach', '--json']);
  assert.equal(started.code, 0, started.out);
  const routeKey = JSON.parse(started.stdout).routeKey as string;
  const bp = new vscode.SourceBreakpoint(
    new vscode.Location(vscode.Uri.file(serverJs), new vscode.Position(line - 1, 0)),
  );
  const subs: vscode.Disposable[] = [];
  try {
    vscode.debug.addBreakpoints([bp]);
    let onStopped: (v: { session: vscode.DebugSession; threadId: number }) => void = () => {};
    const stopped = new Promise<{ session: vscode.DebugSession; threadId: number }>((r) => (onStopped = r));
    // The first stop is the test's; a request queued behind it may stop again before the removed
    // breakpoint reaches js-debug: that one is continued at once.
    let firstStop = true;
    subs.push(
      vscode.debug.registerDebugAdapterTrackerFactory('pwa-node', {
        createDebugAdapterTracker: (s) => ({
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          onDidSendMessage: (m: any) => {
            if (m.type !== 'event' || m.event !== 'stopped') return;
            if (firstStop) {
              firstStop = false;
              onStopped({ session: s, threadId: m.body.threadId });
            } else void s.customRequest('continue', { threadId: m.body.threadId });
          },
        }),
      }),
    );
    const ok = await vscode.debug.startDebugging(folder, {
      type: 'devlane',
      request: 'attach',
      name: 'ratings in the cluster',
      service: 'ratings',
      session: `${session}-node`,
      context: alice,
      namespace: 'shop-plain',
    });
    assert.equal(ok, true, 'the debug session started');
    // js-debug binds breakpoints a moment after it has attached: send a routed request every second
    // until one stops, as a person would try again. Two minutes only catches a hang: with both
    // clusters' suites on two cores, binding has taken over a minute once.
    const answers: Promise<string>[] = [];
    let stoppedYet = false;
    const stop = await Promise.race([
      stopped.then((v) => ((stoppedYet = true), v)),
      (async () => {
        for (let i = 0; i < 120 && !stoppedYet; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          if (!stoppedYet) answers.push(routedGetPath('http://ratings/ratings/p-1', routeKey));
        }
        if (!stoppedYet) {
          // What the routed requests got, so a failure says whether the route or the breakpoint was missing.
          const late = new Promise<string[]>((r) => setTimeout(() => r(['(no answer yet)']), 10_000));
          const got = [...new Set(await Promise.race([Promise.all(answers.slice(-5)), late]))].map((a) =>
            a.trim().slice(0, 200),
          );
          throw new Error(
            `no routed request stopped at the breakpoint within two minutes; the last answers: ${JSON.stringify(got)}`,
          );
        }
        return new Promise<never>(() => {});
      })(),
    ]);
    const answer = Promise.all(answers).then(
      (all) => all.find((a) => !/^200 .*"copy":"devlane:inside-debug-node"/.test(a)) ?? all[0],
    );
    let root: vscode.DebugSession | undefined = stop.session;
    while (root?.parentSession) root = root.parentSession;
    assert.equal(root?.type, 'devlane', 'the js-debug session is a child of the devlane session');
    const trace = await stop.session.customRequest('stackTrace', { threadId: stop.threadId, levels: 1 });
    const framePath: string = trace.stackFrames[0].source.path;
    assert.equal(
      /^[a-z-]+:\/\//.test(framePath) ? vscode.Uri.parse(framePath).path : framePath,
      serverJs,
      'the top frame is the local file',
    );
    assert.equal(trace.stackFrames[0].line, line);
    vscode.debug.removeBreakpoints([bp]);
    await stop.session.customRequest('continue', { threadId: stop.threadId });
    assert.match(
      (await answer) ?? '',
      /^200 .*"copy":"devlane:inside-debug-node"/,
      'every routed request was answered by the copy after continue',
    );
    // One Stop (Shift+F5, on the focused js-debug session) ends every session of the tree: the
    // devlane one, js-debug's, and the one paused before; none is left reconnecting to a closed tunnel.
    const tree = new Map<string, string>();
    for (let s: vscode.DebugSession | undefined = stop.session; s; s = s.parentSession)
      tree.set(s.id, `${s.type} "${s.name}"`);
    const running = new Set(tree.keys());
    const allEnded = new Promise<void>((r) =>
      subs.push(vscode.debug.onDidTerminateDebugSession((s) => running.delete(s.id) && running.size === 0 && r())),
    );
    await vscode.commands.executeCommand('workbench.action.debug.stop');
    const bound = new Promise<void>((r) => setTimeout(r, 30_000));
    await Promise.race([allEnded, bound]);
    assert.deepEqual(
      [...running].map((id) => tree.get(id)),
      [],
      'one Stop ended every debug session of the tree',
    );
  } finally {
    vscode.debug.removeBreakpoints([bp]);
    for (const s of subs) s.dispose();
    // A failed run may leave sessions of this tree: stop them, so the next test starts clean.
    for (const s of [vscode.debug.activeDebugSession].filter(Boolean)) await vscode.debug.stopDebugging(s);
    cli(['stop', `${session}-node`]);
  }
}, 180_000);
