// Tests that need something this machine may lack (nginx, real VS Code, a cluster with the demo
// shop). On a developer's machine a missing prerequisite skips them, saying why; on CI, where every
// prerequisite is installed, a missing one means the run tested less than it claims, so it fails.
import { spawnSync } from 'node:child_process';

/** `false` when nothing is missing; else the reason to skip, or (under CI=true) a thrown error. */
export function prerequisite(missing: string | false): string | false {
  if (!missing) return false;
  if (process.env.CI === 'true')
    throw new Error(
      `${missing}. On CI every prerequisite is installed, so a missing one fails the run instead of skipping tests.`,
    );
  return missing;
}

/** The `skip` option of the tests that run a real nginx. */
export const needsNginx = (): string | false =>
  prerequisite(
    spawnSync('nginx', ['-v']).status === 0 ? false : 'nginx is not installed (apt-get install nginx-light)',
  );
