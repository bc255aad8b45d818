#include "stages/batch_recycler.h"

namespace sluice {

void BatchRecycler::take(Batch& batch) {
  Buffers b;
  if (!pool_.try_dequeue(b)) {
    return;
  }
  pooled_.fetch_sub(1, std::memory_order_relaxed);
  batch.text = std::move(b.text);
  batch.events = std::move(b.events);
  batch.fields = std::move(b.fields);
  batch.slot_fields = std::move(b.slot_fields);
  batch.targets = std::move(b.targets);
  batch.encoded = std::move(b.encoded);
}

void BatchRecycler::give(Batch& batch) {
  if (pooled_.fetch_add(1, std::memory_order_relaxed) >= max_pooled_) {
    pooled_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  Buffers b{std::move(batch.text),        std::move(batch.events),  std::move(batch.fields),
            std::move(batch.slot_fields), std::move(batch.targets), std::move(batch.encoded)};
  b.text.clear();
  b.events.clear();
  b.fields.clear();
  b.slot_fields.clear();
  for (auto& t : b.targets) {
    t.clear();
  }
  for (auto& e : b.encoded) {
    e.clear();
  }
  pool_.enqueue(std::move(b));
}

}  // namespace sluice
