// Raw memory access for the hot loops. Everything the core reads or writes lives in unmanaged memory
// (heap.alloc) that the TypeScript wrapper fills once per problem; a solve allocates nothing.

// @ts-ignore: decorator
@inline export function ldf(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline export function stf(base: usize, i: i32, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}
// @ts-ignore: decorator
@inline export function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline export function sti(base: usize, i: i32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v);
}

/** Copy n f64 values from src to dst. */
export function copyF(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 3);
}

/** A block of `count` f64 values, reallocated only when it must grow. */
export function growF(ptr: usize, oldCount: i32, count: i32): usize {
  if (ptr != 0 && count <= oldCount) return ptr;
  if (ptr != 0) heap.free(ptr);
  const c: i32 = count > 0 ? count : 1;
  return heap.alloc(<usize>c << 3);
}

export function growI(ptr: usize, oldCount: i32, count: i32): usize {
  if (ptr != 0 && count <= oldCount) return ptr;
  if (ptr != 0) heap.free(ptr);
  const c: i32 = count > 0 ? count : 1;
  return heap.alloc(<usize>c << 2);
}
