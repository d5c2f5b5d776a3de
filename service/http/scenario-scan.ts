// A scenario body checked while it streams in, before anything parses it: the structure of the JSON is
// followed byte by byte (strings, nesting, the keys on the way to each array) and the counts that make a
// scenario expensive are bounded as they grow: apps, curve points, surface axes and rows, nesting depth.
// A body that breaks one is refused at that byte (400), so a 300k-app body costs the server the first few
// hundred kilobytes, not a parse and a validation of 32 MiB. Full validation (service/scenario) still runs
// on what passes; this only has to be right about the counts, and cheap.
import { InputError } from '../errors.ts';
import { MAX_APPS, MAX_MRC_POINTS, MAX_SURFACE_AXIS } from '../limits.ts';

/** Depth of the deepest legal value: root {} > apps [] > app {} > model {} > mrc [] > point [] (also throughput rows). */
export const MAX_SCENARIO_DEPTH = 6;
/** Key characters kept for matching: the keys that matter are short; longer ones only need to be told apart. */
const KEY_CHARS_MAX = 16;

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d, COMMA = 0x2c, COLON = 0x3a;

interface Frame {
  array: boolean;
  /** the key this container is the value of (objects' members), '' for array elements and the root */
  key: string;
  /** elements so far (arrays) */
  count: number;
  /** an element has begun since the last comma (arrays) */
  open: boolean;
}

export class ScenarioScan {
  /** apps seen so far (elements of the root's `apps` array) */
  apps = 0;
  private stack: Frame[] = [];
  private inString = false;
  private escape = false;
  /** the string being read is an object key (its characters are collected) */
  private readingKey = false;
  private key = '';
  /** the key of the member whose value comes next */
  private pendingKey = '';
  /** an object member's value may follow (after its colon) */
  private expectValue = false;
  private bytes = 0;

  /** Feeds the next bytes of the body; throws InputError at the first bound broken. */
  push(chunk: Uint8Array): void {
    const st = this.stack;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        // inside a string only a quote or a backslash matters: jump to the next one (native search)
        if (this.escape) {
          this.escape = false;
          i++;
          continue;
        }
        const q = chunk.indexOf(QUOTE, i);
        const end = q < 0 ? n : q;
        // a backslash only before that quote matters (searching the whole chunk would make this quadratic)
        let bs = -1;
        for (let k = i; k < end; k++) if (chunk[k] === BACKSLASH) { bs = k; break; }
        if (bs >= 0) {
          if (this.readingKey) this.collectKey(chunk, i, bs);
          this.escape = true;
          i = bs + 1;
          continue;
        }
        if (this.readingKey) this.collectKey(chunk, i, end);
        if (q < 0) break;  // the string goes on in the next chunk
        this.inString = false;
        if (this.readingKey) { this.readingKey = false; this.pendingKey = this.key; }
        i = q + 1;
        continue;
      }
      const b = chunk[i++];
      if (b === QUOTE) {
        const top = st[st.length - 1];
        // a string where a key belongs: in an object, not after its colon
        if (top && !top.array && !this.expectValue) {
          this.readingKey = true;
          this.key = '';
        } else this.beginValue();
        this.inString = true;
      } else if (b === LBRACE || b === LBRACKET) {
        this.beginValue();
        const key = st.length > 0 && !st[st.length - 1].array ? this.pendingKey : '';
        st.push({ array: b === LBRACKET, key, count: 0, open: false });
        this.expectValue = false;
        if (st.length > MAX_SCENARIO_DEPTH) this.fail('(body)', `nests deeper than any scenario (${MAX_SCENARIO_DEPTH} levels)`);
      } else if (b === RBRACE || b === RBRACKET) {
        st.pop();
        this.expectValue = false;
      } else if (b === COLON) {
        this.expectValue = true;
      } else if (b === COMMA) {
        const top = st[st.length - 1];
        if (top?.array) top.open = false;
        this.expectValue = false;
      } else if (b > 0x20) {
        // numbers, true/false/null: a value begins at its first byte; the rest of it changes nothing
        this.beginValue();
        while (i < n) {
          const c = chunk[i];
          if (c <= 0x20 || c === COMMA || c === RBRACKET || c === RBRACE || c === COLON || c === QUOTE || c === LBRACE || c === LBRACKET) break;
          i++;
        }
      }
    }
    this.bytes += n;
  }

  private collectKey(chunk: Uint8Array, from: number, to: number): void {
    for (let k = from; k < to && this.key.length < KEY_CHARS_MAX; k++) this.key += String.fromCharCode(chunk[k]);
  }

  /** A value begins in the container on top: count it if that container is an array whose size is bounded. */
  private beginValue(): void {
    const st = this.stack;
    const top = st[st.length - 1];
    if (!top || !top.array || top.open) return;
    top.open = true;
    top.count++;
    const depth = st.length;
    // root {} (1) > apps [] (2)
    if (depth === 2 && top.key === 'apps') {
      this.apps = top.count;
      if (top.count > MAX_APPS) this.fail('apps', `has more than ${MAX_APPS} apps (the limit); refused after ${this.bytes} bytes, before the rest was read`);
      return;
    }
    // app {} (3) > model {} (4) > mrc / cacheMB / bandwidthMbps / throughput [] (5) > throughput row [] (6)
    if (depth === 5 && st[3].key === 'model' && st[1].key === 'apps') {
      const where = `apps[${this.apps - 1}].model.${top.key}`;
      if (top.key === 'mrc' && top.count > MAX_MRC_POINTS) this.fail(where, `has more than ${MAX_MRC_POINTS} points (the limit)`);
      if ((top.key === 'cacheMB' || top.key === 'bandwidthMbps' || top.key === 'throughput') && top.count > MAX_SURFACE_AXIS) {
        this.fail(where, `has more than ${MAX_SURFACE_AXIS} entries (the limit)`);
      }
      return;
    }
    if (depth === 6 && st[4].key === 'throughput' && st[3].key === 'model' && st[1].key === 'apps' && top.count > MAX_SURFACE_AXIS) {
      this.fail(`apps[${this.apps - 1}].model.throughput[${st[4].count - 1}]`, `has more than ${MAX_SURFACE_AXIS} values (the limit)`);
    }
  }

  private fail(where: string, problem: string): never {
    throw new InputError(where, problem);
  }
}
