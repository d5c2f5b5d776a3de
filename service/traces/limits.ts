// Limits of the trace layer (generators and the trace-file reader), each with the reason it exists.

/** Accesses generated in one call: 2^27 u64 = 1 GiB of trace; more is a mistake, not a test. */
export const MAX_GENERATED_ACCESSES = 1 << 27;
/** Distinct pages of one generator: 2^26 pages = 256 GiB working set, and the Zipf CDF table stays <= 512 MiB. */
export const MAX_GENERATOR_PAGES = 1 << 26;
/** Components of a mix or phases of a phased trace: enough for any experiment, small enough to validate. */
export const MAX_TRACE_PARTS = 64;
/** Bytes read from a trace file per chunk: 1 MiB = 131072 accesses, bounded memory whatever the file size. */
export const READ_CHUNK_BYTES = 1 << 20;
/** Bytes looked at to tell a text trace from a binary one: a binary trace of realistic page numbers has a
 *  zero byte in nearly every record, so the first 4 KiB always tell them apart. */
export const FORMAT_SNIFF_BYTES = 4096;
/** Longest accepted line of a text trace (a u64 has at most 20 digits; allow spaces and CR). */
export const MAX_TEXT_LINE_CHARS = 64;
