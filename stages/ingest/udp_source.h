// UdpSource: receives datagrams on `listen: HOST:PORT`; a datagram holds one or more
// newline-separated events (a last line without a newline is an event too; an empty datagram is
// none), framed by the pipeline's framer one datagram at a time. `_source` is the sender's
// address ("udp:127.0.0.1:5514"). recvmmsg takes up to 32 datagrams per call into slots the
// source owns (2 MiB, outside memory_limit), copied from there into the batch.
// UDP cannot push back: while the pipeline refuses a batch the source stops reading, the socket
// buffer (`receive_buffer`, SO_RCVBUF) fills and the kernel drops what does not fit. Those drops
// are counted (SO_RXQ_OVFL, and SO_MEMINFO while it does not read), reported to the pipeline as
// taken in and dropped with reason udp_overflow (one event per datagram), and logged at most every
// 10 s. Threading: run() on the ingest thread; open() on the main thread before it starts;
// kernel_drops() from any thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stages/ingest/record_framer.h"
#include "stages/ingest/source.h"

namespace sluice {

struct UdpSourceOptions {
  std::string listen;  // HOST:PORT, checked by the loader (config/host_port)
  // SO_RCVBUF in bytes; absent: the system default (net.core.rmem_default). The kernel doubles
  // it for its bookkeeping and caps it at net.core.rmem_max. Bigger rides out longer bursts and
  // pauses of the pipeline; every byte of it is outside memory_limit.
  std::optional<uint64_t> receive_buffer;
  // A line longer than this becomes a parse error (its first KiB kept as `_raw`).
  uint64_t max_event_bytes = 1 << 20;
  size_t batch_bytes = 1 << 19;  // text bytes per batch, as the stream reader's
};

class UdpSource : public Source {
 public:
  UdpSource(UdpSourceOptions options, std::unique_ptr<RecordFramer> framer);
  ~UdpSource() override;
  UdpSource(const UdpSource&) = delete;
  UdpSource& operator=(const UdpSource&) = delete;

  // Binds the socket; a port in use or an address not on this host is one line.
  Status open() override;
  Status run(SourceContext& ctx) override;

  // Datagrams the kernel dropped for a full socket buffer, since open().
  uint64_t kernel_drops() const { return kernel_drops_.load(std::memory_order_relaxed); }
  // The bound address (useful with port 0).
  std::string local_address() const;
  std::span<const DropReason> lost_reasons() const override;

 private:
  struct Slots;  // recvmmsg's buffers and headers (udp_source.cc)

  // Receives what the socket holds into the slots (none when it is empty); how many.
  size_t receive();
  // Copies staged datagram `i` into the open batch and frames it; false when the batch has no
  // room left for it (it must be emitted first).
  bool take(size_t i);
  // Hands the open batch to the pipeline; false when the pipeline is full (it stays held).
  bool offer(SourceContext& ctx);
  void note_overflow(uint32_t counter);
  void poll_overflow();
  void report_drops(SourceContext& ctx, bool force);
  std::string describe() const { return "udp source " + options_.listen; }

  UdpSourceOptions options_;
  std::unique_ptr<RecordFramer> framer_;
  std::unique_ptr<Slots> slots_;
  int fd_ = -1;
  std::shared_ptr<const std::string> name_;
  BatchPtr batch_;
  Span origin_{};                 // the open batch's text naming the last datagram's sender
  sockaddr_storage last_peer_{};  // whom origin_ names
  socklen_t last_peer_length_ = 0;
  std::string scratch_;  // formats a sender's address
  std::string oversized_reason_;
  uint32_t overflow_seen_ = 0;  // the kernel's drop counter for the socket, as last seen
  std::atomic<uint64_t> kernel_drops_{0};
  uint64_t drops_counted_ = 0;  // of kernel_drops_: told to the pipeline
  uint64_t drops_logged_ = 0;   // of kernel_drops_: said in the log
  std::chrono::steady_clock::time_point next_drop_log_{};
};

}  // namespace sluice
