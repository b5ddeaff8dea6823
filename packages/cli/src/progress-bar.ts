// A one-line progress bar on a terminal; on anything else (a log file, CI), a line every 1/steps of
// the way (every 10% by default).

export class ProgressBar {
  private lastStep = -1;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream,
    private readonly steps = 10,
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
    const step = Math.floor(share * this.steps);
    if (step > this.lastStep) {
      this.lastStep = step;
      this.out.write(`${done}/${this.total} (${Math.round(share * 100)}%)\n`);
    }
  }
}
