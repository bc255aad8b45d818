#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <map>

#include "config/host_port.h"
#include "stages/filter/expression.h"
#include "stages/ingest/file_source.h"
#include "stages/ingest/generate_source.h"
#include "stages/parse/parser.h"
#include "stages/sinks/encoder.h"
#include "stages/sinks/file_sink_options.h"

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
  EXPECT_EQ(c.shutdown_timeout_s, 10.0);
  ASSERT_EQ(c.pipelines.size(), 1u);
  const PipelineConfig& p = c.pipelines[0];
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.source.type, "stdin");
  EXPECT_EQ(p.parse.format, ParseOptions::Format::kNone);
  EXPECT_EQ(p.filter, "");
  EXPECT_EQ(p.dead_letter, "");
  EXPECT_EQ(p.queue_max_bytes, 64ull << 20);
  EXPECT_FALSE(p.drop_newest);
  EXPECT_EQ(p.parse_threads, 0);  // one worker per CPU
  EXPECT_TRUE(p.cpus.empty());
  ASSERT_EQ(p.routes.size(), 1u);
  EXPECT_EQ(p.routes[0].when, "");
  EXPECT_EQ(p.routes[0].to, std::vector<std::string>{"out"});
  EXPECT_FALSE(p.routes[0].continue_);
  ASSERT_EQ(c.sinks.size(), 1u);
  EXPECT_EQ(c.sinks[0].name, "out");
  EXPECT_EQ(c.sinks[0].type, "stdout");
  EXPECT_EQ(c.sinks[0].encoding.kind, EncoderOptions::Kind::kJson);
}

TEST(ConfigLoader, FullConfigMapsToStruct) {
  LoadedConfig loaded = load(R"yaml(
data_dir: /var/lib/sluice
memory_limit: 1GiB
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
      type: generate
      format: json
      count: 5
    parse: { format: json }
    routes:
      - to: errors
    delivery: at_least_once
sinks:
  errors:  { type: file, path: "${OUT}/web-errors.ndjson", encoding: json }
  archive:
    type: file
    path: /var/lib/sluice/out/web.csv
    encoding: csv
    columns: [ts, host, status]
    header: true
    delimiter: "|"
  rejects: { type: file, path: /var/lib/sluice/out/rejects.ndjson, encoding: json }
  screen: { type: stdout, encoding: { codec: json, fields: [host, status] } }
  nothing: { type: "null", encoding: raw }
)yaml",
                             {{"OUT", "/var/lib/sluice/out"}});
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const Config& c = loaded.config;
  EXPECT_EQ(c.data_dir, "/var/lib/sluice");
  EXPECT_EQ(c.memory_limit, 1ull << 30);
  EXPECT_EQ(c.shutdown_timeout_s, 120.0);
  ASSERT_EQ(c.pipelines.size(), 2u);

  const PipelineConfig& web = c.pipelines[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.source.type, "file");
  EXPECT_EQ(source_options<FileSourceOptions>(web.source).paths,
            (std::vector<std::string>{"/var/log/app/*.csv", "/srv/*.csv"}));
  EXPECT_TRUE(source_options<FileSourceOptions>(web.source).read_from_end);
  EXPECT_FALSE(source_options<FileSourceOptions>(web.source).follow);
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
  EXPECT_EQ(web.filter_position.line, 18);
  EXPECT_EQ(web.filter_position.column, 14);
  ASSERT_EQ(web.routes.size(), 2u);
  EXPECT_EQ(web.routes[0].when, "status >= 500");
  EXPECT_EQ(web.routes[0].when_position.line, 20);
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

  const PipelineConfig& bus = c.pipelines[1];
  EXPECT_EQ(bus.name, "bus");
  EXPECT_EQ(bus.source.type, "generate");
  EXPECT_EQ(source_options<GenerateSourceOptions>(bus.source).format,
            EventGenerator::Format::kJson);
  EXPECT_EQ(source_options<GenerateSourceOptions>(bus.source).count, std::optional<uint64_t>(5));
  EXPECT_EQ(bus.parse.format, ParseOptions::Format::kJson);

  ASSERT_EQ(c.sinks.size(), 5u);
  const SinkConfig& errors = c.sinks[0];
  EXPECT_EQ(errors.name, "errors");
  EXPECT_EQ(errors.type, "file");
  EXPECT_EQ(sink_options<FileSinkOptions>(errors).path, "/var/lib/sluice/out/web-errors.ndjson");
  EXPECT_EQ(errors.encoding.kind, EncoderOptions::Kind::kJson);
  EXPECT_FALSE(errors.encoding.dead_letter);
  const SinkConfig& archive = c.sinks[1];
  EXPECT_EQ(archive.type, "file");
  EXPECT_EQ(sink_options<FileSinkOptions>(archive).path, "/var/lib/sluice/out/web.csv");
  EXPECT_EQ(archive.encoding.kind, EncoderOptions::Kind::kCsv);
  EXPECT_EQ(archive.encoding.columns, (std::vector<std::string>{"ts", "host", "status"}));
  EXPECT_TRUE(archive.encoding.header);
  EXPECT_EQ(archive.encoding.delimiter, '|');
  const SinkConfig& rejects = c.sinks[2];
  EXPECT_EQ(sink_options<FileSinkOptions>(rejects).path, "/var/lib/sluice/out/rejects.ndjson");
  EXPECT_TRUE(rejects.encoding.dead_letter);
  const SinkConfig& screen = c.sinks[3];
  EXPECT_EQ(screen.type, "stdout");
  EXPECT_EQ(screen.encoding.kind, EncoderOptions::Kind::kJson);
  EXPECT_EQ(screen.encoding.fields, (std::vector<std::string>{"host", "status"}));
  EXPECT_EQ(c.sinks[4].type, "null");
  EXPECT_EQ(c.sinks[4].encoding.kind, EncoderOptions::Kind::kRaw);
}

TEST(ConfigLoader, SourceKinds) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  s:
    source: { type: stdin, max_event_bytes: 4KiB }
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
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].source.type, "stdin");
  EXPECT_EQ(p[0].source.max_event_bytes, 4096u);
  EXPECT_EQ(p[1].source.type, "generate");
  EXPECT_EQ(source_options<GenerateSourceOptions>(p[1].source).format,
            EventGenerator::Format::kJson);
  EXPECT_EQ(source_options<GenerateSourceOptions>(p[1].source).count, std::optional<uint64_t>(0));
  EXPECT_EQ(source_options<GenerateSourceOptions>(p[1].source).rate, std::optional<double>(2.5));
  EXPECT_EQ(source_options<GenerateSourceOptions>(p[1].source).seed, 42u);
  EXPECT_EQ(p[2].source.type, "file");
  EXPECT_EQ(source_options<FileSourceOptions>(p[2].source).paths,
            std::vector<std::string>{"/var/log/one.log"});
  EXPECT_TRUE(source_options<FileSourceOptions>(p[2].source).follow);
  EXPECT_FALSE(source_options<FileSourceOptions>(p[2].source).read_from_end);
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
  const auto& s = source_options<GenerateSourceOptions>(loaded.config.pipelines[0].source);
  EXPECT_EQ(s.format, EventGenerator::Format::kCsv);
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
      count: 5
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:6:7: pipelines.p.source: key 'count' does not apply to source type file "
            "(only to generate)\n");
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
            "stdin, generate, kafka, udp, tcp (did you mean 'file'?)\n");
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
            "regex, json, none, syslog\n"
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

TEST(ConfigLoader, TcpSinkWithoutAddressIsRefused) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: tcp }
)yaml"),
            "f.yaml:6:3: sinks.out: missing required key 'address'\n");
}

TEST(ConfigLoader, TcpSinkAddressMustBeHostAndPort) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: [a, b] }]
sinks:
  a: { type: tcp, address: "collector" }
  b: { type: tcp, address: "127.0.0.1:0" }
)yaml"),
            "f.yaml:6:28: sinks.a.address: expected HOST:PORT (e.g. 127.0.0.1:9000), got "
            "'collector'\n"
            "f.yaml:7:28: sinks.b.address: port 0 in '127.0.0.1:0' is out of range (1-65535)\n");
}

// `framing` is the tcp source's: a datagram is its own frame.
TEST(ConfigLoader, UdpSourceRefusesFramingAndABadListenAddress) {
  const std::string found = problems(R"yaml(
pipelines:
  p:
    source: { type: udp, listen: "127.0.0.1:5514", framing: newline }
    routes: [{ to: out }]
  q:
    source: { type: udp, listen: "localhost" }
    routes: [{ to: out }]
  r:
    source: { type: udp }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml");
  const std::vector<std::string> lines = [&found] {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl = found.find('\n'); nl != std::string::npos; nl = found.find('\n', start)) {
      out.push_back(found.substr(start, nl - start));
      start = nl + 1;
    }
    return out;
  }();
  ASSERT_EQ(lines.size(), 3u) << found;
  EXPECT_EQ(lines[0].rfind("f.yaml:3:52: pipelines.p.source: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("'framing'"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1],
            "f.yaml:6:34: pipelines.q.source.listen: expected HOST:PORT (e.g. 127.0.0.1:9000), "
            "got 'localhost'");
  EXPECT_EQ(lines[2], "f.yaml:9:5: pipelines.r.source: missing required key 'listen'");
}

// Every source kind of the contract is built: tcp and udp beside kafka are accepted.
TEST(ConfigLoader, TcpUdpAndKafkaSourcesAreAccepted) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  t:
    source: { type: tcp, listen: "0.0.0.0:5170", framing: octet_counting, max_connections: 8 }
    routes: [{ to: out }]
  u:
    source:
      type: udp
      listen: "127.0.0.1:0"
    routes: [{ to: out }]
  k:
    source: { type: kafka, brokers: "b:9092", topics: [t], group: g, start: latest }
    routes: [{ to: out }]
sinks:
  out: { type: "null" }
)yaml"),
            "");
}

// Every sink kind of the contract is built: tcp beside kafka is accepted.
TEST(ConfigLoader, TcpAndKafkaSinksAreAccepted) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: [net, bus] }]
sinks:
  net: { type: tcp, address: "collector:5170" }
  bus:
    type: kafka
    brokers: "b:9092"
    topic: t
)yaml"),
            "");
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
  // 2 MiB: the smallest memory_limit that the default max_event_bytes (1 MiB) works with.
  LoadedConfig loaded = load(std::string(kMinimal) + "memory_limit: 2097152\n");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(loaded.config.memory_limit, 2097152u);
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

// The metrics endpoint (SPEC §4): `listen` is kept with its position (where a bind error is
// reported); omitting the block disables the endpoint.
TEST(ConfigLoader, MetricsListenIsKeptWithItsPosition) {
  LoadedConfig loaded = load(std::string(kMinimal) + "metrics: { listen: 127.0.0.1:9598 }\n");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  ASSERT_TRUE(loaded.config.metrics.has_value());
  EXPECT_EQ(loaded.config.metrics->listen, "127.0.0.1:9598");
  EXPECT_EQ(loaded.config.metrics->listen_position.line, 8);
  EXPECT_EQ(loaded.config.metrics->listen_position.column, 20);
}

TEST(ConfigLoader, NoMetricsBlockMeansNoEndpoint) {
  LoadedConfig loaded = load(kMinimal);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.config.metrics.has_value());
}

TEST(ConfigLoader, MetricsListenMustBeHostPortWithARealPort) {
  const std::string tail = R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml";
  EXPECT_EQ(problems("metrics: { listen: 9598 }" + tail),
            "f.yaml:1:20: metrics.listen: " + check_host_port("9598", false).message() + "\n");
  EXPECT_EQ(
      problems("metrics: { listen: 127.0.0.1:0 }" + tail),
      "f.yaml:1:20: metrics.listen: " + check_host_port("127.0.0.1:0", false).message() + "\n");
  EXPECT_EQ(problems("metrics: {}" + tail), "f.yaml:1:1: metrics: missing required key 'listen'\n");
  EXPECT_EQ(problems("metrics: { listen: 127.0.0.1:9598, port: 1 }" + tail),
            "f.yaml:1:36: metrics: unknown key 'port'\n");
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

TEST(ConfigLoader, SyslogRefusesCsvKeysAndUnknownTypedFields) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: syslog, columns: [a], types: { severity: string, hostnme: string } }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:4:30: pipelines.p.parse: key 'columns' does not apply to parse format syslog "
            "(only to csv)\n"
            "f.yaml:4:71: pipelines.p.parse.types: 'hostnme' is not a syslog field (did you mean "
            "'hostname'?)\n");
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

// exactly_once with Kafka needs transactions, which the mock cluster here cannot show working: a
// pipeline that writes to a kafka sink (a route's or the dead letter's) is refused at the value
// with that reason, naming the sinks, whatever its other sinks are.
TEST(ConfigLoader, ExactlyOnceIntoKafkaIsRefusedWithTheKafkaReason) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: [k, f] }]
    dead_letter: d
    delivery: exactly_once
sinks:
  k: { type: kafka, brokers: b:9092, topic: t }
  f: { type: file, path: /tmp/x }
  d: { type: kafka, brokers: b:9092, topic: dead }
)yaml"),
            "f.yaml:6:15: pipelines.p.delivery: exactly_once cannot apply: the pipeline writes "
            "to Kafka (sinks 'k', 'd'), and exactly once with Kafka needs Kafka transactions; the "
            "mock cluster of Debian's librdkafka 2.0.2 neither stores offsets sent in a "
            "transaction nor writes transaction markers, so it cannot be built and proven here; "
            "use at_least_once\n");
}

// A kafka source is reason enough, also when every sink is a file.
TEST(ConfigLoader, ExactlyOnceFromKafkaIsRefusedWithTheKafkaReason) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: kafka, brokers: b:9092, topics: [t], group: g }
    routes: [{ to: f }]
    delivery: exactly_once
sinks:
  f: { type: file, path: /tmp/x }
)yaml"),
            "f.yaml:5:15: pipelines.p.delivery: exactly_once cannot apply: the pipeline reads "
            "from Kafka, and exactly once with Kafka needs Kafka transactions; the mock cluster "
            "of Debian's librdkafka 2.0.2 neither stores offsets sent in a transaction nor writes "
            "transaction markers, so it cannot be built and proven here; use at_least_once\n");
}

// exactly_once needs a source with positions and sinks that are files: each problem at its place.
TEST(ConfigLoader, ExactlyOnceRefusesASourceWithoutPositionsAndASinkThatIsNotAFile) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: [k, f] }]
    delivery: exactly_once
sinks:
  k: { type: tcp, address: "127.0.0.1:9" }
  f: { type: file, path: /tmp/x }
)yaml"),
            "f.yaml:4:21: sink 'k' is a tcp sink, but pipeline 'p' has delivery: exactly_once "
            "(line 5), which writes to file sinks only: a restart can cut a file back to its "
            "recorded length, not take back what was sent\n"
            "f.yaml:5:15: pipelines.p.delivery: exactly_once needs a source that resumes where "
            "it stopped (a file source with follow: true); a stdin source cannot be read again "
            "from a recorded position\n");
}

TEST(ConfigLoader, ExactlyOnceRefusesAFileSourceWithoutFollowAndADroppingQueue) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [/tmp/in], follow: false }
    routes: [{ to: f }]
    queue: { on_full: drop_newest }
    delivery: exactly_once
sinks:
  f: { type: file, path: /tmp/x }
)yaml"),
            "f.yaml:6:15: pipelines.p.delivery: exactly_once needs follow: true on the file "
            "source (without follow it keeps no positions, so a restart reads its files again "
            "from the start)\n"
            "f.yaml:6:15: pipelines.p.delivery: exactly_once cannot go with queue.on_full: "
            "drop_newest, which drops events on purpose; use on_full: block\n");
}

TEST(ConfigLoader, ExactlyOnceRefusesAFileAnotherPipelineWritesToo) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [/tmp/in] }
    routes: [{ to: f }]
    delivery: exactly_once
  q:
    source: { type: file, paths: [/tmp/in2] }
    routes: [{ to: g }]
sinks:
  f: { type: file, path: /tmp/out/x }
  g: { type: file, path: /tmp/out/../out/x }
)yaml"),
            "f.yaml:4:20: sink 'f' writes /tmp/out/x, which pipeline 'q' also writes; pipeline "
            "'p' has delivery: exactly_once (line 5), and cutting the file back on a restart "
            "would cut the other pipeline's lines too\n");
}

TEST(ConfigLoader, ExactlyOnceIsAcceptedOnAFollowedFileSourceWithFileSinks) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [/tmp/in], follow: true }
    routes: [{ to: f }]
    dead_letter: d
    delivery: exactly_once
sinks:
  f: { type: file, path: /tmp/x }
  d: { type: file, path: /tmp/d }
)yaml"),
            "");
}

TEST(ConfigLoader, AtLeastOnceIsTheBuiltDelivery) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
    delivery: at_least_once
sinks:
  out: { type: stdout }
)yaml"),
            "");
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
  EXPECT_EQ(sink_options<FileSinkOptions>(loaded.config.sinks[0]).path, "/tmp/out-$1.ndjson");
}

TEST(ConfigLoader, UnsetEnvironmentVariable) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: "${LOGS}" }
    routes: [{ to: out }]
sinks:
  out: { type: file, path: '/x/1,${OTHER}' }
)yaml"),
            "f.yaml:3:35: environment variable LOGS is not set\n"
            "f.yaml:6:34: environment variable OTHER is not set\n");
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
  EXPECT_EQ(sink_options<FileSinkOptions>(loaded.config.sinks[0]).path,
            "a: b\nsinks: {evil: {type: stdout}}\n- [x");
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

// ---- one stdin reader -------------------------------------------------------------------------

TEST(ConfigLoader, SecondStdinSourceIsRefusedAtItsType) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  a:
    source: { type: stdin }
    routes: [{ to: out }]
  b:
    source:
      type: stdin
    routes: [{ to: out }]
  c:
    source: { type: "${KIND}" }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml",
                     {{"KIND", "stdin"}}),
            "f.yaml:7:13: pipelines.b.source.type: pipeline 'a' already reads stdin; only one "
            "pipeline can read it (two would split its input between them)\n"
            "f.yaml:10:21: pipelines.c.source.type: pipeline 'a' already reads stdin; only one "
            "pipeline can read it (two would split its input between them)\n");
}

TEST(ConfigLoader, SourceWithAWrongTypeDoesNotCountAsStdin) {
  // A source whose type was not understood keeps the default (stdin) in the struct; it must not
  // make the one real stdin pipeline look like a second one.
  EXPECT_EQ(problems(R"yaml(
pipelines:
  a:
    source: { type: stdni }
    routes: [{ to: out }]
  b:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:21: pipelines.a.source.type: unknown value 'stdni'; expected one of file, "
            "stdin, generate, kafka, udp, tcp (did you mean 'stdin'?)\n");
}

TEST(ConfigLoader, StdinBesideOtherSourcesIsFine) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  a:
    source: { type: stdin }
    routes: [{ to: out }]
  b:
    source: { type: generate, count: 1 }
    routes: [{ to: out }]
  c:
    source: { type: file, paths: [/var/log/x.log] }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml");
  EXPECT_EQ(format_problems(loaded.problems, "f.yaml"), "");
}

// ---- ${VAR} references never show as placeholders
// ------------------------------------------------

// The shield's placeholders start with 'Z' and a capital letter; these configurations have no
// such text, so any in the output is a placeholder that leaked.
void expect_no_placeholder(const std::string& output) {
  for (char c = 'A'; c <= 'Z'; ++c) {
    EXPECT_EQ(output.find(std::string("Z") + c), std::string::npos) << output;
  }
}

TEST(ConfigLoader, ReferenceInPipelineNameIsRefusedAtTheReference) {
  std::string out = problems(R"yaml(
pipelines:
  ${NAME}:
    source: { type: stdin }
    routes: [{ to: out }]
  web-${ENV}:
    source: { type: generate }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml",
                             {{"NAME", "p"}, {"ENV", "prod"}});
  EXPECT_EQ(out,
            "f.yaml:2:3: pipelines: key '${NAME}' holds an environment reference; references are "
            "replaced in values only, so write the key itself\n"
            "f.yaml:5:7: pipelines: key 'web-${ENV}' holds an environment reference; references "
            "are replaced in values only, so write the key itself\n");
  expect_no_placeholder(out);
}

TEST(ConfigLoader, ReferenceInSinkNameIsRefusedAndNamedAsWritten) {
  std::string out = problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  ${SINK}: { type: stdout, colour: red }
)yaml",
                             {{"SINK", "out"}});
  // The sink's own problems name it as written, and the route does not find it: it is called
  // '${SINK}', not 'out'.
  EXPECT_EQ(out,
            "f.yaml:4:20: route to unknown sink 'out'\n"
            "f.yaml:6:3: sinks: key '${SINK}' holds an environment reference; references are "
            "replaced in values only, so write the key itself\n"
            "f.yaml:6:28: sinks.${SINK}: unknown key 'colour'\n");
  expect_no_placeholder(out);
}

TEST(ConfigLoader, ReferenceInOptionKeyIsRefused) {
  std::string out = problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: json, types: { ${FIELD}: int } }
    routes: [{ to: out }]
    ${KEY}: x
sinks:
  out: { type: stdout }
)yaml",
                             {{"FIELD", "status"}, {"KEY", "filter"}});
  EXPECT_EQ(out,
            "f.yaml:4:37: pipelines.p.parse.types: key '${FIELD}' holds an environment reference; "
            "references are replaced in values only, so write the key itself\n"
            "f.yaml:6:5: pipelines.p: key '${KEY}' holds an environment reference; references are "
            "replaced in values only, so write the key itself\n"
            "f.yaml:6:5: pipelines.p: unknown key '${KEY}'\n");
  expect_no_placeholder(out);
}

TEST(ConfigLoader, ReferenceWhereAMappingOrListIsExpectedIsShownAsWritten) {
  std::string out = problems(R"yaml(
pipelines:
  p:
    source: ${SRC}
    parse: { format: csv, columns: ${COLUMNS} }
    routes: [${ROUTE}]
    threads: { cpus: ${CPUS} }
  q:
    source: { type: stdin }
    routes: "${ROUTES}"
sinks:
  out: { type: stdout }
)yaml",
                             {{"SRC", "{type: stdin}"},
                              {"COLUMNS", "[a, b]"},
                              {"ROUTE", "{to: out}"},
                              {"CPUS", "[0]"},
                              {"ROUTES", "[{to: out}]"}});
  const std::string note =
      " (a ${...} reference is replaced by text, never by a list or a mapping)";
  EXPECT_EQ(out, "f.yaml:3:13: pipelines.p.source: expected a mapping, got '${SRC}'" + note +
                     "\n"
                     "f.yaml:4:36: pipelines.p.parse.columns: expected a list of strings, got "
                     "'${COLUMNS}'" +
                     note +
                     "\n"
                     "f.yaml:5:14: pipelines.p.routes[0]: expected a mapping, got '${ROUTE}'" +
                     note +
                     "\n"
                     "f.yaml:6:22: pipelines.p.threads.cpus: expected a list of CPU numbers, got "
                     "'${CPUS}'" +
                     note +
                     "\n"
                     "f.yaml:9:13: pipelines.q.routes: expected a list of routes, got '${ROUTES}'" +
                     note + "\n");
  expect_no_placeholder(out);
}

TEST(ConfigLoader, ReferencesInListItemsAreExpanded) {
  LoadedConfig loaded = load(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [${LOGS}/a.log, "${LOGS}/b.log", '${OTHER:-/srv}/c.log'] }
    parse: { format: csv, columns: [${C1}, status], types: { status: int } }
    routes:
      - to: [${SINK}]
      - to:
          - ${SINK}
    threads: { cpus: [${CPU}, 1] }
sinks:
  out: { type: stdout, fields: [${C1}] }
)yaml",
                             {{"LOGS", "/var/log"}, {"C1", "host"}, {"SINK", "out"}, {"CPU", "0"}});
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const PipelineConfig& p = loaded.config.pipelines[0];
  EXPECT_EQ(source_options<FileSourceOptions>(p.source).paths,
            (std::vector<std::string>{"/var/log/a.log", "/var/log/b.log", "/srv/c.log"}));
  EXPECT_EQ(p.parse.columns, (std::vector<std::string>{"host", "status"}));
  EXPECT_EQ(p.routes[0].to, std::vector<std::string>{"out"});
  EXPECT_EQ(p.routes[1].to, std::vector<std::string>{"out"});
  EXPECT_EQ(p.cpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(loaded.config.sinks[0].encoding.fields, std::vector<std::string>{"host"});
}

TEST(ConfigLoader, ProblemsInListItemsQuoteTheExpandedValue) {
  std::string out = problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: [out, "${SINK}"] }]
    threads: { cpus: [${CPU}] }
sinks:
  out: { type: stdout }
)yaml",
                             {{"SINK", "archive"}, {"CPU", "many"}});
  EXPECT_EQ(out,
            "f.yaml:4:27: route to unknown sink 'archive'\n"
            "f.yaml:5:23: pipelines.p.threads.cpus[0]: expected an integer, got 'many'\n");
  expect_no_placeholder(out);
}

TEST(ConfigLoader, EscapedReferenceInAKeyIsLiteral) {
  // `$$` escapes a `$`; keys are never expanded, so `$${X}` stays the key's literal text.
  LoadedConfig loaded = load(R"yaml(
pipelines:
  p$${X}:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(loaded.config.pipelines[0].name, "p$${X}");
}

// ---- names --------------------------------------------------------------------------------------

TEST(ConfigLoader, ControlCharacterInPipelineNameIsRefusedAtIt) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  "web\nerrors":
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:2:7: pipelines: pipeline name 'web\\nerrors' contains a control character; "
            "names are written into log lines, metric labels and the run summary, so use "
            "printable text\n");
}

TEST(ConfigLoader, ControlCharacterInSinkNameIsRefusedAtIt) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: "o\eut" }]
sinks:
  "o\eut": { type: stdout }
  "tab\there": { type: stdout }
  "nel\u0085": { type: stdout }
)yaml"),
            "f.yaml:6:5: sinks: sink name 'o\\x1but' contains a control character; names are "
            "written into log lines, metric labels and the run summary, so use printable text\n"
            "f.yaml:7:7: sinks: sink name 'tab\\there' contains a control character; names are "
            "written into log lines, metric labels and the run summary, so use printable text\n"
            "f.yaml:8:7: sinks: sink name 'nel\302\205' contains a control character; names are "
            "written into log lines, metric labels and the run summary, so use printable text\n");
}

TEST(ConfigLoader, NameLongerThan128BytesIsRefused) {
  const std::string ok(128, 'a');
  const std::string long_name = std::string(129, 'b');
  EXPECT_EQ(problems("pipelines:\n  " + ok + ":\n    source: { type: stdin }\n" +
                     "    routes: [{ to: " + long_name + " }]\nsinks:\n  " + long_name +
                     ": { type: stdout }\n"),
            "f.yaml:6:3: sinks: sink name '" + std::string(40, 'b') +
                "...' is 129 bytes long; at most 128 are allowed\n");
}

TEST(ConfigLoader, EmptyNameIsRefused) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  "":
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:2:3: pipelines: a pipeline name must not be empty\n");
}

TEST(ConfigLoader, ProblemLinesNeverSplit) {
  // A value quoted in a message keeps its control characters escaped: one problem, one line.
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: file, paths: [a], follow: "yes\nno" }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:3:47: pipelines.p.source.follow: expected true or false, got 'yes\\nno'\n");
}

// ---- memory_limit against what the sources need ------------------------------------------------

TEST(ConfigLoader, MemoryLimitBelowTwiceMaxEventBytesIsRefused) {
  EXPECT_EQ(problems(std::string(kMinimal) + "memory_limit: 1048576\n"),
            "f.yaml:8:15: memory_limit 1MiB is too small for pipeline 'p': it reads records of up "
            "to max_event_bytes 1MiB into buffers of 2MiB; the smallest workable memory_limit for "
            "this configuration is 2MiB\n");
}

TEST(ConfigLoader, MemoryLimitNamesTheNeediestPipeline) {
  EXPECT_EQ(problems(R"yaml(
memory_limit: 6MiB
pipelines:
  small:
    source: { type: stdin, max_event_bytes: 64KiB }
    routes: [{ to: out }]
  big:
    source: { type: file, paths: [a], max_event_bytes: 3.5MiB }
    routes: [{ to: out }]
  bigger:
    source: { type: generate, max_event_bytes: 4MiB }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:1:15: memory_limit 6MiB is too small for pipeline 'bigger': it reads records "
            "of up to max_event_bytes 4MiB into buffers of 8MiB; the smallest workable "
            "memory_limit for this configuration is 8MiB\n");
}

TEST(ConfigLoader, MemoryLimitOfExactlyTheNeedIsFine) {
  LoadedConfig loaded = load(R"yaml(
memory_limit: 3MiB
pipelines:
  p:
    source: { type: stdin, max_event_bytes: 1.5MiB }
    routes: [{ to: out }]
  q:
    source: { type: stdin, max_event_bytes: 4KiB }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml");
  // (q's second stdin is its own problem; the memory check passes.)
  EXPECT_EQ(format_problems(loaded.problems, "f.yaml"),
            "f.yaml:7:21: pipelines.q.source.type: pipeline 'p' already reads stdin; only one "
            "pipeline can read it (two would split its input between them)\n");
}

TEST(ConfigLoader, DefaultMemoryLimitTooSmallIsReportedAtTheStart) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin, max_event_bytes: 300MiB }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:1:1: memory_limit 512MiB (the default) is too small for pipeline 'p': it "
            "reads records of up to max_event_bytes 300MiB into buffers of 600MiB; the smallest "
            "workable memory_limit for this configuration is 600MiB\n");
}

TEST(ConfigLoader, MemoryLimitNeedOfAnOddSizeIsExact) {
  EXPECT_EQ(problems(R"yaml(
memory_limit: 1MB
pipelines:
  p:
    source: { type: stdin, max_event_bytes: 1000000 }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:1:15: memory_limit: must be at least 1048576 bytes, got '1MB'\n");
  EXPECT_EQ(problems(R"yaml(
memory_limit: 1.5MiB
pipelines:
  p:
    source: { type: stdin, max_event_bytes: 1000000 }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:1:15: memory_limit 1536KiB is too small for pipeline 'p': it reads records of "
            "up to max_event_bytes 1000000 bytes into buffers of 2000000 bytes; the smallest "
            "workable memory_limit for this configuration is 2000000 bytes\n");
}

TEST(ConfigLoader, HugeMaxEventBytesDoesNotOverflowTheNeed) {
  EXPECT_EQ(problems(R"yaml(
pipelines:
  p:
    source: { type: stdin, max_event_bytes: 18446744073709551615 }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:1:1: memory_limit 512MiB (the default) is too small for pipeline 'p': it "
            "reads records of up to max_event_bytes 18446744073709551615 bytes into buffers of "
            "18446744073709551615 bytes; the smallest workable memory_limit for this "
            "configuration is 18446744073709551615 bytes\n");
}

TEST(ConfigLoader, InvalidMemoryLimitIsNotJudgedAgain) {
  EXPECT_EQ(problems(R"yaml(
memory_limit: ${MEM}
pipelines:
  p:
    source: { type: stdin, max_event_bytes: 300MiB }
    routes: [{ to: out }]
sinks:
  out: { type: stdout }
)yaml"),
            "f.yaml:1:15: environment variable MEM is not set\n");
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

namespace sluice {
namespace {

// Bounds below what the daemon would use are refused with the reason, not raised silently
// (config/limits.h); the floors themselves are accepted.
TEST(ConfigLoader, BoundsAtTheirFloorAreAcceptedAndBelowRefused) {
  auto config = [](const std::string& event_bytes, const std::string& queue_bytes) {
    return "pipelines:\n  p:\n    source: { type: stdin, max_event_bytes: " + event_bytes +
           " }\n    routes: [{ to: out }]\n    queue: { max_bytes: " + queue_bytes +
           " }\nsinks:\n  out: { type: stdout }\n";
  };
  LoadedConfig floors = load(config("4KiB", "2MiB"));
  ASSERT_EQ(format_problems(floors.problems, "f.yaml"), "");
  EXPECT_EQ(floors.config.pipelines[0].source.max_event_bytes, 4096u);
  EXPECT_EQ(floors.config.pipelines[0].queue_max_bytes, 2u << 20);
  EXPECT_EQ(problems(config("4095", "2097151")),
            "f.yaml:3:45: pipelines.p.source.max_event_bytes: must be at least 4096 bytes (the "
            "stream reader cuts records only past that length, so a smaller limit would not "
            "hold), got '4095'\n"
            "f.yaml:5:25: pipelines.p.queue.max_bytes: must be at least 2097152 bytes (it is "
            "split over the pipeline's two queues, and each holds at least one batch of 1MiB), "
            "got '2097151'\n");
}

}  // namespace
}  // namespace sluice
