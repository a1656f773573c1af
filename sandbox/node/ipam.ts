// Pod IPs from the instance's block: 127.<octet>.0.1 .. 127.<octet>.127.254 (the upper half is the
// Service range). Allocation goes round the range, so a new pod rarely gets a just-freed IP.

import type { AddressBlock } from '../core/types';

export class PodIPs {
  private next = 1;
  private readonly used = new Set<number>();

  constructor(private readonly block: AddressBlock) {}

  private static readonly MAX = 128 * 256 - 1; // indexes 1 .. 32767; indexToIP skips .0 and .255

  allocate(): string {
    for (let tries = 0; tries < PodIPs.MAX; tries++) {
      const i = this.next;
      this.next = this.next >= PodIPs.MAX ? 1 : this.next + 1;
      const ip = indexToIP(this.block.octet, i);
      if (ip && !this.used.has(i)) {
        this.used.add(i);
        return ip;
      }
    }
    throw new Error(`no pod IP left in 127.${this.block.octet}.0.0/17`);
  }

  release(ip: string): void {
    const i = ipToIndex(ip);
    if (i !== undefined) this.used.delete(i);
  }
}

/** Index i -> 127.o.(i>>8).(i&255), skipping .0 and .255 in the last octet. */
export function indexToIP(octet: number, i: number): string | undefined {
  const third = i >> 8;
  const fourth = i & 255;
  if (third > 127 || fourth === 0 || fourth === 255) return undefined;
  return `127.${octet}.${third}.${fourth}`;
}

export function ipToIndex(ip: string): number | undefined {
  const p = ip.split('.').map(Number);
  if (p.length !== 4) return undefined;
  return (p[2] << 8) | p[3];
}
