// The candidate pool (twin of assembly/market/pool.ts): the best POOL_SLOTS allocations found so far by
// welfare, each with its price. Ties in welfare keep insertion order, like a stable sort.
import { POOL_SLOTS } from './limits.ts';

export interface Candidate { x: Float64Array; y: Float64Array; f: Float64Array; price: number; welfare: number; src: number; seq: number }

export class Pool {
  readonly slots: Candidate[] = [];
  private seq = 0;

  /** Keep the candidate (copied) if there is room or it beats the worst kept. */
  add(x: Float64Array, y: Float64Array, f: Float64Array, price: number, welfare: number, src: number): void {
    const c: Candidate = { x: x.slice(), y: y.slice(), f: f.slice(), price, welfare, src, seq: this.seq };
    if (this.slots.length < POOL_SLOTS) {
      this.slots.push(c);
    } else {
      let worst = 0;
      for (let k = 1; k < POOL_SLOTS; k++) {
        const wk = this.slots[k].welfare;
        const ww = this.slots[worst].welfare;
        if (wk < ww || (wk === ww && this.slots[k].seq > this.slots[worst].seq)) worst = k;
      }
      if (welfare <= this.slots[worst].welfare) return;
      this.slots[worst] = c;
    }
    this.seq++;
  }

  /** Candidates by welfare, best first (ties: earlier first). */
  sorted(): Candidate[] {
    return this.slots.slice().sort((a, b) => b.welfare - a.welfare || a.seq - b.seq);
  }
}
