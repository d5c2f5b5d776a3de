// Max-heap of the sampled pages by sampling value (hash >>> SAMPLE_SHIFT), for the fixed-size variant: when
// the sample set is full, the threshold drops to the top's value and the pages at the top leave.
import { SAMPLE_SHIFT } from './hash';

let hashP: usize = 0; // u32 page hashes
let keyP: usize = 0; // u64 pages, parallel
let size: i32 = 0;

/** Room for cap pages (the previous contents are dropped). */
export function maxheapAlloc(cap: i32): void {
  if (hashP != 0) { heap.free(hashP); heap.free(keyP); }
  hashP = heap.alloc(<usize>cap << 2);
  keyP = heap.alloc(<usize>cap << 3);
  size = 0;
}

export function maxheapClear(): void { size = 0; }
export function maxheapSize(): i32 { return size; }

// @ts-ignore: decorator
@inline function value(i: i32): u32 { return load<u32>(hashP + (<usize>i << 2)) >>> SAMPLE_SHIFT; }
export function maxheapTopValue(): u32 { return value(0); }
export function maxheapTopHash(): u32 { return load<u32>(hashP); }
export function maxheapTopKey(): u64 { return load<u64>(keyP); }

function put(i: i32, h: u32, key: u64): void {
  store<u32>(hashP + (<usize>i << 2), h);
  store<u64>(keyP + (<usize>i << 3), key);
}

function siftUp(i: i32): void {
  const h = load<u32>(hashP + (<usize>i << 2));
  const key = load<u64>(keyP + (<usize>i << 3));
  const v = h >>> SAMPLE_SHIFT;
  while (i > 0) { // bounded by the heap height
    const parent = (i - 1) >> 1;
    if (value(parent) >= v) break;
    put(i, load<u32>(hashP + (<usize>parent << 2)), load<u64>(keyP + (<usize>parent << 3)));
    i = parent;
  }
  put(i, h, key);
}

function siftDown(i: i32): void {
  const h = load<u32>(hashP + (<usize>i << 2));
  const key = load<u64>(keyP + (<usize>i << 3));
  const v = h >>> SAMPLE_SHIFT;
  for (;;) { // bounded by the heap height
    let c = 2 * i + 1;
    if (c >= size) break;
    if (c + 1 < size && value(c + 1) > value(c)) c++;
    if (value(c) <= v) break;
    put(i, load<u32>(hashP + (<usize>c << 2)), load<u64>(keyP + (<usize>c << 3)));
    i = c;
  }
  put(i, h, key);
}

export function maxheapPush(h: u32, key: u64): void {
  put(size, h, key);
  size++;
  siftUp(size - 1);
}

/** Removes the top. */
export function maxheapPop(): void {
  size--;
  if (size > 0) {
    put(0, load<u32>(hashP + (<usize>size << 2)), load<u64>(keyP + (<usize>size << 3)));
    siftDown(0);
  }
}

/** Adds without ordering; call maxheapify() after a run of these. */
export function maxheapAppend(h: u32, key: u64): void {
  put(size, h, key);
  size++;
}

export function maxheapify(): void {
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
}
