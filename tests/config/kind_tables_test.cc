// The source and sink kind tables: each row loads its own keys and builds its kind; a key of
// another kind or of none is refused at its position; a kind of the contract that is not built
// is refused at its type, never accepted by `validate` and then failed by `run`.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config/config_loader.h"
#include "config/kafka_checks.h"
#include "config/sink_kinds.h"
#include "config/source_kinds.h"
#include "stages/ingest/file_source.h"
#include "stages/ingest/kafka_source.h"
#include "stages/ingest/udp_source.h"
#include "stages/sinks/file_sink_options.h"
#include "stages/sinks/kafka_sink_options.h"

namespace sluice {
namespace {

LoadedConfig load_kinds(const std::string& yaml) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return load_config(yaml, no_env);
}

std::string kind_problems(const std::string& yaml) {
  return format_problems(load_kinds(yaml).problems, "f.yaml");
}

// A pipeline reading `source` (a flow mapping) into the sink `out: sink`.
std::string with_source(const std::string& source, const std::string& sink = "{ type: stdout }") {
  return "pipelines:\n  p:\n    source: " + source +
         "\n    routes: [{ to: out }]\nsinks:\n  out: " + sink + "\n";
}

TEST(SourceKinds, RowsAreTheBuiltKindsOnce) {
  std::set<std::string_view> names;
  for (const SourceKind& kind : source_kinds()) {
    EXPECT_TRUE(names.insert(kind.name).second) << kind.name;
    EXPECT_NE(kind.load, nullptr) << kind.name;
    EXPECT_NE(kind.make, nullptr) << kind.name;
    EXPECT_EQ(find_source_kind(kind.name), &kind);
  }
  EXPECT_EQ(names,
            (std::set<std::string_view>{"file", "stdin", "generate", "kafka", "udp", "tcp"}));
  for (std::string_view unbuilt : unbuilt_source_kinds()) {
    EXPECT_EQ(find_source_kind(unbuilt), nullptr) << unbuilt;
  }
}

TEST(SourceKinds, EachRowBuildsWhatItLoaded) {
  const std::string sources[] = {"{ type: file, paths: [/nonexistent/*.log], follow: false }",
                                 "{ type: stdin }", "{ type: generate, count: 3 }",
                                 "{ type: kafka, brokers: \"b:9092\", topics: [t], group: g }",
                                 "{ type: udp, listen: \"127.0.0.1:0\" }"};
  for (const std::string& source : sources) {
    LoadedConfig loaded = load_kinds(with_source(source));
    ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "") << source;
    const PipelineConfig& pipeline = loaded.config.pipelines[0];
    const SourceKind* kind = find_source_kind(pipeline.source.type);
    ASSERT_NE(kind, nullptr) << source;
    EXPECT_EQ(pipeline.source.type_position.line, 3) << source;
    EXPECT_EQ(pipeline.source.type_position.column, 21) << source;
    Schema schema;
    EXPECT_NE(kind->make(pipeline.source, pipeline.parse, schema), nullptr) << source;
  }
}

TEST(SourceKinds, UdpOptionsAreTheUdpSourcesOwn) {
  LoadedConfig loaded = load_kinds(with_source(
      "{ type: udp, listen: \"[::1]:5514\", receive_buffer: 8MiB, max_event_bytes: 64KiB }"));
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const SourceConfig& source = loaded.config.pipelines[0].source;
  const auto& options = source_options<UdpSourceOptions>(source);
  EXPECT_EQ(options.listen, "[::1]:5514");
  ASSERT_TRUE(options.receive_buffer.has_value());
  EXPECT_EQ(*options.receive_buffer, 8u << 20);
  EXPECT_EQ(source.max_event_bytes, 64u << 10);
}

TEST(SourceKinds, FileOptionsAreTheFileSourcesOwn) {
  LoadedConfig loaded = load_kinds(
      with_source("{ type: file, paths: [a.log, b.log], read_from: end, follow: false }"));
  ASSERT_TRUE(loaded.ok());
  const auto& options = source_options<FileSourceOptions>(loaded.config.pipelines[0].source);
  EXPECT_EQ(options.paths, (std::vector<std::string>{"a.log", "b.log"}));
  EXPECT_TRUE(options.read_from_end);
  EXPECT_FALSE(options.follow);
}

TEST(SourceKinds, FileExcludeIsAListOfGlobsOrOneGlob) {
  LoadedConfig loaded = load_kinds(
      with_source("{ type: file, paths: [\"/var/log/app/*\"], exclude: [\"*.gz\", \"*.[0-9]\"] }"));
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(source_options<FileSourceOptions>(loaded.config.pipelines[0].source).exclude,
            (std::vector<std::string>{"*.gz", "*.[0-9]"}));
  loaded = load_kinds(with_source("{ type: file, paths: [a.log], exclude: \"*.gz\" }"));
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(source_options<FileSourceOptions>(loaded.config.pipelines[0].source).exclude,
            (std::vector<std::string>{"*.gz"}));
  EXPECT_NE(kind_problems(with_source("{ type: file, paths: [a.log], exclude: { a: 1 } }")), "");
  EXPECT_NE(kind_problems(with_source("{ type: stdin, exclude: [a] }")), "");
}

TEST(SourceKinds, FilePollIntervalIsADurationWithADefault) {
  LoadedConfig loaded =
      load_kinds(with_source("{ type: file, paths: [a.log], poll_interval: 1.5s }"));
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(source_options<FileSourceOptions>(loaded.config.pipelines[0].source).poll_interval_ms,
            1500);
  loaded = load_kinds(with_source("{ type: file, paths: [a.log], poll_interval: 10ms }"));
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  EXPECT_EQ(source_options<FileSourceOptions>(loaded.config.pipelines[0].source).poll_interval_ms,
            10);
  loaded = load_kinds(with_source("{ type: file, paths: [a.log], poll_interval: 1h }"));
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  loaded = load_kinds(with_source("{ type: file, paths: [a.log] }"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(source_options<FileSourceOptions>(loaded.config.pipelines[0].source).poll_interval_ms,
            200);
}

TEST(SourceKinds, FilePollIntervalOutOfRangeIsRefusedAtItsValue) {
  EXPECT_EQ(kind_problems(with_source("{ type: file, paths: [a.log], poll_interval: 5ms }")),
            "f.yaml:3:58: pipelines.p.source.poll_interval: must be between 10ms and 1h, got "
            "'5ms'\n");
  EXPECT_EQ(kind_problems(with_source("{ type: file, paths: [a.log], poll_interval: 2h }")),
            "f.yaml:3:58: pipelines.p.source.poll_interval: must be between 10ms and 1h, got "
            "'2h'\n");
  EXPECT_EQ(kind_problems(with_source("{ type: file, paths: [a.log], poll_interval: often }")),
            "f.yaml:3:58: pipelines.p.source.poll_interval: expected a duration such as 10s, "
            "500ms, 2m or 1h30m, got 'often'\n");
  // Not a key of other kinds.
  EXPECT_NE(kind_problems(with_source("{ type: stdin, poll_interval: 1s }")), "");
}

TEST(SourceKinds, KafkaOptionsAreTheKafkaSourcesOwn) {
  LoadedConfig loaded = load_kinds(
      "memory_limit: 64MiB\npipelines:\n  p:\n"
      "    source: { type: kafka, brokers: \"a:9092, SSL://[::1]:9093,b\", topics: [x.y, z_1], "
      "group: g, start: latest, librdkafka: { fetch.wait.max.ms: 50, client.id: me } }\n"
      "    queue: { max_bytes: 8MiB }\n"
      "    routes: [{ to: out }]\nsinks:\n  out: { type: stdout }\n");
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const SourceConfig& source = loaded.config.pipelines[0].source;
  const auto& options = source_options<KafkaSourceOptions>(source);
  EXPECT_EQ(options.brokers, "a:9092, SSL://[::1]:9093,b");
  EXPECT_EQ(options.topics, (std::vector<std::string>{"x.y", "z_1"}));
  EXPECT_EQ(options.group, "g");
  EXPECT_TRUE(options.start_latest);
  EXPECT_EQ(options.properties, (std::vector<std::pair<std::string, std::string>>{
                                    {"fetch.wait.max.ms", "50"}, {"client.id", "me"}}));
  // The pre-fetch bound follows the pipeline's queue and the memory limit.
  EXPECT_EQ(source.queue_max_bytes, 8u << 20);
  EXPECT_EQ(source.memory_limit, 64u << 20);
  EXPECT_EQ(kafka_prefetch_bytes(8u << 20, 64u << 20), 4u << 20);   // half the queue
  EXPECT_EQ(kafka_prefetch_bytes(64u << 20, 32u << 20), 4u << 20);  // an eighth of the limit
  EXPECT_EQ(kafka_prefetch_bytes(2u << 20, 8u << 20), 2u << 20);    // the floor
}

// What librdkafka buffers outside the batches is reserved from memory_limit: each Kafka row says
// how much, from the sizes sluice gives librdkafka or the user's own values; other kinds buffer
// nothing outside the batches.
TEST(KindTables, KafkaClientsSayWhatTheyBufferOutsideTheBatches) {
  auto reserved = [](const std::string& yaml) {
    LoadedConfig loaded = load_kinds("memory_limit: 64MiB\n" + yaml);
    EXPECT_EQ(format_problems(loaded.problems, "f.yaml"), "");
    const SourceConfig& source = loaded.config.pipelines[0].source;
    const SinkConfig& sink = loaded.config.sinks[0];
    auto* source_bytes = find_source_kind(source.type)->library_buffer_bytes;
    auto* sink_bytes = find_sink_kind(sink.type)->library_buffer_bytes;
    return std::pair<uint64_t, uint64_t>(source_bytes ? source_bytes(source) : 0,
                                         sink_bytes ? sink_bytes(sink) : 0);
  };
  const std::string kafka_in = "{ type: kafka, brokers: a, topics: [t], group: g";
  const std::string kafka_out = "{ type: kafka, brokers: a, topic: t";
  // 64 MiB: the pre-fetch is an eighth (8 MiB: 4 MiB queued, 4 MiB one fetch); the producer
  // queue a sixteenth (4 MiB) plus 16,384 messages' bookkeeping at 256 bytes (4 MiB).
  EXPECT_EQ(reserved(with_source(kafka_in + " }", kafka_out + " }")),
            std::make_pair(uint64_t{8} << 20, uint64_t{8} << 20));
  // The user's own sizes are what librdkafka uses, so they are what is reserved.
  EXPECT_EQ(reserved(with_source(kafka_in + ", librdkafka: { queued.max.messages.kbytes: 10240 } }",
                                 kafka_out + ", librdkafka: { queue.buffering.max.kbytes: 1024, "
                                             "queue.buffering.max.messages: 4096 } }")),
            std::make_pair(uint64_t{14} << 20, uint64_t{2} << 20));
  // Files keep everything in batches.
  EXPECT_EQ(reserved(with_source("{ type: file, paths: [a.log] }", "{ type: file, path: o }")),
            std::make_pair(uint64_t{0}, uint64_t{0}));
}

// A memory_limit that librdkafka's reservations would leave without room for one read buffer is
// refused, naming who takes what and the smallest limit that works.
TEST(KindTables, AMemoryLimitTheKafkaBuffersLeaveTooLittleOfIsRefusedWithTheSmallestWorkable) {
  const std::string yaml =
      "pipelines:\n  p:\n    source: { type: kafka, brokers: a, topics: [t], group: g }\n"
      "    queue: { max_bytes: 2MiB }\n    routes: [{ to: k }]\n"
      "sinks:\n  k: { type: kafka, brokers: a, topic: u }\n";
  // At 4 MiB: the pre-fetch floor (2 MiB) and the producer queue's (1 MiB and 4,096 messages'
  // bookkeeping) leave less than the 2 MiB read buffer.
  EXPECT_EQ(kind_problems("memory_limit: 4MiB\n" + yaml),
            "f.yaml:1:15: memory_limit 4MiB is too small: librdkafka's buffers take 4MiB of it "
            "(2MiB for the source of pipeline 'p', 2MiB for sink 'k'), and pipeline 'p' reads "
            "records of up to max_event_bytes 1MiB into buffers of 2MiB; the smallest workable "
            "memory_limit for this configuration is 6MiB\n");
  EXPECT_EQ(kind_problems("memory_limit: 6MiB\n" + yaml), "");
}

TEST(SourceKinds, KafkaNeedsBrokersTopicsAndGroup) {
  EXPECT_EQ(kind_problems(with_source("{ type: kafka }")),
            "f.yaml:3:5: pipelines.p.source: missing required key 'brokers'\n"
            "f.yaml:3:5: pipelines.p.source: missing required key 'topics'\n"
            "f.yaml:3:5: pipelines.p.source: missing required key 'group'\n");
}

TEST(KafkaBrokers, ListsAreCheckedWithoutABroker) {
  for (const char* bad : {"", "a:9092,,b:9092", "a:", "a:0", "a:x", "[::1:9092", "a b:1", "a:9092,",
                          "a:70000", "SSL://:9092"}) {
    EXPECT_FALSE(check_kafka_brokers(bad).ok()) << bad;
  }
  for (const char* good : {"a", "a:9092", "a:9092,b:9093", "PLAINTEXT://k-1.example:9092",
                           "[::1]:9092", " a:1 , b:2 ", "SSL://[::1]:9093,b"}) {
    EXPECT_TRUE(check_kafka_brokers(good).ok()) << good;
  }
}

TEST(KafkaBrokers, TheBadEntryIsLocated) {
  size_t at = 99;
  EXPECT_FALSE(check_kafka_brokers("a:9092,  b:x,c:1", &at).ok());
  EXPECT_EQ(at, 9u);  // past the spaces, at 'b'
  EXPECT_FALSE(check_kafka_brokers("a:1,,c:1", &at).ok());
  EXPECT_EQ(at, 4u);
  EXPECT_FALSE(check_kafka_brokers("", &at).ok());
  EXPECT_EQ(at, 0u);
}

// The source and the sink share one rule and report a bad list at the entry at fault, also when
// the list comes from the environment (then at the reference).
TEST(KafkaBrokers, SourceAndSinkReportTheBadEntryAtItsPosition) {
  EXPECT_EQ(
      kind_problems("pipelines:\n  p:\n"
                    "    source: { type: kafka, brokers: \"a:9092, b:x\", topics: [t], group: g }\n"
                    "    routes: [{ to: out }]\n"
                    "sinks:\n  out: { type: kafka, brokers: \"c:1,d:0\", topic: t }\n"),
      "f.yaml:3:46: pipelines.p.source.brokers: broker 'b:x': port 'x' is not a number "
      "from 1 to 65535\n"
      "f.yaml:6:37: sinks.out.brokers: broker 'd:0': port '0' is not a number from 1 to "
      "65535\n");
  auto env = [](const std::string& name) -> std::optional<std::string> {
    return name == "KAFKA" ? std::optional<std::string>("k:1,k:") : std::nullopt;
  };
  EXPECT_EQ(format_problems(load_config(with_source("{ type: stdin }",
                                                    "{ type: kafka, brokers: "
                                                    "\"x:1,${KAFKA}\", topic: t }"),
                                        env)
                                .problems,
                            "f.yaml"),
            "f.yaml:6:37: sinks.out.brokers: broker 'k:' has an empty port\n");
}

TEST(SourceKinds, KafkaTopicNamesFollowKafkasRules) {
  EXPECT_TRUE(check_kafka_topic("web.access_log-2").ok());
  EXPECT_TRUE(check_kafka_topic(std::string(249, 'a')).ok());
  EXPECT_FALSE(check_kafka_topic(std::string(250, 'a')).ok());
  EXPECT_FALSE(check_kafka_topic("").ok());
  EXPECT_FALSE(check_kafka_topic(".").ok());
  EXPECT_FALSE(check_kafka_topic("..").ok());
  EXPECT_FALSE(check_kafka_topic("a/b").ok());
  EXPECT_FALSE(check_kafka_topic("^regex.*").ok());
}

TEST(SourceKinds, KafkaPropertiesGoThroughLibrdkafkasOwnChecks) {
  bool unknown = false;
  EXPECT_TRUE(check_kafka_source_property("fetch.wait.max.ms", "10", unknown).ok());
  Status s = check_kafka_source_property("fetch.wait.max.mss", "10", unknown);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(unknown);
  s = check_kafka_source_property("fetch.wait.max.ms", "-5", unknown);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(unknown);  // the value is the problem
  // Properties sluice owns: set through its own keys, or needed for its delivery promise.
  for (const char* owned : {"bootstrap.servers", "group.id", "auto.offset.reset",
                            "enable.auto.offset.store", "enable.auto.commit"}) {
    EXPECT_FALSE(check_kafka_source_property(owned, "x", unknown).ok()) << owned;
    EXPECT_TRUE(unknown) << owned;
  }
}

TEST(SourceKinds, KeyOfAnotherKindIsRefusedAtItsPosition) {
  EXPECT_EQ(kind_problems(with_source("{ type: stdin, paths: [a] }")),
            "f.yaml:3:28: pipelines.p.source: key 'paths' does not apply to source type stdin "
            "(only to file)\n");
}

// Every source kind SPEC §2 names is built.
TEST(SourceKinds, EveryKindOfTheContractIsBuilt) { EXPECT_TRUE(unbuilt_source_kinds().empty()); }

TEST(SourceKinds, UnknownKeyIsRefusedAtItsPositionWithASuggestion) {
  EXPECT_EQ(kind_problems(with_source("{ type: file, paths: [a], folow: false }")),
            "f.yaml:3:39: pipelines.p.source: unknown key 'folow' (did you mean 'follow'?)\n");
}

TEST(SinkKinds, RowsAreTheBuiltKindsOnce) {
  std::set<std::string_view> names;
  for (const SinkKind& kind : sink_kinds()) {
    EXPECT_TRUE(names.insert(kind.name).second) << kind.name;
    EXPECT_NE(kind.load, nullptr) << kind.name;
    EXPECT_NE(kind.make, nullptr) << kind.name;
    EXPECT_EQ(find_sink_kind(kind.name), &kind);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"stdout", "file", "null", "kafka", "tcp"}));
  for (std::string_view unbuilt : unbuilt_sink_kinds()) {
    EXPECT_EQ(find_sink_kind(unbuilt), nullptr) << unbuilt;
  }
}

TEST(SinkKinds, EachRowBuildsWhatItLoaded) {
  const std::string sinks[] = {"{ type: stdout }", "{ type: file, path: /nonexistent/out.ndjson }",
                               "{ type: \"null\" }",
                               "{ type: kafka, brokers: \"127.0.0.1:1\", topic: t }",
                               "{ type: tcp, address: \"127.0.0.1:1\" }"};
  for (const std::string& sink : sinks) {
    LoadedConfig loaded = load_kinds(with_source("{ type: stdin }", sink));
    ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "") << sink;
    const SinkConfig& config = loaded.config.sinks[0];
    const SinkKind* kind = find_sink_kind(config.type);
    ASSERT_NE(kind, nullptr) << sink;
    EXPECT_EQ(config.type_position.line, 6) << sink;
    // Built, not opened: the file sink's directory does not exist and that is no error here.
    EXPECT_NE(kind->make(config), nullptr) << sink;
  }
  LoadedConfig loaded =
      load_kinds(with_source("{ type: stdin }", "{ type: file, path: o.ndjson }"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(sink_options<FileSinkOptions>(loaded.config.sinks[0]).path, "o.ndjson");
}

TEST(SinkKinds, KeyOfAnotherKindIsRefusedAtItsPosition) {
  EXPECT_EQ(kind_problems(with_source("{ type: stdin }", "{ type: stdout, path: x }")),
            "f.yaml:6:24: sinks.out: key 'path' does not apply to sink type stdout (only to "
            "file)\n");
}

// Every sink kind SPEC §2 names is built; a kind it does not name is unknown.
TEST(SinkKinds, EveryKindOfTheContractIsBuilt) {
  EXPECT_TRUE(unbuilt_sink_kinds().empty());
  EXPECT_EQ(kind_problems(with_source("{ type: stdin }", "{ type: udp, topic: t }")),
            "f.yaml:6:16: sinks.out.type: unknown value 'udp'; expected one of stdout, file, "
            "null, kafka, tcp\n");
}

TEST(SinkKinds, KafkaOptionsAreTheKafkaSinksOwnAndTheKeyIsTheEncodersToFind) {
  LoadedConfig loaded = load_kinds(
      with_source("{ type: stdin }\n    parse: { format: json }",
                  "{ type: kafka, brokers: \"a:9092,PLAINTEXT://b:9093\", topic: web-errors, "
                  "key: host, librdkafka: { linger.ms: 20, compression.type: lz4 } }"));
  ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "");
  const SinkConfig& sink = loaded.config.sinks[0];
  const auto& options = sink_options<KafkaSinkOptions>(sink);
  EXPECT_EQ(options.name, "out");
  EXPECT_EQ(options.brokers, "a:9092,PLAINTEXT://b:9093");
  EXPECT_EQ(options.topic, "web-errors");
  EXPECT_EQ(options.properties, (std::vector<std::pair<std::string, std::string>>{
                                    {"linger.ms", "20"}, {"compression.type", "lz4"}}));
  EXPECT_EQ(sink.encoding.key, "host");
}

TEST(SinkKinds, KafkaKeyAppliesToKafkaOnly) {
  EXPECT_EQ(kind_problems(with_source("{ type: stdin }", "{ type: file, path: x, key: host }")),
            "f.yaml:6:31: sinks.out: key 'key' does not apply to sink type file (only to "
            "kafka)\n");
}

// What can be checked without a broker is checked by `validate`, each at its position.
TEST(SinkKinds, KafkaBrokersTopicAndPropertiesAreCheckedAtTheirPositions) {
  EXPECT_EQ(kind_problems(R"yaml(pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out:
    type: kafka
    brokers: "a:9092,b:"
    topic: "web errors"
    librdkafka: { no.such.thing: 1, acks: banana, bootstrap.servers: "c:1" }
)yaml"),
            "f.yaml:8:22: sinks.out.brokers: broker 'b:' has an empty port\n"
            "f.yaml:9:12: sinks.out.topic: topic 'web errors' has a character Kafka does not "
            "allow (only a-z A-Z 0-9 . _ -)\n"
            "f.yaml:10:19: sinks.out.librdkafka.no.such.thing: No such configuration property: "
            "\"no.such.thing\"\n"
            "f.yaml:10:37: sinks.out.librdkafka.acks: Invalid value for configuration property "
            "\"request.required.acks\"\n"
            "f.yaml:10:51: sinks.out.librdkafka.bootstrap.servers: 'bootstrap.servers' is set by "
            "the sink's `brokers`; set it there\n");
}

// Where a pipeline's fields are known from its config, a kafka sink's key must be one of them;
// where only the input knows (json, csv header), anything goes; metadata is on every event.
TEST(SinkKinds, KafkaKeyIsCheckedAgainstTheFieldsThePipelineKnows) {
  auto with_parse = [](const std::string& parse, const std::string& key) {
    return "pipelines:\n  p:\n    source: { type: stdin }\n    parse: " + parse +
           "\n    routes: [{ to: k }]\n    dead_letter: dl\nsinks:\n"
           "  k: { type: kafka, brokers: b, topic: t, key: " +
           key +
           " }\n"
           "  dl: { type: kafka, brokers: b, topic: d, key: nothing_here }\n";
  };
  const std::string csv = "{ format: csv, columns: [ts, host, status] }";
  EXPECT_EQ(kind_problems(with_parse(csv, "hosts")),
            "f.yaml:8:48: sinks.k.key: pipeline 'p' routes here, and its events have no field "
            "'hosts' (did you mean 'host'?); its fields are ts, host, status\n");
  EXPECT_EQ(kind_problems(with_parse(csv, "host")), "");
  EXPECT_EQ(kind_problems(with_parse(csv, "_source")), "");
  const std::string regex = "{ format: regex, pattern: '^(?P<host>\\S+) (?<path>\\S+)$' }";
  EXPECT_EQ(kind_problems(with_parse(regex, "path")), "");
  EXPECT_EQ(kind_problems(with_parse(regex, "status")),
            "f.yaml:8:48: sinks.k.key: pipeline 'p' routes here, and its events have no field "
            "'status'; its fields are host, path\n");
  EXPECT_EQ(kind_problems(with_parse("{ format: none }", "host")),
            "f.yaml:8:48: sinks.k.key: pipeline 'p' routes here, and its events have no field "
            "'host'; its fields are message\n");
  EXPECT_EQ(kind_problems(with_parse("{ format: json }", "anything")), "");
  EXPECT_EQ(kind_problems(with_parse("{ format: csv, header: true }", "anything")), "");
}

TEST(SinkKinds, KafkaNeedsBrokersAndTopic) {
  EXPECT_EQ(kind_problems(with_source("{ type: stdin }", "{ type: kafka }")),
            "f.yaml:6:3: sinks.out: missing required key 'brokers'\n"
            "f.yaml:6:3: sinks.out: missing required key 'topic'\n");
}

TEST(KafkaTopic, LegalNamesOnly) {
  EXPECT_TRUE(check_kafka_topic("web-errors_2.x").ok());
  EXPECT_FALSE(check_kafka_topic("").ok());
  EXPECT_FALSE(check_kafka_topic(".").ok());
  EXPECT_FALSE(check_kafka_topic("..").ok());
  EXPECT_FALSE(check_kafka_topic("a/b").ok());
  EXPECT_TRUE(check_kafka_topic(std::string(249, 'a')).ok());
  EXPECT_FALSE(check_kafka_topic(std::string(250, 'a')).ok());
}

}  // namespace
}  // namespace sluice
