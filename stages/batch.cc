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

namespace {

// The bytes a buffer has allocated, whether or not they hold anything yet.
size_t reserved_bytes(const std::string& s) { return s.capacity(); }

template <typename T>
size_t reserved_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

size_t reserved_bytes(Batch::Output& o) {
  return std::apply([](const auto&... buffer) { return (reserved_bytes(buffer) + ...); },
                    o.buffers());
}

// A list of buffers: its own array, and what each element holds.
template <typename T>
size_t reserved_bytes(const std::vector<std::vector<T>>& v) {
  size_t held = v.capacity() * sizeof(std::vector<T>);
  for (const auto& inner : v) {
    held += reserved_bytes(inner);
  }
  return held;
}

size_t reserved_bytes(std::vector<Batch::Output>& v) {
  size_t held = v.capacity() * sizeof(Batch::Output);
  for (Batch::Output& o : v) {
    held += reserved_bytes(o);
  }
  return held;
}

}  // namespace

void Batch::update_lease() {
  const size_t held =
      std::apply([](auto&... buffer) { return (reserved_bytes(buffer) + ...); }, buffers());
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
