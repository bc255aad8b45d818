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
#include "stages/sinks/file_sink_options.h"
#include "stages/sinks/kafka_sink_options.h"

namespace sluice {
namespace {

LoadedConfig load(const std::string& yaml) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return load_config(yaml, no_env);
}

std::string problems(const std::string& yaml) {
  return format_problems(load(yaml).problems, "f.yaml");
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
  EXPECT_EQ(names, (std::set<std::string_view>{"file", "stdin", "generate", "kafka", "tcp"}));
  for (std::string_view unbuilt : unbuilt_source_kinds()) {
    EXPECT_EQ(find_source_kind(unbuilt), nullptr) << unbuilt;
  }
  EXPECT_EQ(find_source_kind("udp"), nullptr);
}

TEST(SourceKinds, EachRowBuildsWhatItLoaded) {
  const std::string sources[] = {"{ type: file, paths: [/nonexistent/*.log], follow: false }",
                                 "{ type: stdin }", "{ type: generate, count: 3 }",
                                 "{ type: kafka, brokers: \"b:9092\", topics: [t], group: g }"};
  for (const std::string& source : sources) {
    LoadedConfig loaded = load(with_source(source));
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

TEST(SourceKinds, FileOptionsAreTheFileSourcesOwn) {
  LoadedConfig loaded =
      load(with_source("{ type: file, paths: [a.log, b.log], read_from: end, follow: false }"));
  ASSERT_TRUE(loaded.ok());
  const auto& options = source_options<FileSourceOptions>(loaded.config.pipelines[0].source);
  EXPECT_EQ(options.paths, (std::vector<std::string>{"a.log", "b.log"}));
  EXPECT_TRUE(options.read_from_end);
  EXPECT_FALSE(options.follow);
}

TEST(SourceKinds, KafkaOptionsAreTheKafkaSourcesOwn) {
  LoadedConfig loaded = load(
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

TEST(SourceKinds, KafkaNeedsBrokersTopicsAndGroup) {
  EXPECT_EQ(problems(with_source("{ type: kafka }")),
            "f.yaml:3:5: pipelines.p.source: missing required key 'brokers'\n"
            "f.yaml:3:5: pipelines.p.source: missing required key 'topics'\n"
            "f.yaml:3:5: pipelines.p.source: missing required key 'group'\n");
}

TEST(SourceKinds, KafkaBrokerListsAreCheckedWithoutABroker) {
  for (const char* bad : {"", "a:9092,,b:9092", "a:", "a:0", "a:x", "[::1:9092", "a b:1"}) {
    EXPECT_FALSE(check_kafka_brokers(bad).ok()) << bad;
  }
  for (const char* good : {"a", "a:9092", "a:9092,b:9093", "PLAINTEXT://k-1.example:9092",
                           "[::1]:9092", " a:1 , b:2 "}) {
    EXPECT_TRUE(check_kafka_brokers(good).ok()) << good;
  }
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
  EXPECT_EQ(problems(with_source("{ type: stdin, paths: [a] }")),
            "f.yaml:3:28: pipelines.p.source: key 'paths' does not apply to source type stdin "
            "(only to file)\n");
}

TEST(SourceKinds, UnknownKeyIsRefusedAtItsPositionWithASuggestion) {
  EXPECT_EQ(problems(with_source("{ type: file, paths: [a], folow: false }")),
            "f.yaml:3:39: pipelines.p.source: unknown key 'folow' (did you mean 'follow'?)\n");
}

TEST(SourceKinds, EveryUnbuiltKindIsRefusedAtItsType) {
  ASSERT_FALSE(unbuilt_source_kinds().empty());
  for (std::string_view unbuilt : unbuilt_source_kinds()) {
    const std::string type(unbuilt);
    // Its own keys are not checked: the type is the one problem.
    EXPECT_EQ(problems(with_source("{ type: " + type + ", brokers: b, listen: x }")),
              "f.yaml:3:21: pipelines.p.source.type: source type '" + type +
                  "' is not built in this version; use one of file, stdin, generate, kafka, tcp\n");
  }
}

TEST(SinkKinds, RowsAreTheBuiltKindsOnce) {
  std::set<std::string_view> names;
  for (const SinkKind& kind : sink_kinds()) {
    EXPECT_TRUE(names.insert(kind.name).second) << kind.name;
    EXPECT_NE(kind.load, nullptr) << kind.name;
    EXPECT_NE(kind.make, nullptr) << kind.name;
    EXPECT_EQ(find_sink_kind(kind.name), &kind);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"stdout", "file", "null", "kafka"}));
  for (std::string_view unbuilt : unbuilt_sink_kinds()) {
    EXPECT_EQ(find_sink_kind(unbuilt), nullptr) << unbuilt;
  }
}

TEST(SinkKinds, EachRowBuildsWhatItLoaded) {
  const std::string sinks[] = {"{ type: stdout }", "{ type: file, path: /nonexistent/out.ndjson }",
                               "{ type: \"null\" }",
                               "{ type: kafka, brokers: \"127.0.0.1:1\", topic: t }"};
  for (const std::string& sink : sinks) {
    LoadedConfig loaded = load(with_source("{ type: stdin }", sink));
    ASSERT_EQ(format_problems(loaded.problems, "f.yaml"), "") << sink;
    const SinkConfig& config = loaded.config.sinks[0];
    const SinkKind* kind = find_sink_kind(config.type);
    ASSERT_NE(kind, nullptr) << sink;
    EXPECT_EQ(config.type_position.line, 6) << sink;
    // Built, not opened: the file sink's directory does not exist and that is no error here.
    EXPECT_NE(kind->make(config), nullptr) << sink;
  }
  LoadedConfig loaded = load(with_source("{ type: stdin }", "{ type: file, path: o.ndjson }"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(sink_options<FileSinkOptions>(loaded.config.sinks[0]).path, "o.ndjson");
}

TEST(SinkKinds, KeyOfAnotherKindIsRefusedAtItsPosition) {
  EXPECT_EQ(problems(with_source("{ type: stdin }", "{ type: stdout, path: x }")),
            "f.yaml:6:24: sinks.out: key 'path' does not apply to sink type stdout (only to "
            "file)\n");
}

TEST(SinkKinds, EveryUnbuiltKindIsRefusedAtItsType) {
  ASSERT_FALSE(unbuilt_sink_kinds().empty());
  for (std::string_view unbuilt : unbuilt_sink_kinds()) {
    const std::string type(unbuilt);
    EXPECT_EQ(problems(with_source("{ type: stdin }", "{ type: " + type + ", topic: t }")),
              "f.yaml:6:16: sinks.out.type: sink type '" + type +
                  "' is not built in this version; use one of stdout, file, null, kafka\n");
  }
}

TEST(SinkKinds, KafkaOptionsAreTheKafkaSinksOwnAndTheKeyIsTheEncodersToFind) {
  LoadedConfig loaded =
      load(with_source("{ type: stdin }",
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
  EXPECT_EQ(problems(with_source("{ type: stdin }", "{ type: file, path: x, key: host }")),
            "f.yaml:6:31: sinks.out: key 'key' does not apply to sink type file (only to "
            "kafka)\n");
}

// What can be checked without a broker is checked by `validate`, each at its position.
TEST(SinkKinds, KafkaBrokersTopicAndPropertiesAreCheckedAtTheirPositions) {
  EXPECT_EQ(problems(R"yaml(pipelines:
  p:
    source: { type: stdin }
    routes: [{ to: out }]
sinks:
  out:
    type: kafka
    brokers: "a:9092,b"
    topic: "web errors"
    librdkafka: { no.such.thing: 1, acks: banana, bootstrap.servers: "c:1" }
)yaml"),
            "f.yaml:8:22: sinks.out.brokers: broker 'b': expected HOST:PORT (e.g. "
            "127.0.0.1:9000), got 'b'\n"
            "f.yaml:9:12: sinks.out.topic: topic 'web errors' has a character Kafka does not "
            "allow (only a-z A-Z 0-9 . _ -)\n"
            "f.yaml:10:19: sinks.out.librdkafka.no.such.thing: No such configuration property: "
            "\"no.such.thing\"\n"
            "f.yaml:10:37: sinks.out.librdkafka.acks: Invalid value for configuration property "
            "\"request.required.acks\"\n"
            "f.yaml:10:51: sinks.out.librdkafka.bootstrap.servers: 'bootstrap.servers' is set by "
            "the sink's `brokers`; set it there\n");
}

TEST(SinkKinds, KafkaNeedsBrokersAndTopic) {
  EXPECT_EQ(problems(with_source("{ type: stdin }", "{ type: kafka }")),
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
