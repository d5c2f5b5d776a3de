// The progress line of `spirit experiment live` on stderr: what runs now and about how long is left. On a
// terminal it redraws one line; otherwise (a log file, a test) it prints a line per step.
const BAR_WIDTH = 24;

export class Progress {
  private readonly startMs = Date.now();
  private doneS = 0;
  private lastLine = '';

  constructor(private totalS: number, private readonly out: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {}

  /** A step of `plannedS` seconds begins (the plan is re-based when steps run long or short). */
  step(label: string, plannedS: number): void {
    this.draw(label, plannedS, true);
  }

  /** The step took this long; `remainingPlannedS` is what the rest of the run should take. */
  done(spentPlannedS: number): void {
    this.doneS += spentPlannedS;
  }

  replan(totalS: number): void {
    this.totalS = totalS;
  }

  tick(label: string, leftInStepS: number): void {
    this.draw(label, leftInStepS, false);
  }

  finish(msg: string): void {
    if (this.quiet) return;
    if (this.out.isTTY) this.out.write('\r\x1b[K');
    this.out.write(`${msg}\n`);
  }

  private draw(label: string, leftInStepS: number, newStep: boolean): void {
    if (this.quiet) return;
    const elapsedS = (Date.now() - this.startMs) / 1000;
    const leftS = Math.max(0, this.totalS - this.doneS) + Math.max(0, leftInStepS);
    const share = Math.min(1, elapsedS / Math.max(1, elapsedS + leftS));
    const full = Math.round(share * BAR_WIDTH);
    const line = `[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}] ${label}; ~${fmt(leftS)} left (${fmt(elapsedS)} so far)`;
    if (this.out.isTTY) this.out.write(`\r\x1b[K${line}`);
    else if (newStep && line !== this.lastLine) this.out.write(`${line}\n`);
    this.lastLine = line;
  }
}

function fmt(s: number): string {
  const r = Math.round(s);
  return r >= 60 ? `${Math.floor(r / 60)} min ${r % 60} s` : `${r} s`;
}
