// AckInbox: the hand-over of acknowledgements from sink threads to a source's own thread. A
// source sets it as the batches' acknowledgement target (Batch::set_ack) with a cookie per batch;
// sinks settle batches on their threads, and the source takes what settled, in one locked swap,
// on its thread, where its PositionTrackers live (a Kafka source, a file source). For
// delivery: exactly_once it also hands over the sink file lengths sinks report per batch.
// Threading: acknowledge()/abandon() from any thread; take() on the source's thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "stages/delivery_token.h"

namespace sluice {

class AckInbox : public Acknowledger {
 public:
  struct Settled {
    uint64_t cookie;
    bool delivered;  // false: abandoned (not delivered by every sink, or died unshared)
  };
  // A sink file's length after a batch (Acknowledger::output_written).
  struct OutputLength {
    uint64_t cookie;
    uint32_t target;
    uint64_t length;
  };
  void acknowledge(uint64_t cookie) noexcept override { add(cookie, true); }
  void abandon(uint64_t cookie) noexcept override { add(cookie, false); }
  void output_written(uint64_t cookie, uint32_t target, uint64_t length) noexcept override;
  // Batches handed to the pipeline that have not settled yet (any thread).
  void emitted() { outstanding_.fetch_add(1); }
  // The pipeline refused the batch counted by emitted(): it stays with the source.
  void add_back_refused() { outstanding_.fetch_sub(1); }
  int64_t outstanding() const { return outstanding_.load(); }

  // Takes what arrived (into `out`, replacing its contents), waiting up to `timeout` when
  // nothing has.
  void take(std::vector<Settled>& out, std::chrono::milliseconds timeout);
  // The same, with the output lengths reported so far (into `lengths`, replacing its contents).
  // A batch's lengths come with or before its settlement, never after.
  void take(std::vector<Settled>& out, std::vector<OutputLength>& lengths,
            std::chrono::milliseconds timeout);

  // For a source's destructor: batches still alive (an aborted run that could not wait for them)
  // point at the inbox and may settle after the source is gone, so the inbox is kept alive for
  // them. Only an aborted teardown has batches outstanding, and an inbox is a few bytes.
  static void outlive_batches(const std::shared_ptr<AckInbox>& inbox);

 private:
  void add(uint64_t cookie, bool delivered) noexcept;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Settled> settled_;
  std::vector<OutputLength> lengths_;
  std::atomic<int64_t> outstanding_{0};
};

}  // namespace sluice
