// The memory-node wire protocol (documented in docs/dataplane.md). Little-endian, fixed headers:
//   request  (32 bytes): magic 'SPRQ' u32 | version u8 | op u8 | flags u16 | reqId u32 | bodyBytes u32 |
//                        regionId u64 | offsetBytes u64, then bodyBytes of body
//   reply    (24 bytes): magic 'SPRP' u32 | version u8 | op u8 | status u8 | pad u8 | reqId u32 |
//                        bodyBytes u32 | value u64, then bodyBytes of body
// Requests on one connection are answered in order (pipelining); READ/WRITE carry up to kIoBytesMax bytes
// of contiguous pages (batching).
#pragma once
#include <cstdint>
#include <cstring>

#include "limits.h"

namespace spirit::wire {

constexpr uint32_t kReqMagic = 0x51525053;    // "SPRQ" in memory order
constexpr uint32_t kReplyMagic = 0x50525053;  // "SPRP"
constexpr uint8_t kVersion = 1;
constexpr size_t kReqHeaderBytes = 32;
constexpr size_t kReplyHeaderBytes = 24;

enum Op : uint8_t {
  kOpen = 1,    // body: u64 sizeBytes, u16 tokenLen, token        -> value = regionId
  kAttach = 2,  // regionId; body: u16 tokenLen, token             -> value = regionId
  kRead = 3,    // regionId, offsetBytes; body: u32 lengthBytes    -> body = data
  kWrite = 4,   // regionId, offsetBytes; body = data
  kClose = 5,   // regionId
  kPing = 6,    //                                                  -> value = 0
  kStats = 7,   // -> body: u64 capacityBytes, reservedBytes, regions, connections
  kAuth = 8,    // body: u16 tokenLen, token (authenticates the connection without a region)
};

enum Status : uint8_t {
  kOk = 0,
  kBadRequest = 1,     // malformed body or header field
  kTokenRejected = 2,  // token not accepted / does not own the region
  kNoAccess = 3,       // this connection has not opened or attached the region (or it does not exist)
  kOutOfBounds = 4,    // offset/length outside the region, or not page-aligned
  kCapacity = 5,       // the memory node's capacity would be exceeded
  kTooLarge = 6,       // declared body larger than the op allows (the connection is then closed)
  kUnknownOp = 7,
  kLimit = 8,          // too many regions on this connection or this node
  kBadVersion = 9,
  kInternal = 10,      // the server could not allocate memory for the region
  kAuthRequired = 11,  // the connection has not authenticated (OPEN, ATTACH or AUTH); it is then closed
};

inline const char* statusName(uint8_t s) {
  switch (s) {
    case kOk: return "ok";
    case kBadRequest: return "bad_request";
    case kTokenRejected: return "token_rejected";
    case kNoAccess: return "no_access";
    case kOutOfBounds: return "out_of_bounds";
    case kCapacity: return "capacity";
    case kTooLarge: return "too_large";
    case kUnknownOp: return "unknown_op";
    case kLimit: return "limit";
    case kBadVersion: return "bad_version";
    case kInternal: return "internal";
    case kAuthRequired: return "auth_required";
  }
  return "unknown_status";
}

// Largest body each op may declare; anything above is kTooLarge and the connection is closed, because
// skipping a huge body would let a peer make the server read gigabytes.
inline uint32_t bodyMaxFor(uint8_t op) {
  switch (op) {
    case kOpen: return 8 + 2 + limits::kTokenBytesMax;
    case kAttach:
    case kAuth: return 2 + limits::kTokenBytesMax;
    case kRead: return 4;
    case kWrite: return limits::kIoBytesMax;
    default: return 0;
  }
}

inline void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
inline void put32(uint8_t* p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i)); }
inline void put64(uint8_t* p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = uint8_t(v >> (8 * i)); }
inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
inline uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

struct ReqHeader {
  uint32_t magic = kReqMagic;
  uint8_t version = kVersion;
  uint8_t op = 0;
  uint16_t flags = 0;
  uint32_t reqId = 0;
  uint32_t bodyBytes = 0;
  uint64_t regionId = 0;
  uint64_t offsetBytes = 0;
};

struct ReplyHeader {
  uint32_t magic = kReplyMagic;
  uint8_t version = kVersion;
  uint8_t op = 0;
  uint8_t status = 0;
  uint32_t reqId = 0;
  uint32_t bodyBytes = 0;
  uint64_t value = 0;
};

inline void encode(const ReqHeader& h, uint8_t* out) {
  put32(out, h.magic);
  out[4] = h.version;
  out[5] = h.op;
  put16(out + 6, h.flags);
  put32(out + 8, h.reqId);
  put32(out + 12, h.bodyBytes);
  put64(out + 16, h.regionId);
  put64(out + 24, h.offsetBytes);
}

inline ReqHeader decodeReq(const uint8_t* in) {
  ReqHeader h;
  h.magic = get32(in);
  h.version = in[4];
  h.op = in[5];
  h.flags = get16(in + 6);
  h.reqId = get32(in + 8);
  h.bodyBytes = get32(in + 12);
  h.regionId = get64(in + 16);
  h.offsetBytes = get64(in + 24);
  return h;
}

inline void encode(const ReplyHeader& h, uint8_t* out) {
  put32(out, h.magic);
  out[4] = h.version;
  out[5] = h.op;
  out[6] = h.status;
  out[7] = 0;
  put32(out + 8, h.reqId);
  put32(out + 12, h.bodyBytes);
  put64(out + 16, h.value);
}

inline ReplyHeader decodeReply(const uint8_t* in) {
  ReplyHeader h;
  h.magic = get32(in);
  h.version = in[4];
  h.op = in[5];
  h.status = in[6];
  h.reqId = get32(in + 8);
  h.bodyBytes = get32(in + 12);
  h.value = get64(in + 16);
  return h;
}

// Overflow-safe bounds check for a page-aligned byte range inside a region of sizeBytes.
inline bool rangeOk(uint64_t offsetBytes, uint64_t lengthBytes, uint64_t sizeBytes) {
  if (offsetBytes % limits::kPageBytes != 0 || lengthBytes % limits::kPageBytes != 0) return false;
  if (lengthBytes == 0 || lengthBytes > limits::kIoBytesMax) return false;
  return offsetBytes <= sizeBytes && lengthBytes <= sizeBytes - offsetBytes;
}

}  // namespace spirit::wire
