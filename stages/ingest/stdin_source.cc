#include "stages/ingest/stdin_source.h"

namespace sluice {

StdinSource::StdinSource(std::unique_ptr<RecordFramer> framer, StreamReaderOptions options, int fd)
    : reader_(std::move(framer), std::make_shared<const std::string>("stdin"), options), fd_(fd) {}

Status StdinSource::run(SourceContext& ctx) {
  while (true) {
    switch (reader_.pump(fd_, ctx, /*final=*/true)) {
      case StreamReader::Outcome::kEndOfData:
      case StreamReader::Outcome::kStopped:
        return Status();
      case StreamReader::Outcome::kAgain:
      case StreamReader::Outcome::kReplaced:  // only with verify_reads, which stdin never sets
        continue;
      case StreamReader::Outcome::kError:
        return Status::error("cannot read stdin: " + reader_.error());
    }
  }
}

}  // namespace sluice
