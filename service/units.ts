// The one conversion module (DESIGN.md section 8). Cache is in MiB (named MB in fields), bandwidth in
// Mbps = 10^6 bit/s, time in ns, ms or s as named. No other file converts between units.

export const BYTES_PER_MIB = 1024 * 1024;
export const BITS_PER_BYTE = 8;
export const BITS_PER_MBIT = 1e6;
export const NS_PER_S = 1e9;
export const NS_PER_MS = 1e6;
export const MS_PER_S = 1e3;
export const PAGE_BYTES_DEFAULT = 4096;

export const bytesFromMiB = (mib: number): number => mib * BYTES_PER_MIB;
export const mibFromBytes = (bytes: number): number => bytes / BYTES_PER_MIB;
export const bytesPerSecFromMbps = (mbps: number): number => (mbps * BITS_PER_MBIT) / BITS_PER_BYTE;
export const mbpsFromBytesPerSec = (bytesPerSec: number): number => (bytesPerSec * BITS_PER_BYTE) / BITS_PER_MBIT;
export const secFromNs = (ns: number): number => ns / NS_PER_S;
export const nsFromSec = (s: number): number => s * NS_PER_S;
export const msFromNs = (ns: number): number => ns / NS_PER_MS;
export const msFromSec = (s: number): number => s * MS_PER_S;
export const secFromMs = (ms: number): number => ms / MS_PER_S;
export const mibFromPages = (pages: number, pageBytes = PAGE_BYTES_DEFAULT): number => (pages * pageBytes) / BYTES_PER_MIB;
export const pagesFromMiB = (mib: number, pageBytes = PAGE_BYTES_DEFAULT): number => (mib * BYTES_PER_MIB) / pageBytes;
export const NS_PER_US = 1e3;
export const usFromNs = (ns: number): number => ns / NS_PER_US;
export const nsFromMs = (ms: number): number => ms * NS_PER_MS;
/** A fraction (0..1) as parts per million and back (sampling rates in the native control block). */
export const PPM_PER_UNIT = 1e6;
export const ppmFromFraction = (fraction: number): number => Math.round(fraction * PPM_PER_UNIT);
export const fractionFromPpm = (ppm: number): number => ppm / PPM_PER_UNIT;

/** A resource amount as a share of the node's capacity, and back. */
export const shareOf = (amount: number, capacity: number): number => amount / capacity;
export const amountOf = (share: number, capacity: number): number => share * capacity;
