#include "daemon/pipeline_dead_letter.h"

#include <numeric>
#include <vector>

namespace sluice {

void PipelineDeadLetter::reject(DeliveryToken token, std::span<const uint32_t> events,
                                std::span<const std::string> reasons) {
  const Batch& original = token.batch();
  auto batch = std::make_unique<Batch>();
  batch->source = original.source;
  batch->position_is_origin = original.position_is_origin;
  batch->layout = original.layout;
  batch->slot_fields.assign(events.size() * slots_, -1);  // no parsed field: metadata only
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& from = original.events[events[i]];
    Event e;
    e.raw = batch->append(original.str(from.raw));
    e.error = batch->append(reasons[i]);
    e.position = original.position_is_origin
                     ? Batch::origin_position(batch->append(original.str(Batch::origin(from))))
                     : from.position;
    e.slot_base = static_cast<uint32_t>(i * slots_);
    e.state = EventState::kParseError;  // what a dead letter writes: _raw, _source, _error
    batch->events.push_back(e);
  }
  batch->targets.resize(1);
  batch->targets[0].resize(events.size());
  std::iota(batch->targets[0].begin(), batch->targets[0].end(), 0u);
  batch->encoded.resize(1);
  uint64_t cookie = 0;
  {
    std::lock_guard lock(mu_);
    encoder_->encode(*batch, batch->targets[0], batch->encoded[0]);
    cookie = next_cookie_++;
    waiting_.emplace(cookie, Waiting{std::move(token), static_cast<uint32_t>(events.size())});
  }
  // pending stays 0: these events are counted with the original batch, when it settles.
  batch->set_ack(this, cookie);
  std::vector<DeliveryToken> shares = Batch::share(std::move(batch), 1);
  // Refused only on abort: the small batch's token dies here unresolved, which abandons it and
  // releases the original unresolved too.
  runner_->push(SinkItem{std::move(shares[0]), begin_, 0, nullptr}, abort_, nullptr);
}

PipelineDeadLetter::Waiting PipelineDeadLetter::take(uint64_t cookie) {
  std::lock_guard lock(mu_);
  Waiting waiting;
  if (auto it = waiting_.find(cookie); it != waiting_.end()) {
    waiting = std::move(it->second);
    waiting_.erase(it);
  }
  return waiting;
}

void PipelineDeadLetter::acknowledge(uint64_t cookie) noexcept {
  auto [token, events] = take(cookie);
  if (token.holds_share()) {
    token.resolve_dead_lettered(events);
  }
}

void PipelineDeadLetter::abandon(uint64_t cookie) noexcept {
  take(cookie);  // released unresolved: not delivered
}

}  // namespace sluice
