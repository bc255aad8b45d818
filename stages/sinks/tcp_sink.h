// TcpSink: writes the encoded events, one per line, to a TCP peer (`address: HOST:PORT`). It
// connects lazily, at the first write, and again after the connection is lost, with the runner's
// backoff between attempts (50 ms doubling to 2 s); while it cannot connect it holds its batches,
// which backs the pipeline up, and the outage is logged once, not per attempt. A batch counts as
// delivered once every byte of it was handed to the kernel (write returned them all): that is
// not proof the peer read it. A write that fails part-way reconnects and sends every unresolved
// batch again from its first byte, so the peer may see lines twice (at least once). A peer that
// closed the connection is noticed before each write (and while idle), so a peer that stops
// between batches loses nothing.
// Threading: one SinkRunner thread calls everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "stages/sinks/sink.h"

namespace sluice {

struct TcpSinkOptions {
  std::string name;     // the sink's name in the configuration, for its log lines
  std::string address;  // HOST:PORT, checked by the loader (config/host_port)
  // How long one connection attempt may take before it counts as failed (then retried).
  std::chrono::milliseconds connect_timeout{5000};
};

class TcpSink : public Sink {
 public:
  explicit TcpSink(TcpSinkOptions options) : options_(std::move(options)) {}
  ~TcpSink() override { disconnect(); }
  TcpSink(const TcpSink&) = delete;
  TcpSink& operator=(const TcpSink&) = delete;

  // Connects lazily: a peer that is not up yet is no reason to refuse to start.
  Status open() override { return Status(); }
  // Connects when not connected. True on a new connection: the runner then writes the encoding's
  // header and every unresolved batch from its first byte.
  Result<bool> prepare() override;
  Status write(std::span<const std::string_view> parts, size_t& written) override;
  Status flush() override { return Status(); }
  // Drops a connection the peer closed while nothing was written, so the peer sees our end too.
  void idle() override;
  void close() override { disconnect(); }

  bool connected() const { return fd_ >= 0; }
  // Connections made since the start (the first one included).
  uint64_t connections() const { return connections_; }

 private:
  Status connect();
  // True when the peer closed its end (or reset it); what it sent is read and discarded.
  bool peer_closed();
  void disconnect();
  // The one message every failure of an outage returns: the runner logs a repeated message once.
  Status outage(const std::string& first_failure);

  TcpSinkOptions options_;
  int fd_ = -1;
  uint64_t connections_ = 0;
  bool in_outage_ = false;
  std::string outage_message_;
  std::chrono::steady_clock::time_point outage_since_;
  uint64_t failed_attempts_ = 0;
};

}  // namespace sluice
