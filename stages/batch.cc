#include "stages/batch.h"

#include <charconv>

#include "stages/batch_recycler.h"
#include "stages/latency_histogram.h"

namespace sluice {

Batch::~Batch() {
  if (!abandoned_) {
    if (ack_target_ != nullptr) {
      ack_target_->acknowledge(ack_cookie_);
    }
    if (latency && routed > 0) {
      std::chrono::duration<double> age = std::chrono::steady_clock::now() - created;
      latency->record(age.count(), routed);
    }
  }
  if (recycler) {
    recycler->give(*this);
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
