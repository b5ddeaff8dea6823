// A one-line progress bar on a terminal; on anything else, a line every 10%.

export class ProgressBar {
  private lastDecile = -1;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream,
  ) {}

  update(done: number, note = ''): void {
    const share = this.total === 0 ? 1 : done / this.total;
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
      this.out.write(`\r[${bar}] ${done}/${this.total} ${Math.round(share * 100)}% ${note}`.padEnd(80));
      if (done >= this.total) this.out.write('\n');
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`${done}/${this.total} (${Math.round(share * 100)}%)\n`);
    }
  }
}
