#include "stages/delivery_token.h"

#include <cassert>

#include "stages/batch.h"

namespace sluice {

DeliveryToken& DeliveryToken::operator=(DeliveryToken&& other) noexcept {
  if (this != &other) {
    release(DeliveryOutcome::kUndelivered);
    batch_ = std::move(other.batch_);
  }
  return *this;
}

DeliveryToken::~DeliveryToken() { release(DeliveryOutcome::kUndelivered); }

void DeliveryToken::resolve(DeliveryOutcome outcome) {
  assert(batch_ != nullptr && "a token is resolved once");
  assert(outcome != DeliveryOutcome::kUndelivered && "failure is a token left unresolved");
  release(outcome);
}

void DeliveryToken::resolve_dead_lettered(uint32_t events) {
  assert(batch_ != nullptr && "a token is resolved once");
  batch_->sink_dead_letters_.fetch_add(events, std::memory_order_relaxed);
  release(DeliveryOutcome::kDeadLettered);
}

const Batch& DeliveryToken::batch() const {
  assert(batch_ != nullptr);
  return *batch_;
}

void DeliveryToken::release(DeliveryOutcome outcome) {
  if (batch_ == nullptr) {
    return;
  }
  // The share is released before the reference: the last share settles the batch while it is
  // still alive, and the last reference (maybe this one) then recycles it.
  batch_->release_share(outcome);
  batch_.reset();
}

}  // namespace sluice
