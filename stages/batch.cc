#include "stages/batch.h"

#include <charconv>

#include "stages/batch_recycler.h"
#include "stages/latency_histogram.h"

namespace sluice {

Batch::~Batch() {
  if (!settled() && outcomes && pending > 0) {
    outcomes->undelivered.fetch_add(pending, std::memory_order_relaxed);
  }
  if (recycler) {
    recycler->give(*this);
  }
}

void Batch::expect_sinks(uint32_t sinks) {
  if (sinks == 0) {
    settle(/*delivered=*/true);
    return;
  }
  unresolved_sinks_.store(sinks, std::memory_order_relaxed);
}

void Batch::resolve(SinkOutcome outcome) const {
  if (outcome == SinkOutcome::kFailed) {
    sink_failed_.store(true, std::memory_order_relaxed);
  }
  // acq_rel: the last sink sees every other sink's failure flag.
  if (unresolved_sinks_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    settle(!sink_failed_.load(std::memory_order_relaxed));
  }
}

void Batch::settle(bool delivered) const {
  settled_.store(true, std::memory_order_release);
  if (!delivered) {
    if (outcomes) {
      outcomes->undelivered.fetch_add(pending, std::memory_order_relaxed);
    }
    return;
  }
  if (outcomes) {
    outcomes->delivered.fetch_add(routed, std::memory_order_relaxed);
    outcomes->dead_lettered.fetch_add(dead_letters, std::memory_order_relaxed);
  }
  if (ack_target_ != nullptr) {
    ack_target_->acknowledge(ack_cookie_);
  }
  if (latency && pending > 0) {
    std::chrono::duration<double> age = std::chrono::steady_clock::now() - created;
    latency->record(age.count(), pending);
  }
}

void Batch::update_lease() {
  size_t held = text.capacity() + events.capacity() * sizeof(Event) +
                fields.capacity() * sizeof(Field) + slot_fields.capacity() * sizeof(int32_t);
  for (const Output& e : encoded) {
    held += e.bytes.capacity() + e.text_ranges.capacity() * sizeof(Span);
  }
  lease.resize(held);
}

Span Batch::append(std::string_view bytes) {
  Span s{static_cast<uint32_t>(text.size()), static_cast<uint32_t>(bytes.size())};
  text.append(bytes);
  return s;
}

void Batch::append_source(const Event& e, std::string& out) const {
  if (source) {
    out.append(*source);
  }
  out.push_back(':');
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), e.position);
  (void)ec;
  out.append(digits, end);
}

}  // namespace sluice
