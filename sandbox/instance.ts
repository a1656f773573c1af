// One sandbox instance's claim on the machine: its state directory (a lock file with its PID) and
// a /16 of 127.0.0.0/8 for its pod and Service addresses, so a second instance never collides.

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressBlock } from './core/types';

const BLOCKS_DIR = join(tmpdir(), 'devlane-sandbox-blocks');
const FIRST = 16;
const LAST = 239;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` holding our PID; if it exists and its PID is dead, takes it over. False when a live process holds it. */
function claim(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (holder && alive(holder)) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

export interface Instance {
  block: AddressBlock;
  release(): void;
}

export function acquireInstance(stateDir: string): Instance {
  mkdirSync(stateDir, { recursive: true });
  const lock = join(stateDir, 'sandbox.pid');
  if (!claim(lock)) {
    const holder = readFileSync(lock, 'utf8').trim();
    throw new Error(
      `another sandbox (pid ${holder}) is using the state directory ${stateDir}. Nothing was started. ` +
        'Stop it, or start this one with another --kubeconfig or --state-dir.',
    );
  }
  mkdirSync(BLOCKS_DIR, { recursive: true });
  const span = LAST - FIRST + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const octet = FIRST + ((start + i) % span);
    const file = join(BLOCKS_DIR, String(octet));
    if (claim(file)) {
      return {
        block: { octet },
        release: () => {
          rmSync(file, { force: true });
          rmSync(lock, { force: true });
        },
      };
    }
  }
  rmSync(lock, { force: true });
  throw new Error(
    `every address block 127.${FIRST}-${LAST}.0.0/16 is held by a running sandbox. Nothing was started. Stop one of them.`,
  );
}
