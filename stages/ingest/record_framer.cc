#include "stages/ingest/record_framer.h"

#include "stages/ingest/csv_framer.h"
#include "stages/ingest/line_framer.h"

namespace sluice {

std::unique_ptr<RecordFramer> make_framer(const ParseOptions& options, const Schema& schema) {
  if (options.format == ParseOptions::Format::kCsv) {
    return std::make_unique<CsvFramer>(options, schema);
  }
  return std::make_unique<LineFramer>(options, schema);
}

}  // namespace sluice
