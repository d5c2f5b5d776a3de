// Slots of GET /v1/events streams. Each stream holds a socket and a queue for as long as the client likes,
// so anonymous clients get a bounded share (in all and per source address) and clients holding the API
// token keep the rest: 256 anonymous streams from one address can no longer lock every daemon out.
import { MAX_SSE_ANON_CLIENTS, MAX_SSE_CLIENTS, MAX_SSE_PER_ADDRESS } from './limits.ts';

export type Refusal = { status: 429 | 503; message: string };

export class EventClients {
  private total = 0;
  private anon = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits = { total: MAX_SSE_CLIENTS, anon: MAX_SSE_ANON_CLIENTS, perAddress: MAX_SSE_PER_ADDRESS }) {}

  /** A slot for a new stream, with the function that gives it back (call it once), or why not. */
  admit(address: string, withToken: boolean): { release: () => void } | Refusal {
    if (this.total >= this.limits.total) return { status: 503, message: `${this.limits.total} event clients are connected (the limit); retry later` };
    if (!withToken) {
      const mine = this.perAddress.get(address) ?? 0;
      if (mine >= this.limits.perAddress) {
        return { status: 429, message: `${mine} event streams from ${address} are open (the limit per client without the API token); close one or retry later` };
      }
      if (this.anon >= this.limits.anon) {
        return { status: 503, message: `${this.limits.anon} event streams without the API token are open (their share); retry later` };
      }
      this.anon++;
      this.perAddress.set(address, mine + 1);
    }
    this.total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        if (withToken) return;
        this.anon--;
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.perAddress.set(address, left);
        else this.perAddress.delete(address);  // the map holds only addresses with open streams
      },
    };
  }

  get open(): number { return this.total; }
}
