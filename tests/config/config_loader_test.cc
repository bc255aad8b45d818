#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <map>

#include "stages/filter/expression.h"
#include "stages/parse/parser.h"
#include "stages/sinks/encoder.h"

namespace sluice {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

// Inline YAML starts on the line after R"yaml( so that line numbers read naturally.
LoadedConfig load(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  if (!yaml.empty() && yaml.front() == '\n') {
    yaml.remove_prefix(1);
  }
  return load_config(yaml, env_of(std::move(env)));
}

std::string problems(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  return format_problems(load(yaml, std::move(env)).problems, "f.yaml");
}

// The message Expression::compile gives for `text`, so expression tests assert the mapping of
// positions without restating the expression compiler's wording.
Status expression_error(std::string_view text) {
  Schema schema;
  auto compiled = Expression::compile(text, schema);
  EXPECT_FALSE(compiled.ok()) << text;
  return compiled.ok() ? Status() : compiled.status();
}

constexpr std::string_view kMinimal = R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes:
      - to: out
sinks:
  out: { type: stdout }
)yaml";

TEST(ConfigLoader, MinimalConfigUsesDefaults) {
  LoadedConfig loaded = load(kMinimal);
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const Config& c = loaded.config;
  EXPECT_EQ(c.data_dir, "./sluice-data");
  EXPECT_EQ(c.memory_limit, 512ull << 20);
  EXPECT_EQ(c.metrics_listen, "");
  EXPECT_EQ(c.shutdown_timeout_s, 10.0);
  ASSERT_EQ(c.pipelines.size(), 1u);
  const PipelineConfig& p = c.pipelines[0];
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.source.type, SourceConfig::Type::kStdin);
  EXPECT_EQ(p.parse.format, ParseOptions::Format::kNone);
  EXPECT_EQ(p.filter, "");
  EXPECT_EQ(p.dead_letter, "");
  EXPECT_EQ(p.queue_max_bytes, 64ull << 20);
  EXPECT_FALSE(p.drop_newest);
  EXPECT_EQ(p.parse_threads, 0);  // one worker per CPU
  EXPECT_TRUE(p.cpus.empty());
  EXPECT_FALSE(p.exactly_once);
  ASSERT_EQ(p.routes.size(), 1u);
  EXPECT_EQ(p.routes[0].when, "");
  EXPECT_EQ(p.routes[0].to, std::vector<std::string>{"out"});
  EXPECT_FALSE(p.routes[0].continue_);
  ASSERT_EQ(c.sinks.size(), 1u);
  EXPECT_EQ(c.sinks[0].name, "out");
  EXPECT_EQ(c.sinks[0].type, SinkConfig::Type::kStdout);
  EXPECT_EQ(c.sinks[0].encoding.kind, EncoderOptions::Kind::kJson);
}

TEST(ConfigLoader, FullConfigMapsToStruct) {
  LoadedConfig loaded = load(R"yaml(
data_dir: /var/lib/sluice
memory_limit: 1GiB
metrics:
  listen: 127.0.0.1:9598
shutdown_timeout: 2m
pipelines:
  web:
    source:
      type: file
      paths: [/var/log/app/*.csv, /srv/*.csv]
      read_from: end
      follow: false
      max_event_bytes: 64KiB
    parse:
      format: csv
      delimiter: ';'
      quote: "'"
      columns: [ts, host, status, bytes, latency_ms]
      types: { status: int, bytes: int, latency_ms: float, ts: timestamp }
    filter: 'status >= 500 or path =~ "^/api/v[0-9]+/orders"'
    routes:
      - when: 'status >= 500'
        to: errors
        continue: true
      - to: [archive, errors]
    dead_letter: rejects
    queue: { max_bytes: 32MiB, on_full: drop_newest }
    threads: { parse: 4, cpus: [0, 3] }
  bus:
    source:
      type: kafka
      brokers: "${KAFKA}"
      topics: [in-a, in-b]
      group: sluice
      start: latest
      librdkafka: { fetch.wait.max.ms: 10, enable.auto.commit: false }
    parse: { format: json }
    routes:
      - to: errors
    delivery: exactly_once
sinks:
  errors:  { type: kafka, brokers: "${KAFKA}", topic: web-errors, key: host, encoding: json, librdkafka: { linger.ms: 5 } }
  archive:
    type: file
    path: /var/lib/sluice/out/web.csv
    encoding: csv
    columns: [ts, host, status]
    header: true
    delimiter: "|"
  rejects: { type: file, path: /var/lib/sluice/out/rejects.ndjson, encoding: json }
  net: { type: tcp, address: "collector:5170", encoding: { codec: json, fields: [host, status] } }
  nothing: { type: "null", encoding: raw }
)yaml",
                             {{"KAFKA", "k1:9092,k2:9092"}});
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const Config& c = loaded.config;
  EXPECT_EQ(c.data_dir, "/var/lib/sluice");
  EXPECT_EQ(c.memory_limit, 1ull << 30);
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9598");
  EXPECT_EQ(c.shutdown_timeout_s, 120.0);
  ASSERT_EQ(c.pipelines.size(), 2u);

  const PipelineConfig& web = c.pipelines[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.source.type, SourceConfig::Type::kFile);
  EXPECT_EQ(web.source.paths, (std::vector<std::string>{"/var/log/app/*.csv", "/srv/*.csv"}));
  EXPECT_TRUE(web.source.read_from_end);
  EXPECT_FALSE(web.source.follow);
  EXPECT_EQ(web.source.max_event_bytes, 65536u);
  EXPECT_EQ(web.parse.format, ParseOptions::Format::kCsv);
  EXPECT_EQ(web.parse.delimiter, ';');
  EXPECT_EQ(web.parse.quote, '\'');
  EXPECT_FALSE(web.parse.header);
  EXPECT_EQ(web.parse.columns,
            (std::vector<std::string>{"ts", "host", "status", "bytes", "latency_ms"}));
  using Types = std::vector<std::pair<std::string, FieldType>>;
  EXPECT_EQ(web.parse.types, (Types{{"status", FieldType::kInt},
                                    {"bytes", FieldType::kInt},
                                    {"latency_ms", FieldType::kFloat},
                                    {"ts", FieldType::kTimestamp}}));
  EXPECT_EQ(web.filter, "status >= 500 or path =~ \"^/api/v[0-9]+/orders\"");
  EXPECT_EQ(web.filter_position.line, 20);
  EXPECT_EQ(web.filter_position.column, 14);
  ASSERT_EQ(web.routes.size(), 2u);
  EXPECT_EQ(web.routes[0].when, "status >= 500");
  EXPECT_EQ(web.routes[0].when_position.line, 22);
  EXPECT_EQ(web.routes[0].when_position.column, 16);
  EXPECT_EQ(web.routes[0].to, std::vector<std::string>{"errors"});
  EXPECT_TRUE(web.routes[0].continue_);
  EXPECT_EQ(web.routes[1].when, "");
  EXPECT_EQ(web.routes[1].when_position.line, 0);
  EXPECT_EQ(web.routes[1].to, (std::vector<std::string>{"archive", "errors"}));
  EXPECT_FALSE(web.routes[1].continue_);
  EXPECT_EQ(web.dead_letter, "rejects");
  EXPECT_EQ(web.queue_max_bytes, 32ull << 20);
  EXPECT_TRUE(web.drop_newest);
  EXPECT_EQ(web.parse_threads, 4);
  EXPECT_EQ(web.cpus, (std::vector<int>{0, 3}));
  EXPECT_FALSE(web.exactly_once);

  const PipelineConfig& bus = c.pipelines[1];
  EXPECT_EQ(bus.name, "bus");
  EXPECT_EQ(bus.source.type, SourceConfig::Type::kKafka);
  EXPECT_EQ(bus.source.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(bus.source.topics, (std::vector<std::string>{"in-a", "in-b"}));
  EXPECT_EQ(bus.source.group, "sluice");
  EXPECT_TRUE(bus.source.start_latest);
  EXPECT_EQ(bus.source.librdkafka,
            (std::map<std::string, std::string>{{"fetch.wait.max.ms", "10"},
                                                {"enable.auto.commit", "false"}}));
  EXPECT_EQ(bus.parse.format, ParseOptions::Format::kJson);
  EXPECT_TRUE(bus.exactly_once);

  ASSERT_EQ(c.sinks.size(), 5u);
  const SinkConfig& errors = c.sinks[0];
  EXPECT_EQ(errors.name, "errors");
  EXPECT_EQ(errors.type, SinkConfig::Type::kKafka);
  EXPECT_EQ(errors.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(errors.topic, "web-errors");
  EXPECT_EQ(errors.key, "host");
  EXPECT_EQ(errors.librdkafka, (std::map<std::string, std::string>{{"linger.ms", "5"}}));
  EXPECT_EQ(errors.encoding.kind, EncoderOptions::Kind::kJson);
  EXPECT_FALSE(errors.encoding.dead_letter);
  const SinkConfig& archive = c.sinks[1];
  EXPECT_EQ(archive.type, SinkConfig::Type::kFile);
  EXPECT_EQ(archive.path, "/var/lib/sluice/out/web.csv");
  EXPECT_EQ(archive.encoding.kind, EncoderOptions::Kind::kCsv);
  EXPECT_EQ(archive.encoding.columns, (std::vector<std::string>{"ts", "host", "status"}));
  EXPECT_TRUE(archive.encoding.header);
  EXPECT_EQ(archive.encoding.delimiter, '|');
  const SinkConfig& rejects = c.sinks[2];
  EXPECT_EQ(rejects.path, "/var/lib/sluice/out/rejects.ndjson");
  EXPECT_TRUE(rejects.encoding.dead_letter);
  const SinkConfig& net = c.sinks[3];
  EXPECT_EQ(net.type, SinkConfig::Type::kTcp);
  EXPECT_EQ(net.address, "collector:5170");
  EXPECT_EQ(net.encoding.kind, EncoderOptions::Kind::kJson);
  EXPECT_EQ(net.encoding.fields, (std::vector<std::string>{"host", "status"}));
  EXPECT_EQ(c.sinks[4].type, SinkConfig::Type::kNull);
  EXPECT_EQ(c.sinks[4].encoding.kind, EncoderOptions::Kind::kRaw);
}

TEST(ConfigLoader, SourceKinds) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  t:
    source: { type: tcp, listen: "0.0.0.0:5170", framing: octet_counting, max_connections: 8 }
    routes: [{ to: out }]
  u:
    source: { type: udp, listen: "127.0.0.1:0" }
    routes: [{ to: out }]
  g:
    source: { type: generate, format: json, count: 0, rate: 2.5, seed: 42 }
    routes: [{ to: out }]
  f:
    source: { type: file, paths: /var/log/one.log }
    routes: [{ to: out }]
sinks:
  out: { type: "null" }
)yaml");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const auto& p = loaded.config.pipelines;
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].source.type, SourceConfig::Type::kTcp);
  EXPECT_EQ(p[0].source.listen, "0.0.0.0:5170");
  EXPECT_TRUE(p[0].source.octet_counting);
  EXPECT_EQ(p[0].source.max_connections, 8);
  EXPECT_EQ(p[1].source.type, SourceConfig::Type::kUdp);
  EXPECT_EQ(p[1].source.listen, "127.0.0.1:0");
  EXPECT_FALSE(p[1].source.octet_counting);
  EXPECT_EQ(p[2].source.type, SourceConfig::Type::kGenerate);
  EXPECT_EQ(p[2].source.format, "json");
  EXPECT_EQ(p[2].source.count, std::optional<uint64_t>(0));
  EXPECT_EQ(p[2].source.rate, std::optional<double>(2.5));
  EXPECT_EQ(p[2].source.seed, 42u);
  EXPECT_EQ(p[3].source.paths, std::vector<std::string>{"/var/log/one.log"});
  EXPECT_TRUE(p[3].source.follow);
  EXPECT_FALSE(p[3].source.read_from_end);
}

TEST(ConfigLoader, GenerateDefaultsToEndlessCsv) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  g:
    source: { type: generate }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml");
  ASSERT_TRUE(loaded.ok());
  const SourceConfig& s = loaded.config.pipelines[0].source;
  EXPECT_EQ(s.format, "csv");
  EXPECT_FALSE(s.count.has_value());
  EXPECT_FALSE(s.rate.has_value());
  EXPECT_EQ(s.seed, 1u);
}

TEST(ConfigLoader, RegexPatternIsKept) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  r:
    source: { type: stdin }
    parse:
      format: regex
      pattern: '^(?P<host>\S+) (?P<status>\d+)$'
      types: { status: int }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(loaded.config.pipelines[0].parse.format, ParseOptions::Format::kRegex);
  EXPECT_EQ(loaded.config.pipelines[0].parse.pattern, R"(^(?P<host>\S+) (?P<status>\d+)$)");
}

// ---- problems, one kind per test -------------------------------------------------------------

TEST(ConfigLoader, UnknownKeyWithHint) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [a], folow: true }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:39: pipelines.p.source: unknown key 'folow' (did you mean 'follow'?)\n");
}

TEST(ConfigLoader, UnknownTopLevelKey) {
  EXPECT_EQ(problems(std::string(kMinimal) + "pipeline: {}\n"),
            "f.yaml:8:1: unknown key 'pipeline' (did you mean 'pipelines'?)\n");
}

TEST(ConfigLoader, UnknownKeyWithoutHint) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
    colour: blue
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:5:5: pipelines.p: unknown key 'colour'\n");
}

TEST(ConfigLoader, KeyOfAnotherSourceType) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source:
      type: file
      paths: [a]
      listen: 127.0.0.1:1
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:6:7: pipelines.p.source: key 'listen' does not apply to source type file "
            "(only to tcp, udp)\n");
}

TEST(ConfigLoader, WrongBoolean) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source:
      type: file
      paths: [a]
      follow: maybe
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:6:15: pipelines.p.source.follow: expected true or false, got 'maybe'\n");
}

TEST(ConfigLoader, WrongInteger) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
    threads: {parse: x}
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:5:22: pipelines.p.threads.parse: expected an integer, got 'x'\n");
}

TEST(ConfigLoader, IntegerOutOfRange) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
    threads: { parse: 0, cpus: [1, -1] }
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:5:23: pipelines.p.threads.parse: 0 is out of range (1 to 256)\n"
            "f.yaml:5:36: pipelines.p.threads.cpus[1]: -1 is out of range (0 to 4095)\n");
}

TEST(ConfigLoader, MappingExpected) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: stdin
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:13: pipelines.p.source: expected a mapping, got 'stdin'\n");
}

TEST(ConfigLoader, EmptyValue) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source:
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:5: pipelines.p.source: expected a mapping, got nothing\n");
}

TEST(ConfigLoader, MissingPipelines) {
  EXPECT_EQ(problems("data_dir: /tmp\n"), "f.yaml:1:1: missing required key 'pipelines'\n");
}

TEST(ConfigLoader, EmptyPipelines) {
  EXPECT_EQ(problems("pipelines: {}\n"), "f.yaml:1:1: pipelines: at least one is needed\n");
}

TEST(ConfigLoader, EmptyDocument) {
  EXPECT_EQ(problems(""),
            "f.yaml:1:1: the configuration is empty; it needs at least 'pipelines'\n");
}

TEST(ConfigLoader, DocumentNotAMapping) {
  EXPECT_EQ(problems("- a\n- b\n"), "f.yaml:1:1: expected a mapping, got a list\n");
}

TEST(ConfigLoader, MissingSourceType) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { paths: [a] }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:5: pipelines.p.source: missing required key 'type'\n");
}

TEST(ConfigLoader, MissingSourceAndRoutes) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    filter: 'true'
)yaml"),
            "f.yaml:2:3: pipelines.p: missing required key 'source'\n"
            "f.yaml:2:3: pipelines.p: missing required key 'routes'\n");
}

TEST(ConfigLoader, UnknownSourceType) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: fille, paths: [a] }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:21: pipelines.p.source.type: unknown value 'fille'; expected one of file, "
            "stdin, tcp, udp, kafka, generate (did you mean 'file'?)\n");
}

TEST(ConfigLoader, EnumValues) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [a], read_from: start }
    parse: { format: xml }
    routes: [{ to: out }]
    queue: { on_full: drop }
    delivery: once
sinks:
  out: { type: stdout, encoding: yaml }
)yaml"),
            "f.yaml:3:50: pipelines.p.source.read_from: unknown value 'start'; expected one of "
            "beginning, end\n"
            "f.yaml:4:22: pipelines.p.parse.format: unknown value 'xml'; expected one of csv, "
            "regex, json, none\n"
            "f.yaml:6:23: pipelines.p.queue.on_full: unknown value 'drop'; expected one of block, "
            "drop_newest\n"
            "f.yaml:7:15: pipelines.p.delivery: unknown value 'once'; expected one of "
            "at_least_once, exactly_once\n"
            "f.yaml:9:34: sinks.out.encoding: unknown value 'yaml'; expected one of json, csv, "
            "raw\n");
}

TEST(ConfigLoader, UnknownFieldType) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: json, types: { status: integer, ok: bool } }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:45: pipelines.p.parse.types.status: unknown value 'integer'; expected one "
            "of int, float, bool, string, timestamp\n");
}

TEST(ConfigLoader, FileSinkWithoutPath) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out:
    type: file
    encoding: json
)yaml"),
            "f.yaml:6:3: sinks.out: missing required key 'path'\n");
}

TEST(ConfigLoader, KafkaSinkWithoutBrokersAndTopic) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: kafka }
)yaml"),
            "f.yaml:6:3: sinks.out: missing required key 'brokers'\n"
            "f.yaml:6:3: sinks.out: missing required key 'topic'\n");
}

TEST(ConfigLoader, KafkaSourceRequirements) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: kafka, topics: [] }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:5: pipelines.p.source: missing required key 'brokers'\n"
            "f.yaml:3:5: pipelines.p.source: missing required key 'group'\n"
            "f.yaml:3:36: pipelines.p.source.topics: must not be empty\n");
}

TEST(ConfigLoader, MissingSinkType) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { path: x }
)yaml"),
            "f.yaml:6:3: sinks.out: missing required key 'type'\n");
}

TEST(ConfigLoader, BadSize) {
  EXPECT_EQ(problems(std::string(kMinimal) + "memory_limit: lots\n"),
            "f.yaml:8:15: memory_limit: expected a size such as 64MiB, 512KB or a number of "
            "bytes, got 'lots'\n");
}

TEST(ConfigLoader, SizeTooSmall) {
  EXPECT_EQ(problems(std::string(kMinimal) + "memory_limit: 100KB\n"),
            "f.yaml:8:15: memory_limit: must be at least 1048576 bytes, got '100KB'\n");
}

TEST(ConfigLoader, PlainByteSize) {
  LoadedConfig loaded = load(std::string(kMinimal) + "memory_limit: 1048576\n");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.config.memory_limit, 1048576u);
}

TEST(ConfigLoader, Durations) {
  LoadedConfig loaded = load(std::string(kMinimal) + "shutdown_timeout: 500ms\n");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.config.shutdown_timeout_s, 0.5);
}

TEST(ConfigLoader, BadDuration) {
  EXPECT_EQ(problems(std::string(kMinimal) + "shutdown_timeout: 10 parsecs\n"),
            "f.yaml:8:19: shutdown_timeout: expected a duration such as 10s, 500ms, 2m or 1h30m, "
            "got '10 parsecs'\n");
}

TEST(ConfigLoader, BadListenAddress) {
  EXPECT_EQ(problems(R"yaml(
metrics: { listen: 9598 }
pipelines:
  p:
    source: { type: tcp, listen: localhost }
    routes: [{ to: out }]
sinks:
  out: { type: tcp, address: "h:0" }
)yaml"),
            "f.yaml:1:20: metrics.listen: expected HOST:PORT (e.g. 127.0.0.1:9000), got '9598'\n"
            "f.yaml:4:34: pipelines.p.source.listen: expected HOST:PORT (e.g. 127.0.0.1:9000), "
            "got 'localhost'\n"
            "f.yaml:7:30: sinks.out.address: port 0 in 'h:0' is out of range (1-65535)\n");
}

TEST(ConfigLoader, DelimiterMustBeOneByte) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: csv, header: true, delimiter: ';;', quote: '' }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:52: pipelines.p.parse.delimiter: expected exactly one byte, got ';;'\n"
            "f.yaml:4:65: pipelines.p.parse.quote: expected exactly one byte, got ''\n");
}

TEST(ConfigLoader, TabDelimiter) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: csv, header: true, delimiter: "\t" }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(loaded.config.pipelines[0].parse.delimiter, '\t');
  EXPECT_TRUE(loaded.config.pipelines[0].parse.header);
}

TEST(ConfigLoader, CsvNeedsHeaderOrColumns) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse:
      format: csv
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:5: pipelines.p.parse: csv needs 'header: true' or 'columns'\n");
}

TEST(ConfigLoader, CsvHeaderAndColumnsConflict) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: csv, header: true, columns: [a] }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:41: pipelines.p.parse: use either 'header: true' or 'columns', not both\n");
}

TEST(ConfigLoader, TypeForUnknownColumn) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: csv, columns: [status, bytes], types: { stauts: int } }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:62: pipelines.p.parse.types: 'stauts' is not one of the columns (did you "
            "mean 'status'?)\n");
}

TEST(ConfigLoader, CsvKeyWithJsonFormat) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: json, header: true }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:28: pipelines.p.parse: key 'header' does not apply to parse format json "
            "(only to csv)\n");
}

TEST(ConfigLoader, RegexNeedsPattern) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: regex }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:5: pipelines.p.parse: missing required key 'pattern'\n");
}

TEST(ConfigLoader, RegexRejectedByRe2IsReportedAtThePattern) {
  ParseOptions options;
  options.format = ParseOptions::Format::kRegex;
  options.pattern = "(?P<a>[a-";
  Schema schema;
  auto parser = make_parser(options, schema);
  ASSERT_FALSE(parser.ok());
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse:
      format: regex
      pattern: '(?P<a>[a-'
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:6:17: pipelines.p.parse.pattern: " + parser.status().message() + "\n");
}

TEST(ConfigLoader, RegexWithoutNamedGroup) {
  ParseOptions options;
  options.format = ParseOptions::Format::kRegex;
  options.pattern = "^a+$";
  Schema schema;
  auto parser = make_parser(options, schema);
  ASSERT_FALSE(parser.ok());
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: regex, pattern: ^a+$ }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:38: pipelines.p.parse.pattern: " + parser.status().message() + "\n");
}

TEST(ConfigLoader, FilterErrorInPlainScalar) {
  Status error = expression_error("status >= = 5");
  ASSERT_GT(error.column(), 0);
  // `    filter: ` is 12 columns: the expression starts at column 13.
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    filter: status >= = 5
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:" + std::to_string(12 + error.column()) +
                ": pipelines.p.filter: " + error.message() + "\n");
}

TEST(ConfigLoader, FilterErrorInSingleQuotedScalar) {
  Status error = expression_error("status >= 500 or (path == 'x'");
  ASSERT_GT(error.column(), 0);
  // The quote is column 13, the expression starts at 14; '' in the scalar is one quote.
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    filter: 'status >= 500 or (path == ''x'''
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:" +
                std::to_string(13 + error.column() + (error.column() > 27 ? 1 : 0) +
                               (error.column() > 29 ? 1 : 0)) +
                ": pipelines.p.filter: " + error.message() + "\n");
}

TEST(ConfigLoader, RouteConditionErrorInDoubleQuotedScalar) {
  Status error = expression_error("status >>= 500");
  ASSERT_GT(error.column(), 0);
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes:
      - when: "status >>= 500"
        to: out
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:5:" + std::to_string(15 + error.column()) +
                ": pipelines.p.routes[0].when: " + error.message() + "\n");
}

TEST(ConfigLoader, ExpressionErrorAfterExpandedVariable) {
  // The error is after ${LIMIT}: its column in the expanded text maps back past the reference.
  Status error = expression_error("status >= 500 and and");
  ASSERT_GT(error.column(), 14);
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    filter: 'status >= ${LIMIT} and and'
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml",
                     {{"LIMIT", "500"}}),
            "f.yaml:4:" + std::to_string(13 + error.column() + 5) +
                ": pipelines.p.filter: " + error.message() + "\n");
}

TEST(ConfigLoader, RouteToUnknownSink) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes:
      - to: [out, arhcive]
    dead_letter: nowhere
sinks:
  out: { type: stdout }
  archive: { type: "null" }
)yaml"),
            "f.yaml:5:19: route to unknown sink 'arhcive' (did you mean 'archive'?)\n"
            "f.yaml:6:18: dead_letter names unknown sink 'nowhere'\n");
}

TEST(ConfigLoader, RoutesWithoutSinksSection) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes:
      - to: out
)yaml"),
            "f.yaml:5:13: route to unknown sink 'out'\n");
}

TEST(ConfigLoader, RouteNeedsTo) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes:
      - when: 'true'
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:5:9: pipelines.p.routes[0]: missing required key 'to'\n");
}

TEST(ConfigLoader, RoutesMustBeAList) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: { to: out }
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:13: pipelines.p.routes: expected a list of routes, got a mapping\n");
}

TEST(ConfigLoader, DeadLetterSinkCannotBeRouteTarget) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
    dead_letter: out
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:20: sink 'out' is a dead_letter sink and cannot also be a route target\n");
}

TEST(ConfigLoader, ExactlyOnceNeedsKafkaEverywhere) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: [k, f] }]
    delivery: exactly_once
sinks:
  k: { type: kafka, brokers: b:9092, topic: t }
  f: { type: file, path: /tmp/x }
)yaml"),
            "f.yaml:5:15: pipelines.p.delivery: exactly_once needs a kafka source, not stdin\n"
            "f.yaml:5:15: pipelines.p.delivery: exactly_once needs kafka sinks, but sink 'f' is "
            "file\n");
}

TEST(ConfigLoader, EncodingOptionsOnlyForCsv) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: [a, b] }]
sinks:
  a: { type: stdout, encoding: json, header: true }
  b: { type: stdout, encoding: raw, fields: [x] }
)yaml"),
            "f.yaml:6:38: sinks.a.header: only applies to encoding csv, not json\n"
            "f.yaml:7:37: sinks.b.fields: does not apply to encoding raw (it writes _raw "
            "unchanged)\n");
}

TEST(ConfigLoader, EncoderErrorIsReportedAtTheEncoding) {
  EncoderOptions options;
  options.kind = EncoderOptions::Kind::kCsv;
  options.columns = {"a"};
  options.delimiter = '"';
  Schema schema;
  auto encoder = make_encoder(options, schema);
  ASSERT_FALSE(encoder.ok());
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out:
    type: stdout
    encoding: csv
    columns: [a]
    delimiter: '"'
)yaml"),
            "f.yaml:8:15: sinks.out.encoding: " + encoder.status().message() + "\n");
}

TEST(ConfigLoader, EncodingMappingForm) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out:
    type: stdout
    encoding: { codec: csv, columns: [a, b], header: true, delimiter: ";" }
)yaml");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const EncoderOptions& e = loaded.config.sinks[0].encoding;
  EXPECT_EQ(e.kind, EncoderOptions::Kind::kCsv);
  EXPECT_EQ(e.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(e.header);
  EXPECT_EQ(e.delimiter, ';');
}

TEST(ConfigLoader, EncodingOptionSetTwice) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out:
    type: stdout
    fields: [a]
    encoding: { codec: json, fields: [b], colour: red }
)yaml"),
            "f.yaml:9:30: sinks.out.encoding: 'fields' is also set in the sink; set it in one "
            "place\n"
            "f.yaml:9:43: sinks.out.encoding: unknown key 'colour'\n");
}

TEST(ConfigLoader, ExpressionErrorInLiteralBlock) {
  Status error = expression_error("status == 200 and\nbogus(x)\n");
  ASSERT_EQ(error.line(), 1);
  ASSERT_GE(error.column(), 19);
  // Column 19 of the expression text is the start of its second line, source line 7, column 11.
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes:
      - when: |
          status == 200 and
          bogus(x)
        to: out
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:7:" + std::to_string(11 + error.column() - 19) +
                ": pipelines.p.routes[0].when: " + error.message() + "\n");
}

TEST(ConfigLoader, DuplicateKey) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
    source: { type: stdin }
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:5:5: pipelines.p: duplicate key 'source'\n");
}

TEST(ConfigLoader, YamlSyntaxError) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin
    routes: [{ to: out }]
)yaml"),
            "f.yaml:4:11: invalid YAML: end of map flow not found\n");
}

TEST(ConfigLoader, TabIndentation) {
  EXPECT_EQ(problems("pipelines:\n\tp: {}\n"), "f.yaml:2:3: invalid YAML: illegal map value\n");
}

TEST(ConfigLoader, ManyProblemsReportedTogetherInFileOrder) {
  EXPECT_EQ(problems(R"yaml(
memory_limit: 12 bananas
pipelines:
  web:
    source:
      type: file
      paths: [a]
      follow: maybe
    parse: { format: csv }
    routes:
      - when: 'status >= 500'
        to: errors
sinks:
  archive: { type: file }
  extra: { type: stdout, colour: red }
)yaml"),
            "f.yaml:1:15: memory_limit: expected a size such as 64MiB, 512KB or a number of bytes, "
            "got '12 bananas'\n"
            "f.yaml:7:15: pipelines.web.source.follow: expected true or false, got 'maybe'\n"
            "f.yaml:8:5: pipelines.web.parse: csv needs 'header: true' or 'columns'\n"
            "f.yaml:11:13: route to unknown sink 'errors'\n"
            "f.yaml:13:3: sinks.archive: missing required key 'path'\n"
            "f.yaml:14:26: sinks.extra: unknown key 'colour'\n");
}

// ---- environment expansion ---------------------------------------------------------------------

TEST(ConfigLoader, EnvironmentValueAndDefault) {
  LoadedConfig loaded = load(R"yaml(
data_dir: ${DATA:-/var/lib/sluice}
memory_limit: ${MEM}
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: file, path: "${DATA:-/tmp}/out-$$1.ndjson" }
)yaml",
                             {{"MEM", "128MiB"}});
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(loaded.config.data_dir, "/var/lib/sluice");
  EXPECT_EQ(loaded.config.memory_limit, 128ull << 20);
  EXPECT_EQ(loaded.config.sinks[0].path, "/tmp/out-$1.ndjson");
}

TEST(ConfigLoader, UnsetEnvironmentVariable) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: kafka, brokers: "${KAFKA}", topics: [t], group: g }
    routes: [{ to: out }]
sinks:
  out: { type: kafka, brokers: 'x:1,${OTHER}', topic: t }
)yaml"),
            "f.yaml:3:38: environment variable KAFKA is not set\n"
            "f.yaml:6:37: environment variable OTHER is not set\n");
}

TEST(ConfigLoader, SubstitutedValueCannotInjectStructure) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out:
    type: file
    path: ${P}
)yaml",
                             {{"P", "a: b\nsinks: {evil: {type: stdout}}\n- [x"}});
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  ASSERT_EQ(loaded.config.sinks.size(), 1u);
  EXPECT_EQ(loaded.config.sinks[0].path, "a: b\nsinks: {evil: {type: stdout}}\n- [x");
}

TEST(ConfigLoader, SubstitutedValueIsNotATypedYamlValue) {
  // `follow: ${F}` with F="{}" is the text "{}", which is not a boolean: reported, not parsed.
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [a], follow: "${F}" }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml",
                     {{"F", "{}"}}),
            "f.yaml:3:47: pipelines.p.source.follow: expected true or false, got '{}'\n");
}

// ---- formatting -------------------------------------------------------------------------------

TEST(ConfigLoader, FormatProblemsSortsByPosition) {
  std::vector<ConfigProblem> list{{3, 1, "c"}, {1, 9, "b"}, {1, 2, "a"}, {0, 0, "d"}};
  EXPECT_EQ(format_problems(list, "x.yaml"),
            "x.yaml: d\nx.yaml:1:2: a\nx.yaml:1:9: b\nx.yaml:3:1: c\n");
}

TEST(ConfigLoader, ProcessEnvironmentReadsVariables) {
  setenv("SLUICE_CONFIG_TEST_VAR", "v", 1);
  unsetenv("SLUICE_CONFIG_TEST_UNSET");
  EnvLookup env = process_environment();
  EXPECT_EQ(env("SLUICE_CONFIG_TEST_VAR"), std::optional<std::string>("v"));
  EXPECT_EQ(env("SLUICE_CONFIG_TEST_UNSET"), std::nullopt);
}

}  // namespace
}  // namespace sluice
