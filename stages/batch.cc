#include "stages/batch.h"

#include <algorithm>
#include <charconv>

#include "stages/batch_recycler.h"
#include "stages/latency_histogram.h"

namespace sluice {

Batch::~Batch() {
  if (!settled()) {
    if (outcomes && pending > 0) {
      outcomes->undelivered.fetch_add(pending, std::memory_order_relaxed);
    }
    if (ack_target_ != nullptr) {
      ack_target_->abandon(ack_cookie_);
    }
  }
  if (recycler) {
    recycler->give(*this);
  }
}

std::vector<DeliveryToken> Batch::share(std::unique_ptr<Batch> batch, uint32_t sinks) {
  std::vector<DeliveryToken> tokens;
  if (sinks == 0) {
    batch->settle(DeliveryOutcome::kDelivered);
    return tokens;
  }
  batch->unreleased_shares_.store(sinks, std::memory_order_relaxed);
  std::shared_ptr<Batch> shared(std::move(batch));
  tokens.reserve(sinks);
  for (uint32_t i = 0; i < sinks; ++i) {
    tokens.push_back(DeliveryToken(shared));
  }
  return tokens;
}

void Batch::release_share(DeliveryOutcome outcome) {
  outcomes_seen_.fetch_or(static_cast<uint8_t>(1u << static_cast<unsigned>(outcome)),
                          std::memory_order_relaxed);
  // acq_rel: the last share sees every other share's outcome.
  if (unreleased_shares_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
    return;
  }
  const unsigned seen = outcomes_seen_.load(std::memory_order_relaxed);
  auto worst = DeliveryOutcome::kUndelivered;
  while ((seen & (1u << static_cast<unsigned>(worst))) == 0) {
    worst = static_cast<DeliveryOutcome>(static_cast<unsigned>(worst) - 1);
  }
  settle(worst);
}

void Batch::settle(DeliveryOutcome worst) {
  settled_.store(true, std::memory_order_release);
  if (worst == DeliveryOutcome::kUndelivered || worst == DeliveryOutcome::kDroppedByPolicy) {
    if (outcomes) {
      auto& bucket = worst == DeliveryOutcome::kUndelivered ? outcomes->undelivered
                                                            : outcomes->dropped_by_sink;
      bucket.fetch_add(pending, std::memory_order_relaxed);
    }
    if (ack_target_ != nullptr) {
      ack_target_->abandon(ack_cookie_);
    }
    return;
  }
  if (outcomes) {
    if (worst == DeliveryOutcome::kDelivered) {
      outcomes->delivered.fetch_add(routed, std::memory_order_relaxed);
      outcomes->dead_lettered.fetch_add(dead_letters, std::memory_order_relaxed);
    } else if (const uint32_t some = sink_dead_letters_.load(std::memory_order_relaxed); some > 0) {
      // Sinks dead-lettered some events and delivered the others (at most all routed ones).
      const uint32_t rejected = std::min(some, routed);
      outcomes->delivered.fetch_add(routed - rejected, std::memory_order_relaxed);
      outcomes->dead_lettered.fetch_add(dead_letters + rejected, std::memory_order_relaxed);
    } else {
      // A sink put its share into the dead letter: every event of the batch ended there.
      outcomes->dead_lettered.fetch_add(pending, std::memory_order_relaxed);
    }
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
  if (position_is_origin) {
    out.append(str(origin(e)));
    return;
  }
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
