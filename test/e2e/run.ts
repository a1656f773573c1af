// `npm run test:vscode-desktop`: the same in-editor suite (test/e2e/inside/) in VS Code desktop,
// downloaded by @vscode/test-electron into .vscode-test/, for laptops and hosted CI where that
// download works. Needs a cluster: DEVLANE_TEST_KUBECONFIG, or the sandbox from `npm run sandbox`
// (.devlane/sandbox/kubeconfig). On a Linux machine without a display, run it under xvfb-run.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { quietSettings, REPO } from './harness/index';

async function main(): Promise<number> {
  const kubeconfig = process.env.DEVLANE_TEST_KUBECONFIG ?? join(REPO, '.devlane/sandbox/kubeconfig');
  if (!existsSync(kubeconfig)) {
    console.error(
      `no kubeconfig at ${kubeconfig}: start the sandbox (\`npm run sandbox\`) in another terminal, or set DEVLANE_TEST_KUBECONFIG.`,
    );
    return 2;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'devlane-desktop-'));
  const userDataDir = join(tmp, 'user-data');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify(quietSettings(kubeconfig), null, 2));
  cpSync(join(REPO, 'sandbox/demo/src'), join(tmp, 'workspace'), { recursive: true });
  try {
    return await runTests({
      version: process.env.DEVLANE_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: REPO,
      extensionTestsPath: join(REPO, 'out/test/e2e/inside/index.js'),
      launchArgs: [
        join(tmp, 'workspace'),
        '--user-data-dir',
        userDataDir,
        '--extensions-dir',
        join(tmp, 'extensions'),
        '--disable-workspace-trust',
      ],
    });
  } catch (err) {
    console.error(`the in-editor suite failed in VS Code desktop: ${(err as Error).message}`);
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
