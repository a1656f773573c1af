// The Debug Adapter Protocol's wire format: each message is `Content-Length: N\r\n\r\n` and N bytes
// of JSON. Used where Devlane speaks DAP itself (the probe, Delve's relay).

/* eslint-disable @typescript-eslint/no-explicit-any -- DAP messages are plain JSON */
export type DapMessage = { seq: number; type: string; [key: string]: any };

export function encodeDap(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
}

/** Splits a byte stream into DAP messages; `onMessage` gets each, `onError` a body that is not JSON. */
export class DapReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onMessage: (m: DapMessage) => void,
    private readonly onError: (detail: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /Content-Length: *(\d+)/i.exec(this.buf.subarray(0, end).toString('latin1'));
      if (!m) {
        this.onError(`not the Debug Adapter Protocol: ${this.buf.subarray(0, 100).toString('latin1')}`);
        this.buf = Buffer.alloc(0);
        return;
      }
      const start = end + 4;
      const len = Number(m[1]);
      if (this.buf.length < start + len) return;
      const body = this.buf.subarray(start, start + len).toString('utf8');
      this.buf = this.buf.subarray(start + len);
      let msg: DapMessage;
      try {
        msg = JSON.parse(body) as DapMessage;
      } catch {
        this.onError(`not the Debug Adapter Protocol: ${body.slice(0, 100)}`);
        continue;
      }
      this.onMessage(msg);
    }
  }
}
