// The one way native failures become JavaScript errors: the addon throws (and reports in events) a
// FarMemoryError carrying a reason code. Bad arguments caught by the TypeScript validation are InputErrors
// (service/errors.ts) instead, before anything reaches C++.
import { binding } from './binding.ts';

export const FAR_MEMORY_REASONS = [
  'bad_argument',
  'unreachable',
  'token_rejected',
  'capacity',
  'region_lost',
  'no_access',
  'protocol',
  'uffd',
  'closed',
  'system',
  'limit',
] as const;

export type FarMemoryReason = (typeof FAR_MEMORY_REASONS)[number] | 'none' | 'unknown';

export class FarMemoryError extends Error {
  readonly code = 'far_memory';
  readonly reason: FarMemoryReason;
  constructor(message: string, reason: string) {
    super(message);
    this.name = 'FarMemoryError';
    this.reason = (FAR_MEMORY_REASONS as readonly string[]).includes(reason) ? (reason as FarMemoryReason) : 'unknown';
  }
}

let registered = false;

/** The addon with FarMemoryError registered as its error class. */
export function nativeBinding(): ReturnType<typeof binding> {
  const b = binding();
  if (!registered) {
    b.setErrorClass(FarMemoryError);
    registered = true;
  }
  return b;
}
