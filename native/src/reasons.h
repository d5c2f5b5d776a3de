// Why something failed: one code per cause, shared by native errors, region events and the control block's
// failReason field. The TypeScript FarMemoryError carries the same names (native/lib/errors.ts).
#pragma once
#include <cstdint>

namespace spirit {

enum class Reason : uint32_t {
  kNone = 0,
  kBadArgument = 1,     // an argument failed the native defence check (the TS layer should have caught it)
  kUnreachable = 2,     // memory node could not be reached, or stopped answering within the timeout
  kTokenRejected = 3,   // memory node refused the token
  kCapacity = 4,        // memory node has no room for the region
  kRegionLost = 5,      // memory node no longer holds the region (it restarted or freed it)
  kNoAccess = 6,        // memory node says the region is not ours
  kProtocol = 7,        // malformed or unexpected reply
  kUffd = 8,            // userfaultfd is unavailable or an ioctl failed
  kClosed = 9,          // the region was closed
  kSystem = 10,         // an OS call failed (mmap, shm, thread)
  kLimit = 11,          // a named limit was reached (regions per process, connections ...)
};

inline const char* reasonName(Reason r) {
  switch (r) {
    case Reason::kNone: return "none";
    case Reason::kBadArgument: return "bad_argument";
    case Reason::kUnreachable: return "unreachable";
    case Reason::kTokenRejected: return "token_rejected";
    case Reason::kCapacity: return "capacity";
    case Reason::kRegionLost: return "region_lost";
    case Reason::kNoAccess: return "no_access";
    case Reason::kProtocol: return "protocol";
    case Reason::kUffd: return "uffd";
    case Reason::kClosed: return "closed";
    case Reason::kSystem: return "system";
    case Reason::kLimit: return "limit";
  }
  return "unknown";
}

}  // namespace spirit
