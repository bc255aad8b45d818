// GenerateSource: synthetic access events (EventGenerator) written straight into batches, for
// demos and benchmarks. Finite when `count` is set; paced when `rate` is set.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "stages/ingest/event_generator.h"
#include "stages/ingest/record_framer.h"
#include "stages/ingest/source.h"

namespace sluice {

struct GenerateSourceOptions {
  EventGenerator::Format format = EventGenerator::Format::kCsv;
  std::optional<uint64_t> count;  // absent = endless
  std::optional<double> rate;     // events per second; absent = as fast as possible
  uint64_t seed = 1;
  size_t batch_bytes = 1 << 20;
};

class GenerateSource : public Source {
 public:
  GenerateSource(std::unique_ptr<RecordFramer> framer, GenerateSourceOptions options);
  Status run(SourceContext& ctx) override;

 private:
  std::unique_ptr<RecordFramer> framer_;
  GenerateSourceOptions options_;
};

}  // namespace sluice
