// StdinSource: reads standard input to EOF (finite). Records are framed as the parse format
// needs; the source name in `_source` is "stdin".
#pragma once

#include <memory>

#include "stages/ingest/source.h"
#include "stages/ingest/stream_reader.h"

namespace sluice {

class StdinSource : public Source {
 public:
  StdinSource(std::unique_ptr<RecordFramer> framer, StreamReaderOptions options, int fd = 0);
  Status run(SourceContext& ctx) override;

 private:
  StreamReader reader_;
  int fd_;
};

}  // namespace sluice
