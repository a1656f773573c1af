// Joins two byte streams both ways, as a TCP proxy does once it has picked an upstream: data
// flows until either side closes or fails, and then both are torn down.
import type { Duplex } from 'node:stream';

export function spliceBoth(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close);
  b.on('error', close);
  a.on('close', close);
  b.on('close', close);
}
