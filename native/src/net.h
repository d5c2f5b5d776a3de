// Small TCP helpers shared by the memory node, the region client and the benchmark floors. All blocking
// helpers take a deadline, so no caller can wait forever.
#pragma once
#include <cstdint>
#include <string>

namespace spirit::net {

// "host:port" -> parts. False (with err set) if malformed or the port is out of range.
bool splitHostPort(const std::string& addr, std::string& host, uint16_t& port, std::string& err);

// Connects within timeoutMs; returns a non-blocking fd with TCP_NODELAY, or -1 with err set.
int connectTcp(const std::string& host, uint16_t port, uint32_t timeoutMs, std::string& err);

// Listening socket (SO_REUSEADDR, non-blocking). port 0 picks a free port; boundPort reports it.
int listenTcp(const std::string& host, uint16_t port, uint16_t& boundPort, std::string& err);

// Send/receive exactly n bytes on a non-blocking fd before deadlineNs (monotonic). False on error, EOF or
// timeout; err says which.
bool sendAll(int fd, const void* buf, size_t n, uint64_t deadlineNs, std::string& err);
bool recvAll(int fd, void* buf, size_t n, uint64_t deadlineNs, std::string& err);

void setNonBlocking(int fd);
void setNoDelay(int fd);

}  // namespace spirit::net
