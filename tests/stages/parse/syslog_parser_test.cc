#include "stages/parse/syslog_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/stages/parse/framed_line.h"

namespace sluice {
namespace {

// The UTF-8 byte order mark RFC 5424's examples write as "BOM".
constexpr std::string_view kBom = "\xEF\xBB\xBF";

class SyslogParserTest : public ::testing::Test {
 protected:
  void SetUp() override { options_.format = ParseOptions::Format::kSyslog; }

  std::unique_ptr<Parser> parser() {
    auto made = make_syslog_parser(options_, schema_);
    EXPECT_TRUE(made.ok());
    return std::move(made.value());
  }

  // name=value of every field of the event, in order; an int or timestamp field's value is its
  // number.
  static std::vector<std::string> fields(const Batch& batch, const Event& e) {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < e.field_count; ++i) {
      const Field& f = batch.fields[e.first_field + i];
      std::string value(batch.str(f.value));
      if (f.type == FieldType::kInt) {
        value = std::to_string(f.num.i) + ":int";
      } else if (f.type == FieldType::kTimestamp) {
        value = std::to_string(f.num.i) + ":timestamp";
      }
      out.push_back(std::string(batch.field_name(f)) + "=" + value);
    }
    return out;
  }

  // Parses one line alone; the fields, or {"error: REASON"}.
  std::vector<std::string> parse_line(std::string_view line) {
    auto p = parser();
    Batch batch;
    add_framed_line(batch, line);
    p->parse(batch);
    const Event& e = batch.events[0];
    if (e.state == EventState::kParseError) {
      return {"error: " + std::string(batch.str(e.error))};
    }
    EXPECT_EQ(e.state, EventState::kParsed);
    return fields(batch, e);
  }

  // The reason a line is refused ("" when it parses).
  std::string error_of(std::string_view line) {
    std::vector<std::string> got = parse_line(line);
    if (got.size() == 1 && got[0].starts_with("error: ")) {
      return got[0].substr(7);
    }
    return "";
  }

  ParseOptions options_;
  Schema schema_;
};

using Fields = std::vector<std::string>;

// RFC 5424 section 6.5, example 1: no structured data, a BOM before the message.
TEST_F(SyslogParserTest, Rfc5424Example1WithNoStructuredData) {
  const std::string line =
      std::string("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ") +
      std::string(kBom) + "'su root' failed for lonvick on /dev/pts/8";
  EXPECT_EQ(parse_line(line), (Fields{"priority=34:int", "facility=4:int", "severity=2:int",
                                      "timestamp=2003-10-11T22:14:15.003Z",
                                      "hostname=mymachine.example.com", "app_name=su", "msgid=ID47",
                                      "message='su root' failed for lonvick on /dev/pts/8"}));
}

// Example 2: a timestamp with microseconds and an offset; no BOM, so the message is MSG-ANY.
TEST_F(SyslogParserTest, Rfc5424Example2WithMicrosecondsAndOffset) {
  EXPECT_EQ(
      parse_line("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% "
                 "It's time to make the do-nuts."),
      (Fields{"priority=165:int", "facility=20:int", "severity=5:int",
              "timestamp=2003-08-24T05:14:15.000003-07:00", "hostname=192.0.2.1", "app_name=myproc",
              "procid=8710", "message=%% It's time to make the do-nuts."}));
}

// Example 3: structured data, kept as its raw text, then a BOM and the message.
TEST_F(SyslogParserTest, Rfc5424Example3WithStructuredData) {
  const std::string line = std::string(
                               "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
                               "ID47 [exampleSDID@32473 "
                               "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] ") +
                           std::string(kBom) + "An application event log entry...";
  EXPECT_EQ(parse_line(line),
            (Fields{"priority=165:int", "facility=20:int", "severity=5:int",
                    "timestamp=2003-10-11T22:14:15.003Z", "hostname=mymachine.example.com",
                    "app_name=evntslog", "msgid=ID47",
                    "structured_data=[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
                    "eventID=\"1011\"]",
                    "message=An application event log entry..."}));
}

// Example 4: two SD elements and no MSG at all: message is absent.
TEST_F(SyslogParserTest, Rfc5424Example4StructuredDataOnly) {
  EXPECT_EQ(parse_line("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                       "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
                       "eventID=\"1011\"][examplePriority@32473 class=\"high\"]"),
            (Fields{"priority=165:int", "facility=20:int", "severity=5:int",
                    "timestamp=2003-10-11T22:14:15.003Z", "hostname=mymachine.example.com",
                    "app_name=evntslog", "msgid=ID47",
                    "structured_data=[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
                    "eventID=\"1011\"][examplePriority@32473 class=\"high\"]"}));
}

TEST_F(SyslogParserTest, Rfc5424AllNilValuesLeaveTheFieldsOut) {
  EXPECT_EQ(parse_line("<0>1 - - - - - -"),
            (Fields{"priority=0:int", "facility=0:int", "severity=0:int"}));
  EXPECT_EQ(parse_line("<191>1 - - - - - - "),
            (Fields{"priority=191:int", "facility=23:int", "severity=7:int", "message="}));
}

// RFC 5424 section 6.3.5: escaped '"', '\' and ']' inside PARAM-VALUE do not end it.
TEST_F(SyslogParserTest, Rfc5424EscapesInsideStructuredData) {
  EXPECT_EQ(parse_line(R"(<13>1 - h a p m [id@1 a="x\"y\]z\\" b=""] hi)"),
            (Fields{"priority=13:int", "facility=1:int", "severity=5:int", "hostname=h",
                    "app_name=a", "procid=p", "msgid=m",
                    R"(structured_data=[id@1 a="x\"y\]z\\" b=""])", "message=hi"}));
}

// RFC 3164 section 5.4, example 1: the TAG `su` ends at the colon.
TEST_F(SyslogParserTest, Rfc3164Example1) {
  EXPECT_EQ(parse_line("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on "
                       "/dev/pts/8"),
            (Fields{"priority=34:int", "facility=4:int", "severity=2:int",
                    "timestamp=Oct 11 22:14:15", "hostname=mymachine", "app_name=su",
                    "message='su root' failed for lonvick on /dev/pts/8"}));
}

// Example 2 as the device sent it has no PRI (an error here); as a relay forwards it, the
// whole text is the content and there is no tag.
TEST_F(SyslogParserTest, Rfc3164Example2WithoutAndWithTheRelaysHeader) {
  EXPECT_EQ(error_of("Use the BFG!"), "no PRI: a syslog message starts with <0> to <191>");
  EXPECT_EQ(parse_line("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!"),
            (Fields{"priority=13:int", "facility=1:int", "severity=5:int",
                    "timestamp=Feb  5 17:32:18", "hostname=10.0.0.99", "message=Use the BFG!"}));
}

// Example 3: as RFC 3164 says, the hostname is construed as "CST" and the MSG begins "1987".
TEST_F(SyslogParserTest, Rfc3164Example3) {
  EXPECT_EQ(parse_line("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to "
                       "make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: "
                       "Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, "
                       "Conveyer2=OK # %%"),
            (Fields{"priority=165:int", "facility=20:int", "severity=5:int",
                    "timestamp=Aug 24 05:34:00", "hostname=CST",
                    "message=1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  "
                    "Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, "
                    "Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%"}));
}

// Example 4 as sent has a year where the timestamp belongs (an error here); the relayed form
// parses, with `sched[0]:` deep inside the content and so not a tag.
TEST_F(SyslogParserTest, Rfc3164Example4WithoutAndWithTheRelaysHeader) {
  EXPECT_EQ(error_of("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
                     "sched[0]: That's All Folks!"),
            "neither RFC 5424 (<PRI>1 ...) nor RFC 3164 (<PRI>Mmm dd hh:mm:ss ...): no version "
            "or timestamp after the PRI");
  EXPECT_EQ(parse_line("<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:52:01 TZ-6 "
                       "scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!"),
            (Fields{"priority=0:int", "facility=0:int", "severity=0:int",
                    "timestamp=Oct 22 10:52:12", "hostname=scapegoat",
                    "message=1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
                    "sched[0]: That's All Folks!"}));
}

TEST_F(SyslogParserTest, Rfc3164TagWithPid) {
  EXPECT_EQ(parse_line("<86>Dec  1 08:00:01 web1 sshd[4711]: Accepted publickey for ops"),
            (Fields{"priority=86:int", "facility=10:int", "severity=6:int",
                    "timestamp=Dec  1 08:00:01", "hostname=web1", "app_name=sshd", "procid=4711",
                    "message=Accepted publickey for ops"}));
}

// Local senders (the /dev/log form) leave the hostname out: a first word that is a tag says so.
TEST_F(SyslogParserTest, Rfc3164WithoutHostname) {
  EXPECT_EQ(
      parse_line("<13>Feb  5 17:32:18 cron[77]: job done"),
      (Fields{"priority=13:int", "facility=1:int", "severity=5:int", "timestamp=Feb  5 17:32:18",
              "app_name=cron", "procid=77", "message=job done"}));
  // An IPv6 hostname has colons but is no tag.
  EXPECT_EQ(parse_line("<13>Feb  5 17:32:18 fe80::1 su: x"),
            (Fields{"priority=13:int", "facility=1:int", "severity=5:int",
                    "timestamp=Feb  5 17:32:18", "hostname=fe80::1", "app_name=su", "message=x"}));
}

TEST_F(SyslogParserTest, Rfc3164WithAnRfc3339Timestamp) {
  EXPECT_EQ(parse_line("<14>2024-03-01T10:00:00.123+01:00 db1 postgres[9]: ready"),
            (Fields{"priority=14:int", "facility=1:int", "severity=6:int",
                    "timestamp=2024-03-01T10:00:00.123+01:00", "hostname=db1", "app_name=postgres",
                    "procid=9", "message=ready"}));
}

TEST_F(SyslogParserTest, EmptyLineIsAnError) {
  EXPECT_EQ(error_of(""), "empty line: no syslog PRI");
}

TEST_F(SyslogParserTest, NoPriIsAnError) {
  EXPECT_EQ(error_of("Oct 11 22:14:15 mymachine su: hi"),
            "no PRI: a syslog message starts with <0> to <191>");
}

TEST_F(SyslogParserTest, BadPriIsAnError) {
  const std::string digits = "bad PRI: expected 1 to 3 digits between '<' and '>'";
  EXPECT_EQ(error_of("<>1 - - - - - -"), digits);
  EXPECT_EQ(error_of("<1234>1 - - - - - -"), digits);
  EXPECT_EQ(error_of("<12"), digits);
  EXPECT_EQ(error_of("<a>1 - - - - - -"), digits);
  EXPECT_EQ(error_of("<192>1 - - - - - -"), "bad PRI: over 191 (facility 23, severity 7)");
  EXPECT_EQ(error_of("<999>Oct 11 22:14:15 h x"), "bad PRI: over 191 (facility 23, severity 7)");
  EXPECT_EQ(error_of("<034>1 - - - - - -"),
            "bad PRI: a leading zero (RFC 3164 and 5424 allow only <0> itself)");
}

TEST_F(SyslogParserTest, BadVersionIsAnError) {
  EXPECT_EQ(error_of("<34>2 2003-10-11T22:14:15.003Z h a - - - m"),
            "unsupported syslog version: RFC 5424 defines only version 1");
  EXPECT_EQ(error_of("<34>0 - - - - - -"),
            "unsupported syslog version: RFC 5424 defines only version 1");
}

TEST_F(SyslogParserTest, TruncatedHeaderIsAnError) {
  EXPECT_EQ(error_of("<34>"), "truncated syslog header: nothing after the PRI");
  EXPECT_EQ(error_of("<34>1 2003-10-11T22:14:15.003Z"),
            "truncated RFC 5424 header: it ends in the timestamp");
  EXPECT_EQ(error_of("<34>1 2003-10-11T22:14:15.003Z mymachine"),
            "truncated RFC 5424 header: it ends in the hostname");
  EXPECT_EQ(error_of("<34>1 - h su"), "truncated RFC 5424 header: it ends in the app_name");
  EXPECT_EQ(error_of("<34>1 - h su 1"), "truncated RFC 5424 header: it ends in the procid");
  EXPECT_EQ(error_of("<34>1 - h su 1 ID47"), "truncated RFC 5424 header: it ends in the msgid");
  EXPECT_EQ(error_of("<34>1 - h su 1 ID47 "), "truncated RFC 5424 header: no structured data");
  EXPECT_EQ(error_of("<34>Oct 11 22:14:15"),
            "truncated RFC 3164 header: no space and hostname after the timestamp");
  EXPECT_EQ(error_of("<34>Oct 11 22:1"),
            "neither RFC 5424 (<PRI>1 ...) nor RFC 3164 (<PRI>Mmm dd hh:mm:ss ...): no version "
            "or timestamp after the PRI");
}

TEST_F(SyslogParserTest, BadRfc5424FieldsAreErrors) {
  const std::string timestamp =
      "bad RFC 5424 timestamp: expected YYYY-MM-DDThh:mm:ss[.ffffff](Z|+hh:mm|-hh:mm) or '-'";
  EXPECT_EQ(error_of("<34>1 2003-10-11 22:14:15Z h a p m -"), timestamp);
  EXPECT_EQ(error_of("<34>1 2003-13-11T22:14:15Z h a p m -"), timestamp);
  EXPECT_EQ(error_of("<34>1 2003-10-11T22:14:15.1234567Z h a p m -"), timestamp);
  EXPECT_EQ(error_of("<34>1 2003-10-11t22:14:15z h a p m -"), timestamp);
  EXPECT_EQ(error_of("<34>1 2003-10-11T22:14:15+0100 h a p m -"), timestamp);
  EXPECT_EQ(error_of("<34>1 -  a p m -"),
            "bad RFC 5424 header: two spaces in a row (an empty field is written '-')");
  EXPECT_EQ(error_of("<34>1 - h " + std::string(49, 'a') + " p m -"),
            "bad RFC 5424 app_name: longer than 48 bytes or not printable ASCII");
  EXPECT_EQ(error_of("<34>1 - h a p " + std::string(33, 'm') + " -"),
            "bad RFC 5424 msgid: longer than 32 bytes or not printable ASCII");
  EXPECT_EQ(error_of("<34>1 - h\xC3\xA9 a p m -"),
            "bad RFC 5424 hostname: longer than 255 bytes or not printable ASCII");
}

TEST_F(SyslogParserTest, BadStructuredDataIsAnError) {
  EXPECT_EQ(error_of("<34>1 - h a p m x"), "bad RFC 5424 structured data: neither '-' nor '['");
  EXPECT_EQ(error_of("<34>1 - h a p m [id a=\"1\""),
            "bad RFC 5424 structured data: an SD-ELEMENT not closed by ']'");
  EXPECT_EQ(error_of("<34>1 - h a p m [id a=\"1]"),
            "bad RFC 5424 structured data: a PARAM-VALUE without its closing '\"'");
  EXPECT_EQ(error_of("<34>1 - h a p m [id a=1]"),
            "bad RFC 5424 structured data: expected PARAM-NAME=\"VALUE\"");
  EXPECT_EQ(error_of("<34>1 - h a p m [ a=\"1\"]"),
            "bad RFC 5424 structured data: an SD-ID of 1 to 32 printable characters");
  EXPECT_EQ(error_of("<34>1 - h a p m [id]msg"),
            "bad RFC 5424 message: structured data not followed by a space");
}

TEST_F(SyslogParserTest, GarbageBytesAreAnError) {
  EXPECT_EQ(error_of(std::string("\x00\xFF\xFE garbage", 11)),
            "no PRI: a syslog message starts with <0> to <191>");
  EXPECT_EQ(error_of("<13>\x01\xFF\xFE\x80 garbage"),
            "neither RFC 5424 (<PRI>1 ...) nor RFC 3164 (<PRI>Mmm dd hh:mm:ss ...): no version "
            "or timestamp after the PRI");
  EXPECT_EQ(error_of("<13>Oct 11 22:14:15 \x01\xFF host x"),
            "bad RFC 3164 hostname: not printable ASCII");
}

// Good and bad lines in one batch: each event stands alone, a bad one leaves no fields behind.
TEST_F(SyslogParserTest, MixedBatchKeepsEachEventApart) {
  Slot host = schema_.intern("hostname");
  Slot severity = schema_.intern("severity");
  Slot other = schema_.intern("other");
  auto p = parser();
  Batch batch;
  add_framed_line(batch, "<34>Oct 11 22:14:15 a su: one");
  add_framed_line(batch, "<999>junk");
  add_framed_line(batch, "<165>1 - b - - - - two");
  p->parse(batch);
  ASSERT_NE(batch.layout, nullptr);
  EXPECT_EQ(batch.layout->names,
            std::vector<std::string>(kSyslogFieldNames.begin(), kSyslogFieldNames.end()));
  ASSERT_EQ(batch.events[0].state, EventState::kParsed);
  ASSERT_EQ(batch.events[1].state, EventState::kParseError);
  ASSERT_EQ(batch.events[2].state, EventState::kParsed);
  EXPECT_EQ(batch.events[1].field_count, 0u);
  EXPECT_EQ(batch.str(batch.field(batch.events[0], host)->value), "a");
  EXPECT_EQ(batch.str(batch.field(batch.events[2], host)->value), "b");
  const Field* sev = batch.field(batch.events[2], severity);
  ASSERT_NE(sev, nullptr);
  EXPECT_EQ(sev->type, FieldType::kInt);
  EXPECT_EQ(sev->num.i, 5);
  EXPECT_EQ(batch.str(sev->value), "5");  // its text too, for a Kafka key or lower()
  EXPECT_EQ(batch.field(batch.events[2], other), nullptr);
  EXPECT_EQ(fields(batch, batch.events[2]),
            (Fields{"priority=165:int", "facility=20:int", "severity=5:int", "hostname=b",
                    "message=two"}));
}

TEST_F(SyslogParserTest, DeclaredTypesConvert) {
  options_.types = {{"procid", FieldType::kInt},
                    {"timestamp", FieldType::kTimestamp},
                    {"facility", FieldType::kString}};
  EXPECT_EQ(parse_line("<165>1 2003-10-11T22:14:15.003Z h a 8710 - - x"),
            (Fields{"priority=165:int", "facility=20", "severity=5:int",
                    "timestamp=1065910455003000000:timestamp", "hostname=h", "app_name=a",
                    "procid=8710:int", "message=x"}));
  EXPECT_EQ(error_of("<165>1 - h a 87x - - x"), "field 'procid': cannot convert '87x' to int");
}

}  // namespace
}  // namespace sluice
