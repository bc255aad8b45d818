// TcpSource: listens on HOST:PORT and reads every connection as its own stream of records, framed
// by lines or by RFC 6587 octet counting (or, with `auto`, whichever each connection starts
// with). One epoll loop on the ingest thread serves all connections, non-blocking. When the
// memory budget or the parse queue refuses, the source stops reading every socket, so senders
// feel TCP backpressure, and resumes when there is room (SourceContext::wait_for_room). The
// socket is bound in open(), before the daemon says it is ready; run() is endless until stop.
// Past max_connections a new connection is accepted and closed at once (counted, said once); a
// connection silent for idle_timeout is closed. At stop: no more accepting or reading, what was
// read in whole records is handed on, incomplete records are dropped (counted and logged). A
// record dropped with its connection (idle or at stop) counts to the pipeline as taken in and
// dropped with reason incomplete_record; one torn by the peer's close is a parse error.
// Threading: open() on the main thread before run(); run() on the ingest thread; the counters
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stages/ingest/source.h"
#include "stages/ingest/stream_reader.h"
#include "stages/ingest/tcp_connection.h"

namespace sluice {

struct TcpSourceOptions {
  // HOST:PORT to listen on (checked by the config); port 0 lets the system choose (logged).
  std::string listen;
  // newline (default: what most log shippers send), octet_counting (syslog over TCP, RFC 6587;
  // a message may hold newlines), or auto (per connection, from its first bytes: digits then a
  // space mean octet counting; a plain line starting with a number and a space would be taken
  // for a frame, so choose explicitly when senders are known).
  TcpFraming framing = TcpFraming::kNewline;
  // Connections served at once; more are accepted and closed at once. Each holds its incomplete
  // last record (up to max_event_bytes) between reads, outside the memory budget.
  size_t max_connections = 1024;
  // A connection that sent nothing for this long is closed (0: never). Not counted while the
  // pipeline is full and the source is not reading.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);
  StreamReaderOptions reader;
};

class TcpSource : public Source {
 public:
  TcpSource(TcpSourceOptions options, TcpConnection::FramerFactory make_framer);
  ~TcpSource() override;
  TcpSource(const TcpSource&) = delete;
  TcpSource& operator=(const TcpSource&) = delete;

  // Resolves, binds and listens: "listen 127.0.0.1:5140: address already in use".
  Status open() override;
  Status run(SourceContext& ctx) override;

  // The address bound by open() ("127.0.0.1:40123"), with the port the system chose for 0.
  const std::string& bound_address() const { return bound_; }
  uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  uint64_t closed_idle() const { return closed_idle_.load(std::memory_order_relaxed); }
  // Incomplete records dead-lettered because their connection closed mid-record.
  uint64_t torn_records() const { return torn_records_.load(std::memory_order_relaxed); }
  // Incomplete records dropped with their connection (closed idle, or open at stop).
  uint64_t dropped_records() const { return dropped_records_.load(std::memory_order_relaxed); }
  // Those dropped records, counted to the pipeline as incomplete_record.
  std::span<const DropReason> lost_reasons() const override;
  std::optional<SourceConnections> connections() const override;

 private:
  void accept_all();
  // Serves `conn` once; true when the pipeline refused (the source must wait for room).
  bool serve(TcpConnection& conn, SourceContext& ctx);
  void remove(TcpConnection& conn);
  // Every so often: closes idle connections, and watches the listener again after a pause for
  // descriptors.
  void sweep(std::chrono::steady_clock::time_point now, SourceContext& ctx);
  // At stop: hands on what was framed, drops incomplete records, closes everything.
  void finish(SourceContext& ctx);

  TcpSourceOptions options_;
  TcpConnection::FramerFactory make_framer_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  std::string bound_;
  std::vector<std::unique_ptr<TcpConnection>> connections_;
  bool warned_full_ = false;
  std::optional<std::chrono::steady_clock::time_point> accept_paused_until_;  // out of fds
  std::atomic<uint64_t> open_{0};  // connections_.size(), for other threads
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> closed_idle_{0};
  std::atomic<uint64_t> torn_records_{0};
  std::atomic<uint64_t> dropped_records_{0};
};

}  // namespace sluice
