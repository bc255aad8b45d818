// PipelineDeadLetter: a pipeline's dead letter as the sinks that send messages see it. A batch
// whose messages a sink refused for good (Kafka: too large, not authorized, timed out) comes
// here with the refused events: they are copied into a small batch of their raw text with the
// reason as `_error`, encoded for the dead-letter sink and queued to it; when the dead letter has
// written that batch the original token is resolved as dead-lettered, and if it never does (an
// aborted run) the original is released unresolved. Rare by nature: nothing here is on the hot
// path, and the small batch is outside memory_limit (it holds only the refused events).
// Threading: reject() from any sink thread, concurrently (a mutex guards the waiting tokens);
// acknowledge/abandon on the dead-letter sink's thread; sender_done() once per sender.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "daemon/sink_runner.h"
#include "stages/sinks/encoder.h"

namespace sluice {

class PipelineDeadLetter : public DeadLetterSender, private Acknowledger {
 public:
  // `runner` is the dead-letter sink's; `encoder` encodes for it (used here only, under the
  // mutex); `begin` is the target's encoder the runner starts a new output with; `slots` is
  // the pipeline schema's size; `abort` is the pipeline's (a full dead letter is waited on
  // until then).
  PipelineDeadLetter(SinkRunner* runner, std::unique_ptr<Encoder> encoder, Encoder* begin,
                     size_t slots, const std::atomic<bool>& abort)
      : runner_(runner),
        encoder_(std::move(encoder)),
        begin_(begin),
        slots_(slots),
        abort_(abort) {}

  // Registers one more sender with the dead-letter runner (before it starts).
  void add_sender() { runner_->add_producer(); }
  void sender_done() override { runner_->producer_done(); }
  void reject(DeliveryToken token, std::span<const uint32_t> events,
              std::span<const std::string> reasons) override;

 private:
  void acknowledge(uint64_t cookie) noexcept override;
  void abandon(uint64_t cookie) noexcept override;
  // An original token and how many of its events went into the small batch.
  struct Waiting {
    DeliveryToken token;
    uint32_t events = 0;
  };
  // Takes what waits on `cookie` (an empty token if nothing).
  Waiting take(uint64_t cookie);

  SinkRunner* runner_;
  std::unique_ptr<Encoder> encoder_;
  Encoder* begin_;
  size_t slots_;
  const std::atomic<bool>& abort_;
  std::mutex mu_;
  uint64_t next_cookie_ = 0;
  std::unordered_map<uint64_t, Waiting> waiting_;  // original tokens, by small batch
};

}  // namespace sluice
