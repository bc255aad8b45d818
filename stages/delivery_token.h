// DeliveryToken: one sink's share of a batch, and its duty to say what became of it. The route
// thread shares a batch with the N sinks it is routed to (Batch::share) and gets N tokens; each
// sink resolves its token once, when it knows the outcome (a file sink: after the write is
// flushed; a Kafka sink: on the delivery report). A token destroyed unresolved means *not
// delivered*: the batch is never acknowledged and its source's position does not move past it.
// Threading: a token is owned by one thread at a time (it moves through the sink's queue); the
// tokens of one batch are resolved or destroyed concurrently on different sink threads.
#pragma once

#include <cstdint>
#include <memory>

namespace sluice {

class Batch;

// What a sink did with its share of a batch, from best to worst; a batch settles with the worst
// outcome any of its sinks reported.
enum class DeliveryOutcome : uint8_t {
  kDelivered = 0,        // written (and flushed) by the sink
  kDeadLettered = 1,     // refused by the sink for good, and written to the dead letter instead
  kDroppedByPolicy = 2,  // refused by the sink, and dropped as its configuration says (counted)
  kUndelivered = 3,      // the token died unresolved: no outcome (never passed to resolve())
};

// Told when a batch has settled with every sink's share delivered or dead-lettered, so that the
// source may move its position past the batch (a file checkpoint, a Kafka offset).
// Threading: acknowledge() runs on whichever thread settles the batch: a sink thread (several
// sinks' threads concurrently, for different batches of one source, in any order), or the route
// thread for a batch with nothing to write. It must be thread-safe and must not block.
class Acknowledger {
 public:
  virtual ~Acknowledger() = default;
  virtual void acknowledge(uint64_t cookie) noexcept = 0;
  // Told instead when the batch ends without acknowledgement: a sink did not deliver its share,
  // dropped it by policy, or the batch died before it was shared (abort). The source's position
  // must not move past it; a source that waits for its in-flight batches (a Kafka source
  // draining before it commits) learns here that this one is over. Same threading as
  // acknowledge().
  virtual void abandon(uint64_t cookie) noexcept { (void)cookie; }
  // For a batch set_ack() asked lengths of (delivery: exactly_once): the sink that wrote its
  // share for target `target` reports the length of its file right after it, before resolving
  // the share, so the report always arrives before the batch settles. Same threading.
  virtual void output_written(uint64_t cookie, uint32_t target, uint64_t length) noexcept {
    (void)cookie;
    (void)target;
    (void)length;
  }
};

class DeliveryToken {
 public:
  DeliveryToken() = default;  // holds no share (a moved-from or default item)
  DeliveryToken(const DeliveryToken&) = delete;
  DeliveryToken& operator=(const DeliveryToken&) = delete;
  DeliveryToken(DeliveryToken&& other) noexcept = default;
  // Releases the share held before, unresolved, then takes `other`'s.
  DeliveryToken& operator=(DeliveryToken&& other) noexcept;
  // Unresolved: the share counts as not delivered.
  ~DeliveryToken();

  // REQUIRES: holds a share; `outcome` is not kUndelivered. Gives up the share (the token is
  // empty afterwards); the last share of the batch settles it on this thread.
  void resolve(DeliveryOutcome outcome);
  // Resolves as kDeadLettered, saying that only `events` of the share's events went to the dead
  // letter (a sink that refused some messages of the batch and delivered the others), so the
  // batch counts those as dead-lettered and the rest as delivered. REQUIRES: holds a share.
  void resolve_dead_lettered(uint32_t events);
  // The batch, read-only (sinks share it). REQUIRES: holds a share.
  const Batch& batch() const;
  bool holds_share() const { return batch_ != nullptr; }

 private:
  friend class Batch;
  explicit DeliveryToken(std::shared_ptr<Batch> batch) : batch_(std::move(batch)) {}
  void release(DeliveryOutcome outcome);

  std::shared_ptr<Batch> batch_;
};

}  // namespace sluice
