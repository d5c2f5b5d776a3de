// Reads a page-access trace file in bounded chunks: binary (little-endian u64 page numbers, one per access) or
// text (`--text`: one decimal page number per line). Every problem is an InputError naming the file and the
// byte offset or line, so `spirit mrc` exits 2 with a message the user can act on.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { InputError, assert } from '../errors.ts';
import { FORMAT_SNIFF_BYTES, MAX_TEXT_LINE_CHARS, READ_CHUNK_BYTES } from './limits.ts';

const TWO32 = 4294967296;
const U64_MAX = 0xffffffffffffffffn;
const MAX_EXACT_DIGITS = 15; // any 15-digit decimal is below 2^53, so plain doubles stay exact

export interface TraceReadOptions {
  /** one decimal page number per line instead of little-endian u64 records */
  text?: boolean;
}

function openTrace(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError(file, `cannot open the trace: ${(err as Error).message}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new InputError(file, 'is not a regular file');
  }
  return { fd, size: st.size };
}

export type TraceFormat = 'text' | 'binary';

/**
 * Which format a trace file is in, from its first bytes: text when they are all decimal digits and blanks
 * (spaces, tabs, line ends) with at least one digit; binary otherwise. A binary record holds a zero byte
 * unless its page number exceeds 2^56, so binary traces never pass for text in practice; the other way
 * round, a text trace whose size happened to be a multiple of 8 used to be read as binary.
 */
export function detectTraceFormat(file: string): TraceFormat {
  const { fd, size } = openTrace(file);
  try {
    const n = Math.min(size, FORMAT_SNIFF_BYTES);
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = readSync(fd, buf, got, n - got, got);
      if (r === 0) break;
      got += r;
    }
    let digits = 0;
    for (let i = 0; i < got; i++) {
      const b = buf[i];
      if (b >= 0x30 && b <= 0x39) digits++;
      else if (b !== 0x0a && b !== 0x0d && b !== 0x20 && b !== 0x09) return 'binary';
    }
    return digits > 0 ? 'text' : 'binary';
  } finally {
    closeSync(fd);
  }
}

/**
 * The accesses of a trace file, chunk by chunk. Each yielded array is a view of a reused buffer: consume it
 * before asking for the next one. Throws InputError for an empty, truncated or malformed file.
 */
export function* readTraceChunks(file: string, opts: TraceReadOptions = {}): Generator<BigUint64Array> {
  assert(endianness() === 'LE', 'trace files are little-endian; this machine is big-endian');
  const { fd, size } = openTrace(file);
  try {
    if (size === 0) throw new InputError(file, 'the trace is empty (no accesses)');
    if (opts.text) yield* readText(file, fd);
    else yield* readBinary(file, fd, size);
  } finally {
    closeSync(fd);
  }
}

function* readBinary(file: string, fd: number, size: number): Generator<BigUint64Array> {
  const rem = size % 8;
  if (rem !== 0) {
    throw new InputError(file, `truncated mid-record: ${size} bytes is not a multiple of 8; the record at byte offset ${size - rem} has only ${rem} of its 8 bytes`);
  }
  const buf = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES); // own ArrayBuffer at offset 0, so u64-aligned
  let pos = 0;
  while (pos < size) { // bounded: pos advances by > 0 bytes per round or we throw
    const want = Math.min(READ_CHUNK_BYTES, size - pos);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buf, got, want - got, pos + got);
      if (n === 0) throw new InputError(file, `the file ended early at byte offset ${pos + got} (it shrank while being read)`);
      got += n;
    }
    pos += got;
    yield new BigUint64Array(buf.buffer, buf.byteOffset, got / 8);
  }
}

/** Parser state for one text line (kept across chunk boundaries). */
interface LineState {
  lineNo: number;
  value: number;
  digits: number;
  raw: string;
  afterNumber: boolean;
  bad: string; // first problem of the line, reported with the whole line at its end
  blankLineNo: number; // first blank line seen, 0 if none: only trailing blank lines are allowed
}

function* readText(file: string, fd: number): Generator<BigUint64Array> {
  const bytes = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
  const out = new BigUint64Array(READ_CHUNK_BYTES / 8);
  const words = new Uint32Array(out.buffer);
  const st: LineState = { lineNo: 1, value: 0, digits: 0, raw: '', afterNumber: false, bad: '', blankLineNo: 0 };
  let n = 0;
  let pos = 0;
  for (;;) { // bounded by the file size: every round reads > 0 bytes or ends
    const got = readSync(fd, bytes, 0, bytes.length, pos);
    if (got === 0) break;
    pos += got;
    for (let i = 0; i < got; i++) {
      const ch = bytes[i];
      if (ch !== 10) { parseChar(st, ch); continue; }
      const page = endLine(file, st);
      if (page === null) continue;
      writePage(words, n++, page);
      if (n === out.length) { yield out; n = 0; }
    }
  }
  const last = endLine(file, st);
  if (last !== null) writePage(words, n++, last);
  if (n > 0) yield out.subarray(0, n);
  else if (st.blankLineNo === 1) throw new InputError(file, 'the trace has no accesses (only blank lines)');
}

function writePage(words: Uint32Array, i: number, page: number | bigint): void {
  if (typeof page === 'number') {
    const hi = Math.floor(page / TWO32);
    words[2 * i] = page - hi * TWO32;
    words[2 * i + 1] = hi;
  } else {
    words[2 * i] = Number(page & 0xffffffffn);
    words[2 * i + 1] = Number(page >> 32n);
  }
}

function lineError(file: string, st: LineState, problem: string): InputError {
  return new InputError(`${file}: line ${st.lineNo}`, problem);
}

function parseChar(st: LineState, ch: number): void {
  if (st.raw.length < MAX_TEXT_LINE_CHARS) st.raw += String.fromCharCode(ch);
  if (st.bad) return;
  if (ch >= 48 && ch <= 57) {
    if (st.afterNumber) st.bad = 'has more than one number; expected one page number per line';
    st.digits++;
    if (st.digits <= MAX_EXACT_DIGITS) st.value = st.value * 10 + (ch - 48);
    if (st.digits > 20) st.bad = 'is larger than a u64 page number';
    return;
  }
  if (ch === 32 || ch === 9 || ch === 13) { // spaces, tabs and a CR before the LF are allowed around the number
    if (st.digits > 0) st.afterNumber = true;
    return;
  }
  st.bad = ch === 45 ? 'is negative; page numbers are non-negative' : 'is not a page number (expected one non-negative decimal integer per line)';
}

/** Finishes a line: its page number, or null for a blank line (allowed only at the end of the file). */
function endLine(file: string, st: LineState): number | bigint | null {
  let page: number | bigint | null = null;
  if (st.bad) throw lineError(file, st, `'${st.raw.trim()}' ${st.bad}`);
  if (st.digits > 0) {
    if (st.blankLineNo > 0) throw new InputError(`${file}: line ${st.blankLineNo}`, 'is blank; blank lines are only allowed at the end of the file');
    if (st.digits <= MAX_EXACT_DIGITS) page = st.value;
    else {
      const big = BigInt(st.raw.trim());
      if (big > U64_MAX) throw lineError(file, st, `'${st.raw.trim()}' is larger than a u64 page number (max ${U64_MAX})`);
      page = big;
    }
  } else if (st.blankLineNo === 0) {
    st.blankLineNo = st.lineNo;
  }
  st.lineNo++;
  st.value = 0;
  st.digits = 0;
  st.raw = '';
  st.afterNumber = false;
  st.bad = '';
  return page;
}

/** The whole trace in memory (small files, tests). */
export function readTrace(file: string, opts: TraceReadOptions = {}): BigUint64Array {
  const chunks: BigUint64Array[] = [];
  let total = 0;
  for (const c of readTraceChunks(file, opts)) {
    chunks.push(c.slice());
    total += c.length;
  }
  const all = new BigUint64Array(total);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return all;
}
