// DeadLetter: where a sink sends the events it refuses for good (a Kafka message larger than
// the broker takes), so that they reach the pipeline's `dead_letter` sink with `_raw`, `_source`
// and `_error` before any position moves past them (SPEC §3). The route thread hands the
// pipeline's one to the sink with each batch; a pipeline without a dead letter hands none, and
// then a refused batch stays undelivered.
// Threading: reject() is called off the hot path, from any sink thread (a Kafka sink's poller),
// concurrently; implementations are thread-safe. It may wait while the dead letter's queue is
// full (backpressure), but not past an aborted run.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "stages/delivery_token.h"

namespace sluice {

class DeadLetter {
 public:
  virtual ~DeadLetter() = default;
  // `events` of the token's batch (indexes into Batch::events) were refused for good, event i
  // for `reasons[i]`. Takes the token: resolves it as dead-lettered once the dead letter has
  // written those events, or releases it unresolved (not delivered) when that cannot happen.
  virtual void reject(DeliveryToken token, std::span<const uint32_t> events,
                      std::span<const std::string> reasons) = 0;
};

}  // namespace sluice
