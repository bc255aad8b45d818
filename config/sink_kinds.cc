#include "config/sink_kinds.h"

#include <array>

#include "config/kafka_checks.h"
#include "config/key_checks.h"
#include "config/yaml_reader.h"
#include "stages/sinks/file_sink.h"
#include "stages/sinks/file_sink_options.h"
#include "stages/sinks/kafka_sink.h"
#include "stages/sinks/kafka_sink_options.h"
#include "stages/sinks/stdout_sink.h"
#include "stages/sinks/tcp_sink.h"

namespace sluice {
namespace {

constexpr std::array<std::string_view, 6> kSinkCommonKeys{"type",    "encoding", "fields",
                                                          "columns", "header",   "delimiter"};

// file ---------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 1> kFileSinkKeys{"path"};

void load_file(YamlReader& reader, MapView& map, SinkConfig& out) {
  FileSinkOptions options;
  if (auto* n = map.require("path")) {
    if (auto v = reader.string(*n, map.path_of("path"))) {
      options.path = *v;
    }
  }
  out.options = std::move(options);
}

std::unique_ptr<Sink> make_file(const SinkConfig& config) {
  return std::make_unique<FileSink>(sink_options<FileSinkOptions>(config).path);
}

// kafka --------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 4> kKafkaSinkKeys{"brokers", "topic", "key", "librdkafka"};

void load_kafka(YamlReader& reader, MapView& map, SinkConfig& out) {
  KafkaSinkOptions options;
  options.name = out.name;
  if (auto* n = map.require("brokers")) {
    if (auto v = reader.scalar(*n, map.path_of("brokers"))) {
      check_kafka_brokers(reader, *n, map.path_of("brokers"), *v);
      options.brokers = std::move(v->value);
    }
  }
  if (auto* n = map.require("topic")) {
    if (auto v = reader.string(*n, map.path_of("topic"))) {
      if (Status s = check_kafka_topic(*v); !s.ok()) {
        reader.report(reader.position(*n), map.path_of("topic") + ": " + s.message());
      }
      options.topic = *v;
    }
  }
  // The key is the encoder's to find per event (Batch::Output::keys): an event without the field
  // has no key. Where a pipeline's fields are known from its config (csv columns, regex groups),
  // the cross-checks refuse a key that none of its events can have.
  if (auto* n = map.get("key")) {
    if (auto v = reader.string(*n, map.path_of("key"))) {
      out.encoding.key = *v;
      out.key_position = reader.position(*n);
    }
  }
  if (const MapView::Entry* e = map.entry("librdkafka")) {
    MapView properties(reader, e->value, map.path_of("librdkafka"), reader.position(e->key_node));
    for (const MapView::Entry& p : properties.entries()) {
      auto v = reader.scalar(p.value, properties.path_of(p.key));
      if (!v) {
        continue;
      }
      if (Status s = check_kafka_sink_property(p.key, v->value); !s.ok()) {
        reader.report(reader.position(p.key_node), properties.path_of(p.key) + ": " + s.message());
        continue;
      }
      options.properties.emplace_back(p.key, v->value);
    }
  }
  out.options = std::move(options);
}

// The options the sink runs with: what its load read, its producer queue sized by the limit.
KafkaSinkOptions kafka_sink_options_of(const SinkConfig& config) {
  KafkaSinkOptions options = sink_options<KafkaSinkOptions>(config);
  size_producer_queue(options, config.memory_limit);
  return options;
}

std::unique_ptr<Sink> make_kafka(const SinkConfig& config) {
  return std::make_unique<KafkaSink>(kafka_sink_options_of(config));
}

uint64_t kafka_buffer_bytes(const SinkConfig& config) {
  return kafka_producer_buffer_bytes(kafka_sink_options_of(config));
}

// tcp ----------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 1> kTcpSinkKeys{"address"};

void load_tcp(YamlReader& reader, MapView& map, SinkConfig& out) {
  TcpSinkOptions options;
  options.name = out.name;
  if (auto* n = map.require("address")) {
    if (auto v = reader.host_port(*n, map.path_of("address"), /*allow_port_zero=*/false)) {
      options.address = *v;
    }
  }
  out.options = std::move(options);
}

std::unique_ptr<Sink> make_tcp(const SinkConfig& config) {
  return std::make_unique<TcpSink>(sink_options<TcpSinkOptions>(config));
}

// stdout, null -------------------------------------------------------------------------------

void load_nothing(YamlReader& /*reader*/, MapView& /*map*/, SinkConfig& /*out*/) {}

std::unique_ptr<Sink> make_stdout(const SinkConfig& /*config*/) {
  return std::make_unique<StdoutSink>();
}

std::unique_ptr<Sink> make_null(const SinkConfig& /*config*/) {
  return std::make_unique<NullSink>();
}

// The table ----------------------------------------------------------------------------------

const std::array<SinkKind, 5> kSinkKinds{{
    {"stdout", {}, load_nothing, make_stdout},
    {"file", kFileSinkKeys, load_file, make_file},
    {"null", {}, load_nothing, make_null},
    {"kafka", kKafkaSinkKeys, load_kafka, make_kafka, kafka_buffer_bytes},
    {"tcp", kTcpSinkKeys, load_tcp, make_tcp},
}};

// Every sink kind of the contract is built.
constexpr std::array<std::string_view, 0> kUnbuiltSinkKinds{};

}  // namespace

std::span<const SinkKind> sink_kinds() { return kSinkKinds; }

const SinkKind* find_sink_kind(std::string_view name) { return find_kind(sink_kinds(), name); }

std::span<const std::string_view> unbuilt_sink_kinds() { return kUnbuiltSinkKinds; }

std::span<const std::string_view> sink_common_keys() { return kSinkCommonKeys; }

bool load_sink_kind(YamlReader& reader, MapView& map, SinkConfig& sink) {
  const std::vector<KindKeys> kinds = kind_keys(sink_kinds());
  const SinkKind* kind = nullptr;
  KindChoice choice;
  if (auto* n = map.require("type")) {
    choice = kind_choice(reader, *n, map.path_of("type"), kinds, kUnbuiltSinkKinds, "sink type");
    if (choice.index) {
      kind = &kSinkKinds[*choice.index];
      sink.type_position = reader.position(*n);
    }
  }
  if (kind == nullptr) {
    if (!choice.unbuilt) {
      check_any_kind_keys(reader, map, kSinkCommonKeys, kinds);
    }
    return false;
  }
  check_typed_keys(reader, map, concat(kSinkCommonKeys, kind->keys), kinds, "sink type",
                   kind->name);
  sink.type = std::string(kind->name);
  kind->load(reader, map, sink);
  return true;
}

}  // namespace sluice
