// A container's filesystem as bwrap mount arguments. The root is a fresh tmpfs (so a restarted
// container starts from a clean writable layer, as with a real runtime); the host's /usr and /etc
// are bound read-only, with /usr/local emptied (the host's is not the image's); the image's files
// are bound writable at their paths (replacing the host's directory where both have one, as an image
// layer would); then the host files the image names (its toolchain, its Go binaries), /etc/hosts
// and the volumes. A `scratch` image gets nothing from the host: only its own files.
//
// bwrap cannot create a mount point inside a read-only bind, so when something must go at a path
// the host does not have (say /etc/myapp or /usr/src/app), the host directory above it is "exploded":
// replaced by a tmpfs holding a read-only bind of each of its entries, where the new path can be made.

import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

type Kind = 'tmpfs' | 'host' | 'bind' | 'symlink' | 'pass';

interface Node {
  kind: Kind;
  /** host: the host path bound; bind: the source; pass: the host path if under a host bind. */
  src?: string;
  ro?: boolean;
  target?: string;
  /** Inside a host bind (pass/host) this node's host path; undefined inside image/volume binds. */
  hostPath?: string;
  children: Map<string, Node>;
}

export class RootFs {
  private readonly root: Node = { kind: 'tmpfs', children: new Map() };

  /** `host: false` gives a root with nothing from the host (an image built `FROM scratch`). */
  constructor(o: { host: boolean } = { host: true }) {
    if (!o.host) return;
    for (const top of ['usr', 'etc'])
      this.root.children.set(top, { kind: 'host', src: `/${top}`, ro: true, hostPath: `/${top}`, children: new Map() });
    for (const [name, target] of [
      ['lib', 'usr/lib'],
      ['lib64', 'usr/lib64'],
      ['bin', 'usr/bin'],
      ['sbin', 'usr/sbin'],
    ]) {
      if (existsSync(`/${target}`)) this.root.children.set(name, { kind: 'symlink', target, children: new Map() });
    }
    const usr = this.explode(this.root.children.get('usr')!);
    usr.children.set('local', { kind: 'tmpfs', children: new Map() });
  }

  /** Turns a host-backed directory node into a tmpfs holding a read-only bind of each host entry. */
  private explode(n: Node): Node {
    if (n.kind === 'tmpfs') return n;
    const hostDir = n.hostPath!;
    for (const name of readdirSync(hostDir)) {
      if (n.children.has(name)) continue;
      const p = join(hostDir, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) n.children.set(name, { kind: 'symlink', target: readlinkSync(p), children: new Map() });
      else if (st.isDirectory() || st.isFile())
        n.children.set(name, { kind: 'host', src: p, ro: true, hostPath: p, children: new Map() });
    }
    // Directories that existed only through the old bind now need a bind of their own.
    for (const c of n.children.values()) if (c.kind === 'pass' && c.hostPath) c.kind = 'host';
    if (n.kind === 'host' || n.kind === 'pass') {
      n.kind = 'tmpfs';
      delete n.src;
    }
    return n;
  }

  /**
   * The node for `path`, creating what is needed on the way so that a mount can be made there.
   * Returns the parent and the final name; the caller sets the node.
   */
  private parentOf(path: string): { parent: Node; name: string } {
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 0) throw new Error('cannot mount over the container root');
    let node = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      node = this.child(node, parts[i]);
    }
    const name = parts[parts.length - 1];
    // Mounting at a path the host bind lacks needs a writable parent.
    if (
      (node.kind === 'host' || node.kind === 'pass') &&
      node.hostPath &&
      !node.children.has(name) &&
      !existsSync(join(node.hostPath, name))
    ) {
      this.explode(node);
    }
    return { parent: node, name };
  }

  private child(node: Node, name: string): Node {
    const existing = node.children.get(name);
    if (existing) {
      if (existing.kind === 'symlink') {
        throw new Error(
          `/${name} is a symbolic link in the sandbox's container root (to ${existing.target}); mount at the target path instead`,
        );
      }
      return existing;
    }
    if ((node.kind === 'host' || node.kind === 'pass') && node.hostPath) {
      const hp = join(node.hostPath, name);
      if (existsSync(hp) && lstatSync(hp).isDirectory()) {
        const n: Node = { kind: 'pass', hostPath: hp, children: new Map() };
        node.children.set(name, n);
        return n;
      }
      this.explode(node);
    }
    // On a tmpfs or inside a writable bind: a plain directory, made by bwrap when a mount below needs it.
    const n: Node = { kind: 'pass', children: new Map() };
    node.children.set(name, n);
    return n;
  }

  /** True when `path` exists in the container view built so far (without creating anything). */
  exists(path: string): boolean {
    let node = this.root;
    const parts = path.split('/').filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const c = node.children.get(parts[i]);
      if (c) {
        node = c;
        continue;
      }
      if (node.hostPath) return existsSync(join(node.hostPath, ...parts.slice(i)));
      return false;
    }
    return true;
  }

  bind(src: string, dest: string, ro: boolean): void {
    const { parent, name } = this.parentOf(dest);
    const old = parent.children.get(name);
    parent.children.set(name, {
      kind: 'bind',
      src,
      ro,
      children: old && old.kind !== 'host' && old.kind !== 'pass' ? new Map() : new Map(),
    });
  }

  symlink(target: string, dest: string): void {
    const { parent, name } = this.parentOf(dest);
    // A link cannot be made over an entry of a read-only host bind: the directory gets its own tmpfs.
    if ((parent.kind === 'host' || parent.kind === 'pass') && parent.hostPath) this.explode(parent);
    parent.children.set(name, { kind: 'symlink', target, children: new Map() });
  }

  /** Makes sure a directory exists at `path` (e.g. the working directory). */
  dir(path: string): void {
    const parts = path.split('/').filter(Boolean);
    let node = this.root;
    for (const p of parts) node = this.child(node, p);
  }

  /**
   * Places an image's rootfs: a directory the host view already has and that holds only
   * directories is descended into; anything else replaces what is there.
   */
  overlayImage(rootfs: string, dest = '/'): void {
    if (!existsSync(rootfs)) return;
    for (const name of readdirSync(rootfs)) {
      if (name === '.keep') continue;
      const src = join(rootfs, name);
      const target = dest === '/' ? `/${name}` : `${dest}/${name}`;
      const st = lstatSync(src);
      if (st.isSymbolicLink()) {
        this.symlink(readlinkSync(src), target);
      } else if (
        st.isDirectory() &&
        this.exists(target) &&
        readdirSync(src).every((e) => lstatSync(join(src, e)).isDirectory())
      ) {
        this.overlayImage(src, target);
      } else {
        this.bind(src, target, false);
      }
    }
  }

  /** The bwrap arguments, parents before children. */
  args(): string[] {
    const out: string[] = [];
    const walk = (n: Node, path: string) => {
      switch (n.kind) {
        case 'tmpfs':
          if (path) out.push('--tmpfs', path);
          break;
        case 'host':
          out.push(n.ro ? '--ro-bind' : '--bind', n.src!, path);
          break;
        case 'bind':
          out.push(n.ro ? '--ro-bind' : '--bind', n.src!, path);
          break;
        case 'symlink':
          out.push('--symlink', n.target!, path);
          return;
        case 'pass':
          if (!n.hostPath && n.children.size === 0) out.push('--dir', path);
          break;
      }
      for (const [name, c] of [...n.children].sort(([a], [b]) => a.localeCompare(b))) walk(c, `${path}/${name}`);
    };
    walk(this.root, '');
    return out;
  }
}
