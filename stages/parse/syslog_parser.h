// SyslogParser: RFC 5424 and RFC 3164 (BSD) syslog messages into ten fixed fields, found by plain
// byte scanning: the values are views into the line, nothing is allocated per event. A line that
// is neither form is a parse error with the reason. One instance per parse worker; not
// thread-safe. parse_syslog is a plain function, safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "stages/batch.h"
#include "stages/parse/parser.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

// The fields, in the order an event carries them. priority, facility (priority / 8) and severity
// (priority % 8) are ints unless `types:` declares otherwise; the others are strings.
enum SyslogColumn : uint8_t {
  kSyslogPriority,
  kSyslogFacility,
  kSyslogSeverity,
  kSyslogTimestamp,
  kSyslogHostname,
  kSyslogAppName,
  kSyslogProcId,
  kSyslogMsgId,
  kSyslogStructuredData,
  kSyslogMessage,
  kSyslogColumns,
};
inline constexpr std::array<std::string_view, kSyslogColumns> kSyslogFieldNames{
    "priority", "facility", "severity", "timestamp",       "hostname",
    "app_name", "procid",   "msgid",    "structured_data", "message"};

// One message split into its parts. A part the message does not have (a NILVALUE `-` in RFC
// 5424; app_name, procid, msgid and structured_data of a BSD message without them) is a view
// with a null data(): the event leaves that field out.
//   RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`. timestamp is the RFC
//   3339 text; structured_data is the raw SD text, every element (`[id k="v"][id2 ...]`), escapes
//   kept; a UTF-8 BOM that starts MSG is left out of message.
//   RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`. timestamp is the text as sent, without
//   a year (an RFC 3339 timestamp in its place is accepted too); app_name is the TAG and procid
//   the PID when the message starts with `TAG:` or `TAG[PID]:` (the ": " is not in message);
//   otherwise, as in RFC 3164's third example, the whole rest is message. A first word that is
//   such a tag means the sender left the hostname out (as local senders do).
struct SyslogMessage {
  int priority = 0;
  // Indexed by SyslogColumn; priority is the PRI digits; facility and severity stay null.
  std::array<std::string_view, kSyslogColumns> parts;
  std::string_view error;  // why the line is not syslog (a static string); empty when parsed
};

// Splits `line` (without its line end) into `out`; false with out.error set when it is neither
// RFC 5424 nor RFC 3164.
bool parse_syslog(std::string_view line, SyslogMessage& out);

// The layout every syslog batch uses: the ten fields with their types (see SyslogColumn).
std::shared_ptr<const Layout> make_syslog_layout(const ParseOptions& options, const Schema& schema);

class SyslogParser final : public Parser {
 public:
  SyslogParser(const ParseOptions& options, const Schema& schema);

  void parse(Batch& batch) override;

 private:
  const Schema& schema_;
  std::shared_ptr<const Layout> layout_;
  SyslogMessage message_parts_;                            // reused per line
  std::array<int32_t, kSyslogColumns> field_of_column_{};  // reused per line: field, or -1
  std::string error_;                                      // reused per error
};

// Never fails; Result for symmetry with the other formats.
Result<std::unique_ptr<Parser>> make_syslog_parser(const ParseOptions& options,
                                                   const Schema& schema);

}  // namespace sluice
