// The Debian packages `npm run demo` needs on this machine, found all at once so that a fresh
// machine is told one `apt-get install` line instead of stopping at each missing package in turn.
// A package counts as present when a file it installs is there (so a program installed some other
// way is accepted too). Chromium is not among them: the demo prints a URL for your own browser;
// only the end-to-end tests drive a Chromium.

/** @typedef {{ pkg: string, paths: string[], why: string }} Need */

/** @type {Need[]} */
const sandbox = [
  { pkg: 'bubblewrap', paths: ['/usr/bin/bwrap'], why: "the sandbox's pods run in their own namespaces" },
  { pkg: 'nftables', paths: ['/usr/sbin/nft'], why: 'pods reach Services and each other by address' },
  { pkg: 'nginx-light', paths: ['/usr/sbin/nginx'], why: "the nginx image and Devlane's router" },
  { pkg: 'python3', paths: ['/usr/bin/python3'], why: "the demo shop's Python service" },
  {
    pkg: 'python3-debugpy',
    paths: ['/usr/lib/python3/dist-packages/debugpy'],
    why: 'breakpoints in the Python service',
  },
  {
    pkg: 'postgresql-15',
    paths: ['/usr/lib/postgresql/15/bin/postgres'],
    why: "the demo shop's database (postgres:15)",
  },
];

/** @type {Need[]} */
const real = [
  { pkg: 'containerd', paths: ['/usr/bin/containerd'], why: "the real cluster's container runtime" },
  { pkg: 'runc', paths: ['/usr/sbin/runc', '/usr/bin/runc'], why: "containerd's runtime" },
  { pkg: 'containernetworking-plugins', paths: ['/usr/lib/cni/bridge'], why: "the pods' bridge network" },
  { pkg: 'nftables', paths: ['/usr/sbin/nft'], why: "the Services' rules" },
  { pkg: 'conntrack', paths: ['/usr/sbin/conntrack'], why: 'kube-proxy' },
  { pkg: 'busybox-static', paths: ['/bin/busybox', '/usr/bin/busybox'], why: "the images' shell and commands" },
  { pkg: 'openssl', paths: ['/usr/bin/openssl'], why: "the cluster's certificates" },
  {
    pkg: 'postgresql-15',
    paths: ['/usr/lib/postgresql/15/bin/postgres'],
    why: "the postgres:15 image (the demo's database)",
  },
];

/** @type {Need} */
const codeServer = {
  pkg: 'libkrb5-dev',
  paths: ['/usr/include/gssapi/gssapi.h'],
  why: "code-server's first install builds a module against Kerberos' headers",
};

/**
 * The packages missing for this run, in a stable order.
 * @param {{ real: boolean, codeServerInstalled: boolean, exists: (path: string) => boolean }} o
 * @returns {Need[]}
 */
export function missingPackages(o) {
  const needs = [...(o.real ? real : sandbox), ...(o.codeServerInstalled ? [] : [codeServer])];
  return needs.filter((n) => !n.paths.some((p) => o.exists(p)));
}

/**
 * What to do about the missing packages: nothing; install them (root, and --yes or
 * DEVLANE_DEMO_INSTALL=1); ask first (root on a terminal); or say what to run and stop.
 * @param {{ missing: Need[], root: boolean, terminal: boolean, yes: boolean, apt: boolean }} o
 * @returns {{ action: 'none' } | { action: 'install' | 'ask' | 'tell', command: string }}
 */
export function installDecision(o) {
  if (o.missing.length === 0) return { action: 'none' };
  const command = `${o.root ? '' : 'sudo '}apt-get install ${o.missing.map((n) => n.pkg).join(' ')}`;
  if (!o.apt || !o.root) return { action: 'tell', command };
  if (o.yes) return { action: 'install', command };
  return { action: o.terminal ? 'ask' : 'tell', command };
}

/**
 * The message naming every missing package and why each is needed.
 * @param {Need[]} missing
 * @param {string} command
 * @param {boolean} apt whether this machine has apt-get (else the names are Debian's)
 */
export function missingText(missing, command, apt) {
  const run = apt
    ? `Install them with:\n\n    ${command}\n\n`
    : 'This machine has no apt-get; install the equivalent of these Debian packages.\n';
  return `missing system packages; nothing was started:\n${missingLines(missing)}\n${run}Then run \`npm run demo\` again (as root with --yes, or DEVLANE_DEMO_INSTALL=1, it installs them itself).`;
}

/** One line per missing package: its name and why the demo needs it. */
export function missingLines(/** @type {Need[]} */ missing) {
  return missing.map((n) => `  ${n.pkg}: ${n.why}`).join('\n');
}
