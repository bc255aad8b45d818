// Fuzz target: the regex parser, and the syslog parser beside it (no target of its own, to keep
// CI short). Every input line is parsed with the nginx pattern of config/regex-nginx.yaml (typed
// status and bytes) and as syslog; then the first line is taken as a pattern of its own, which
// make_parser must reject with a Status or accept without crashing, and the other lines are
// parsed with it. Every batch must satisfy the Batch contract, and a parsed event's values must
// lie inside its own record (syslog's facility and severity excepted: their text is appended).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/parser.h"
#include "stages/parse/syslog_parser.h"
#include "tests/fuzz/fuzz_checks.h"

namespace sluice::fuzz {
namespace {

constexpr std::string_view kNginx =
    R"re(^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: (?P<protocol>[^"]*))?" (?P<status>\d{3}) (?P<bytes>\d+) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")re";

void parse_lines(const ParseOptions& options, const std::vector<std::string_view>& lines,
                 size_t first) {
  Schema schema;
  for (const char* name : {"status", "bytes", "path", "a", "missing", "severity", "message"}) {
    schema.intern(name);
  }
  auto parser = make_parser(options, schema);
  if (!parser.ok()) {
    FUZZ_CHECK(!parser.status().message().empty());
    return;
  }
  Batch batch;
  for (size_t i = first; i < lines.size(); ++i) {
    add_line(batch, lines[i], i + 1);
  }
  parser.value()->parse(batch);
  check_batch(batch, schema);
  for (const Event& e : batch.events) {
    FUZZ_CHECK(e.state == EventState::kParsed || e.state == EventState::kParseError);
    if (e.state != EventState::kParsed) {
      continue;
    }
    FUZZ_CHECK(batch.layout != nullptr);
    FUZZ_CHECK(e.field_count <= batch.layout->names.size());
    for (uint32_t i = 0; i < e.field_count; ++i) {
      const Field& f = batch.fields[e.first_field + i];
      if (options.format == ParseOptions::Format::kSyslog &&
          (f.name.off == kSyslogFacility || f.name.off == kSyslogSeverity)) {
        FUZZ_CHECK(f.type == FieldType::kInt && f.num.i >= 0 && f.num.i <= 23);
        continue;
      }
      FUZZ_CHECK(f.value.off >= e.raw.off && f.value.off + f.value.len <= e.raw.off + e.raw.len);
    }
  }
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  using namespace sluice::fuzz;
  // RE2 is linear in the input, but a huge pattern makes compiling slow without finding more.
  if (size > 4096) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> all = lines(input);

  ParseOptions nginx;
  nginx.format = ParseOptions::Format::kRegex;
  nginx.pattern = kNginx;
  nginx.types = {{"status", FieldType::kInt}, {"bytes", FieldType::kInt}};
  parse_lines(nginx, all, 0);

  ParseOptions syslog;
  syslog.format = ParseOptions::Format::kSyslog;
  syslog.types = {{"procid", FieldType::kInt}, {"timestamp", FieldType::kTimestamp}};
  parse_lines(syslog, all, 0);

  if (!all.empty()) {
    ParseOptions own;
    own.format = ParseOptions::Format::kRegex;
    own.pattern = all[0];
    own.types = {{"status", FieldType::kInt}, {"a", FieldType::kBool}};
    parse_lines(own, all, 1);
  }
  return 0;
}
