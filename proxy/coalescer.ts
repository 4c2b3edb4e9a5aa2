/**
 * Gathers relayed messages that sit back to back in one received chunk into a single write,
 * so a chunk of many small messages costs one socket write and no copy.
 */
export class Coalescer {
  private buf: Buffer | null = null;
  private start = 0;
  private end = 0;

  constructor(private readonly write: (bytes: Buffer) => void) {}

  add(buf: Buffer, start: number, end: number): void {
    if (buf === this.buf && start === this.end) {
      this.end = end;
      return;
    }
    this.flush();
    this.buf = buf;
    this.start = start;
    this.end = end;
  }

  /** Writes what was gathered; call before writing anything else to the same peer. */
  flush(): void {
    const buf = this.buf;
    if (buf === null) return;
    this.buf = null;
    this.write(this.start === 0 && this.end === buf.length ? buf : buf.subarray(this.start, this.end));
  }
}
