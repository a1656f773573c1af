// A tar writer for what a sync batch carries (ustar, with GNU long-name records for paths longer
// than the header holds, which GNU tar and BusyBox tar both read). Pure: entries in, bytes out.
// Mode bits, binary contents and any UTF-8 name go through unchanged.

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeSec: number;
  data?: Buffer;
  linkname?: string;
}

const block = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: Buffer, type: string, size: number, mode: number, mtime: number, linkname: Buffer): Buffer {
  const h = Buffer.alloc(block);
  name.copy(h, 0, 0, Math.min(100, name.length));
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(mtime)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  linkname.copy(h, 157, 0, Math.min(100, linkname.length));
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

const pad = (n: number) => Buffer.alloc((block - (n % block)) % block);

function longRecord(type: 'L' | 'K', value: Buffer): Buffer[] {
  const data = Buffer.concat([value, Buffer.from([0])]);
  return [header(Buffer.from('././@LongLink'), type, data.length, 0o644, 0, Buffer.alloc(0)), data, pad(data.length)];
}

/** The archive for `entries`, ended by two zero blocks. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.type === 'dir' ? `${e.path}/` : e.path, 'utf8');
    const link = Buffer.from(e.linkname ?? '', 'utf8');
    if (name.length > 100) parts.push(...longRecord('L', name));
    if (link.length > 100) parts.push(...longRecord('K', link));
    const data = e.type === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const type = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
    parts.push(header(name, type, data.length, e.mode, e.mtimeSec, link));
    if (data.length) parts.push(data, pad(data.length));
  }
  parts.push(Buffer.alloc(block * 2));
  return Buffer.concat(parts);
}
