#include "stages/batch_recycler.h"

#include <string>
#include <vector>

namespace sluice {
namespace {

// Empties a pooled buffer but keeps what it allocated, down to the buffers inside it. The text is
// left as it is: take() empties it, take_for_read() reuses its length without zeroing it.
void clear_keeping_capacity(std::string&) {}

template <typename T>
void clear_keeping_capacity(std::vector<T>& v) {
  v.clear();
}

void clear_keeping_capacity(Batch::Output& o) { o.clear(); }

// The per-target lists stay in place (emptied), so the next batch's targets reuse them too.
template <typename T>
void clear_keeping_capacity(std::vector<std::vector<T>>& v) {
  for (auto& inner : v) {
    inner.clear();
  }
}

void clear_keeping_capacity(std::vector<Batch::Output>& v) {
  for (Batch::Output& o : v) {
    clear_keeping_capacity(o);
  }
}

}  // namespace

void BatchRecycler::take(Batch& batch) {
  Buffers b;
  if (!pool_.try_dequeue(b)) {
    return;
  }
  pooled_.fetch_sub(1, std::memory_order_relaxed);
  batch.buffers() = std::move(b);
  batch.text.clear();
}

void BatchRecycler::take_for_read(Batch& batch, size_t bytes) {
  Buffers b;
  if (pool_.try_dequeue(b)) {
    pooled_.fetch_sub(1, std::memory_order_relaxed);
    batch.buffers() = std::move(b);
  }
  std::string& text = batch.text;
  if (bytes > text.capacity()) {
    text.clear();  // growing would copy the old bytes into the new allocation
  }
  text.resize(bytes);  // writes only the bytes past the recycled length
}

void BatchRecycler::give(Batch& batch) {
  if (pooled_.fetch_add(1, std::memory_order_relaxed) >= max_pooled_) {
    pooled_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  Buffers b =
      std::apply([](auto&... buffer) { return Buffers{std::move(buffer)...}; }, batch.buffers());
  std::apply([](auto&... buffer) { (clear_keeping_capacity(buffer), ...); }, b);
  pool_.enqueue(std::move(b));
}

}  // namespace sluice
