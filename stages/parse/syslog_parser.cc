#include "stages/parse/syslog_parser.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "stages/parse/type_conversion.h"

namespace sluice {
namespace {

// RFC 5424 section 6: field lengths and the PRINTUSASCII range every header field is made of.
constexpr size_t kMaxHostname = 255;
constexpr size_t kMaxAppName = 48;
constexpr size_t kMaxProcId = 128;
constexpr size_t kMaxMsgId = 32;
constexpr size_t kMaxSdName = 32;
constexpr int kMaxPriority = 191;  // facility 23, severity 7
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kBadTimestamp =
    "bad RFC 5424 timestamp: expected YYYY-MM-DDThh:mm:ss[.ffffff](Z|+hh:mm|-hh:mm) or '-'";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_print(char c) { return c >= 33 && c <= 126; }
// SD-NAME: PRINTUSASCII except '=', SP, ']' and '"'.
bool is_sd_name(char c) { return is_print(c) && c != '=' && c != ']' && c != '"'; }
// A BSD TAG (and PROCID inside its brackets) stops at these.
bool is_tag(char c) { return is_print(c) && c != ':' && c != '[' && c != ']'; }

// Reads `count` digits at `s[at]` as a number in [lo, hi]; -1 when it is not.
int number(std::string_view s, size_t at, size_t count, int lo, int hi) {
  if (at + count > s.size()) {
    return -1;
  }
  int v = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (!is_digit(s[i])) {
      return -1;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v >= lo && v <= hi ? v : -1;
}

// RFC 5424 TIMESTAMP (not NILVALUE): YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+HH:MM|-HH:MM), with the
// upper-case T and Z it requires.
bool is_rfc5424_timestamp(std::string_view t) {
  if (t.size() < 20 || number(t, 0, 4, 0, 9999) < 0 || t[4] != '-' || number(t, 5, 2, 1, 12) < 0 ||
      t[7] != '-' || number(t, 8, 2, 1, 31) < 0 || t[10] != 'T' || number(t, 11, 2, 0, 23) < 0 ||
      t[13] != ':' || number(t, 14, 2, 0, 59) < 0 || t[16] != ':' || number(t, 17, 2, 0, 59) < 0) {
    return false;
  }
  size_t p = 19;
  if (t[p] == '.') {
    const size_t first = ++p;
    while (p < t.size() && is_digit(t[p])) {
      ++p;
    }
    if (p == first || p - first > 6) {
      return false;
    }
  }
  if (p < t.size() && t[p] == 'Z') {
    return p + 1 == t.size();
  }
  return p + 6 == t.size() && (t[p] == '+' || t[p] == '-') && number(t, p + 1, 2, 0, 23) >= 0 &&
         t[p + 3] == ':' && number(t, p + 4, 2, 0, 59) >= 0;
}

// RFC 3164 TIMESTAMP: `Mmm dd hh:mm:ss`, the day space-padded ("Feb  5"); 15 bytes.
bool is_rfc3164_timestamp(std::string_view s, size_t at) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (at + 15 > s.size()) {
    return false;
  }
  bool month = false;
  for (size_t m = 0; m < kMonths.size(); m += 3) {
    month = month || s.substr(at, 3) == kMonths.substr(m, 3);
  }
  const bool day =
      s[at + 4] == ' ' ? number(s, at + 5, 1, 1, 9) >= 0 : number(s, at + 4, 2, 1, 31) >= 0;
  return month && s[at + 3] == ' ' && day && s[at + 6] == ' ' && number(s, at + 7, 2, 0, 23) >= 0 &&
         s[at + 9] == ':' && number(s, at + 10, 2, 0, 59) >= 0 && s[at + 12] == ':' &&
         number(s, at + 13, 2, 0, 60) >= 0;
}

// Reads `<PRI>`; returns the position after '>' or 0 with `error` set.
size_t read_pri(std::string_view line, SyslogMessage& out) {
  if (line.empty()) {
    out.error = "empty line: no syslog PRI";
    return 0;
  }
  if (line[0] != '<') {
    out.error = "no PRI: a syslog message starts with <0> to <191>";
    return 0;
  }
  size_t p = 1;
  int pri = 0;
  while (p < line.size() && p <= 4 && is_digit(line[p])) {
    pri = pri * 10 + (line[p] - '0');
    ++p;
  }
  if (p == 1 || p > 4 || p == line.size() || line[p] != '>') {
    out.error = "bad PRI: expected 1 to 3 digits between '<' and '>'";
    return 0;
  }
  if (p > 2 && line[1] == '0') {
    out.error = "bad PRI: a leading zero (RFC 3164 and 5424 allow only <0> itself)";
    return 0;
  }
  if (pri > kMaxPriority) {
    out.error = "bad PRI: over 191 (facility 23, severity 7)";
    return 0;
  }
  out.priority = pri;
  out.parts[kSyslogPriority] = line.substr(1, p - 1);
  return p + 1;
}

// One space-terminated RFC 5424 header field at `p` (NILVALUE `-` leaves the part null); moves
// `p` past the space. False with `error` set when the field is empty, too long, not printable
// ASCII, or the line ends in it.
bool read_header_field(std::string_view line, size_t& p, size_t max_len, SyslogColumn column,
                       SyslogMessage& out) {
  static constexpr std::array<std::string_view, kSyslogColumns> kTruncated{
      "",
      "",
      "",
      "truncated RFC 5424 header: it ends in the timestamp",
      "truncated RFC 5424 header: it ends in the hostname",
      "truncated RFC 5424 header: it ends in the app_name",
      "truncated RFC 5424 header: it ends in the procid",
      "truncated RFC 5424 header: it ends in the msgid",
  };
  static constexpr std::array<std::string_view, kSyslogColumns> kTooLong{
      "",
      "",
      "",
      "",
      "bad RFC 5424 hostname: longer than 255 bytes or not printable ASCII",
      "bad RFC 5424 app_name: longer than 48 bytes or not printable ASCII",
      "bad RFC 5424 procid: longer than 128 bytes or not printable ASCII",
      "bad RFC 5424 msgid: longer than 32 bytes or not printable ASCII",
  };
  const size_t start = p;
  while (p < line.size() && is_print(line[p])) {
    ++p;
  }
  if (p == line.size()) {
    out.error = kTruncated[column];
    return false;
  }
  if (line[p] != ' ' || p - start > max_len) {
    out.error = column == kSyslogTimestamp ? kBadTimestamp : kTooLong[column];
    return false;
  }
  if (p == start) {
    out.error = "bad RFC 5424 header: two spaces in a row (an empty field is written '-')";
    return false;
  }
  const std::string_view value = line.substr(start, p - start);
  if (value != "-") {
    out.parts[column] = value;
  }
  ++p;
  return true;
}

// STRUCTURED-DATA at `p`: NILVALUE or one or more `[SD-ID *(SP PARAM-NAME="VALUE")]`, where a
// value may hold `\"`, `\\` and `\]`. Moves `p` past it.
bool read_structured_data(std::string_view line, size_t& p, SyslogMessage& out) {
  const size_t n = line.size();
  if (p == n) {
    out.error = "truncated RFC 5424 header: no structured data";
    return false;
  }
  if (line[p] == '-') {
    ++p;
    return true;
  }
  if (line[p] != '[') {
    out.error = "bad RFC 5424 structured data: neither '-' nor '['";
    return false;
  }
  const size_t start = p;
  auto name = [&]() {
    const size_t from = p;
    while (p < n && is_sd_name(line[p])) {
      ++p;
    }
    return p > from && p - from <= kMaxSdName;
  };
  while (p < n && line[p] == '[') {
    ++p;
    if (!name()) {
      out.error = "bad RFC 5424 structured data: an SD-ID of 1 to 32 printable characters";
      return false;
    }
    while (p < n && line[p] == ' ') {
      ++p;
      if (!name() || p + 1 >= n || line[p] != '=' || line[p + 1] != '"') {
        out.error = "bad RFC 5424 structured data: expected PARAM-NAME=\"VALUE\"";
        return false;
      }
      p += 2;
      while (p < n && line[p] != '"') {
        p += line[p] == '\\' && p + 1 < n ? 2 : 1;
      }
      if (p == n) {
        out.error = "bad RFC 5424 structured data: a PARAM-VALUE without its closing '\"'";
        return false;
      }
      ++p;
    }
    if (p == n || line[p] != ']') {
      out.error = "bad RFC 5424 structured data: an SD-ELEMENT not closed by ']'";
      return false;
    }
    ++p;
  }
  out.parts[kSyslogStructuredData] = line.substr(start, p - start);
  return true;
}

bool parse_rfc5424(std::string_view line, size_t p, SyslogMessage& out) {
  if (!read_header_field(line, p, 64, kSyslogTimestamp, out)) {
    return false;
  }
  if (!out.parts[kSyslogTimestamp].empty() && !is_rfc5424_timestamp(out.parts[kSyslogTimestamp])) {
    out.error = kBadTimestamp;
    return false;
  }
  if (!read_header_field(line, p, kMaxHostname, kSyslogHostname, out) ||
      !read_header_field(line, p, kMaxAppName, kSyslogAppName, out) ||
      !read_header_field(line, p, kMaxProcId, kSyslogProcId, out) ||
      !read_header_field(line, p, kMaxMsgId, kSyslogMsgId, out) ||
      !read_structured_data(line, p, out)) {
    return false;
  }
  if (p == line.size()) {
    return true;  // no MSG
  }
  if (line[p] != ' ') {
    out.error = "bad RFC 5424 message: structured data not followed by a space";
    return false;
  }
  std::string_view msg = line.substr(p + 1);
  if (msg.starts_with(kBom)) {
    msg.remove_prefix(kBom.size());
  }
  out.parts[kSyslogMessage] = msg;
  return true;
}

// `TAG:` or `TAG[PID]:` at the start of `s` (TAG at most 48 bytes, as APP-NAME): the length up to
// and including the colon, with the tag and pid in `out`; 0 when `s` does not start so.
size_t read_tag(std::string_view s, SyslogMessage& out) {
  size_t p = 0;
  while (p < s.size() && p <= kMaxAppName && is_tag(s[p])) {
    ++p;
  }
  if (p == 0 || p > kMaxAppName || p == s.size()) {
    return 0;
  }
  const std::string_view tag = s.substr(0, p);
  std::string_view pid;
  if (s[p] == '[') {
    const size_t from = ++p;
    while (p < s.size() && p - from <= kMaxProcId && is_tag(s[p])) {
      ++p;
    }
    if (p == from || p - from > kMaxProcId || p == s.size() || s[p] != ']') {
      return 0;
    }
    pid = s.substr(from, p - from);
    ++p;
  }
  if (p == s.size() || s[p] != ':') {
    return 0;
  }
  out.parts[kSyslogAppName] = tag;
  out.parts[kSyslogProcId] = pid;
  return p + 1;
}

// The MSG part of a BSD message: an optional tag, then the content.
void read_bsd_msg(std::string_view msg, SyslogMessage& out) {
  const size_t tag = read_tag(msg, out);
  msg.remove_prefix(tag);
  if (tag > 0 && msg.starts_with(' ')) {
    msg.remove_prefix(1);
  }
  out.parts[kSyslogMessage] = msg;
}

bool parse_rfc3164(std::string_view line, size_t p, SyslogMessage& out) {
  size_t end = p;
  if (is_rfc3164_timestamp(line, p)) {
    end = p + 15;
  } else {
    end = std::min(line.find(' ', p), line.size());
    if (!is_digit(line[p]) || !is_rfc5424_timestamp(line.substr(p, end - p))) {
      out.error =
          "neither RFC 5424 (<PRI>1 ...) nor RFC 3164 (<PRI>Mmm dd hh:mm:ss ...): no version or "
          "timestamp after the PRI";
      return false;
    }
  }
  out.parts[kSyslogTimestamp] = line.substr(p, end - p);
  if (end == line.size() || line[end] != ' ' || end + 1 == line.size()) {
    out.error = "truncated RFC 3164 header: no space and hostname after the timestamp";
    return false;
  }
  std::string_view rest = line.substr(end + 1);
  const size_t word = std::min(rest.find(' '), rest.size());
  SyslogMessage probe;
  const size_t tag = read_tag(rest, probe);
  if (tag > 0 && tag == word) {  // `TAG:` right after the timestamp: no hostname
    read_bsd_msg(rest, out);
    return true;
  }
  for (size_t i = 0; i < word; ++i) {
    if (!is_print(rest[i])) {
      out.error = "bad RFC 3164 hostname: not printable ASCII";
      return false;
    }
  }
  out.parts[kSyslogHostname] = rest.substr(0, word);
  if (word < rest.size()) {
    read_bsd_msg(rest.substr(word + 1), out);
  }
  return true;
}

}  // namespace

bool parse_syslog(std::string_view line, SyslogMessage& out) {
  out.priority = 0;
  out.parts.fill(std::string_view());
  out.error = std::string_view();
  const size_t p = read_pri(line, out);
  if (p == 0) {
    return false;
  }
  if (p == line.size()) {
    out.error = "truncated syslog header: nothing after the PRI";
    return false;
  }
  // VERSION = NONZERO-DIGIT 0*2DIGIT, then a space; only version 1 is defined.
  size_t v = p;
  while (v < line.size() && v - p < 4 && is_digit(line[v])) {
    ++v;
  }
  if (v > p && v - p <= 3 && v < line.size() && line[v] == ' ') {
    if (line.substr(p, v - p) != "1") {
      out.error = "unsupported syslog version: RFC 5424 defines only version 1";
      return false;
    }
    return parse_rfc5424(line, v + 1, out);
  }
  return parse_rfc3164(line, p, out);
}

std::shared_ptr<const Layout> make_syslog_layout(const ParseOptions& options,
                                                 const Schema& schema) {
  // The numbers are ints unless declared otherwise: a declaration later in `types` wins.
  ParseOptions typed = options;
  typed.types.insert(typed.types.begin(),
                     {{std::string(kSyslogFieldNames[kSyslogPriority]), FieldType::kInt},
                      {std::string(kSyslogFieldNames[kSyslogFacility]), FieldType::kInt},
                      {std::string(kSyslogFieldNames[kSyslogSeverity]), FieldType::kInt}});
  return make_layout(std::vector<std::string>(kSyslogFieldNames.begin(), kSyslogFieldNames.end()),
                     typed, schema);
}

SyslogParser::SyslogParser(const ParseOptions& options, const Schema& schema)
    : schema_(schema), layout_(make_syslog_layout(options, schema)) {}

void SyslogParser::parse(Batch& batch) {
  batch.layout = layout_;
  const size_t slots = schema_.size();
  for (Event& event : batch.events) {
    if (event.state != EventState::kFramed) {
      continue;
    }
    start_event(batch, event, slots);

    // The view is valid until batch.text grows, which happens only after the last use of it.
    const std::string_view line = batch.str(event.raw);
    SyslogMessage& m = message_parts_;
    if (!parse_syslog(line, m)) {
      fail_event(batch, event, m.error);
      continue;
    }
    // facility and severity have no text of their own: theirs is appended after the line.
    const int numbers[] = {m.priority, m.priority / 8, m.priority % 8};
    char digits[4];
    const size_t facility_len = numbers[1] >= 10 ? 2 : 1;
    digits[0] = static_cast<char>('0' + numbers[1] / 10);
    digits[facility_len - 1] = static_cast<char>('0' + numbers[1] % 10);
    digits[facility_len] = static_cast<char>('0' + numbers[2]);
    const std::string_view number_text(digits, facility_len + 1);
    m.parts[kSyslogFacility] = number_text.substr(0, facility_len);
    m.parts[kSyslogSeverity] = number_text.substr(facility_len);

    bool ok = true;
    for (size_t c = 0; c < kSyslogColumns; ++c) {
      const std::string_view value = m.parts[c];
      if (value.data() == nullptr) {
        field_of_column_[c] = -1;
        continue;
      }
      Field field;
      field.name = Span{static_cast<uint32_t>(c), 0};
      field.flags = Field::kNameInLayout;
      if (c == kSyslogFacility || c == kSyslogSeverity) {
        field.value = Span{UINT32_MAX, static_cast<uint32_t>(value.size())};  // set below
      } else {
        field.value = Span{event.raw.off + static_cast<uint32_t>(value.data() - line.data()),
                           static_cast<uint32_t>(value.size())};
      }
      const FieldType type = layout_->column_types[c];
      if (type == FieldType::kInt && c <= kSyslogSeverity) {
        field.type = FieldType::kInt;
        field.num.i = numbers[c];
      } else if (type != FieldType::kString && !convert_field(value, type, field)) {
        conversion_error(layout_->names[c], value, type, error_);
        ok = false;
        break;
      }
      field_of_column_[c] = static_cast<int32_t>(batch.fields.size());
      batch.fields.push_back(field);
    }
    if (!ok) {
      fail_event(batch, event, error_);
      continue;
    }
    const Span appended = batch.append(number_text);  // `line` and `m` are stale from here
    batch.fields[static_cast<size_t>(field_of_column_[kSyslogFacility])].value =
        Span{appended.off, static_cast<uint32_t>(facility_len)};
    batch.fields[static_cast<size_t>(field_of_column_[kSyslogSeverity])].value =
        Span{appended.off + static_cast<uint32_t>(facility_len), 1};

    finish_event(batch, event, *layout_, field_of_column_.data());
  }
}

Result<std::unique_ptr<Parser>> make_syslog_parser(const ParseOptions& options,
                                                   const Schema& schema) {
  return std::unique_ptr<Parser>(std::make_unique<SyslogParser>(options, schema));
}

}  // namespace sluice
