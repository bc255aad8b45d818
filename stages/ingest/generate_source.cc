#include "stages/ingest/generate_source.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace sluice {

GenerateSource::GenerateSource(std::unique_ptr<RecordFramer> framer, GenerateSourceOptions options)
    : framer_(std::move(framer)), options_(options) {}

Status GenerateSource::run(SourceContext& ctx) {
  EventGenerator generator(options_.format, options_.seed);
  auto name = std::make_shared<const std::string>("generate");
  const uint64_t total = options_.count.value_or(UINT64_MAX);
  auto start = std::chrono::steady_clock::now();
  // With a rate, batches are small (about 10 per second) so events flow steadily.
  uint64_t per_batch = UINT64_MAX;
  if (options_.rate && *options_.rate > 0) {
    per_batch = std::max<uint64_t>(1, static_cast<uint64_t>(*options_.rate / 10));
  }
  while (generator.generated() < total && !ctx.stopping()) {
    BatchPtr batch = ctx.new_batch(options_.batch_bytes + 4096);
    if (!batch) {
      break;
    }
    batch->source = name;
    uint64_t in_batch = 0;
    while (batch->text.size() < options_.batch_bytes && generator.generated() < total &&
           in_batch < per_batch) {
      generator.append_event(batch->text);
      ++in_batch;
    }
    framer_->frame(*batch, 0, batch->text.size(), /*at_eof=*/true);
    batch->update_lease();
    if (!ctx.emit(std::move(batch))) {
      break;
    }
    if (options_.rate && *options_.rate > 0) {
      auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(
                                 static_cast<double>(generator.generated()) / *options_.rate));
      while (std::chrono::steady_clock::now() < due && !ctx.stopping()) {
        std::this_thread::sleep_until(
            std::min(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
      }
    }
  }
  return Status();
}

}  // namespace sluice
