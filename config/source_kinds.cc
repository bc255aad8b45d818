#include "config/source_kinds.h"

#include <array>
#include <cassert>
#include <cmath>

#include "config/kafka_checks.h"
#include "config/key_checks.h"
#include "config/limits.h"
#include "config/yaml_reader.h"
#include "stages/ingest/file_source.h"
#include "stages/ingest/generate_source.h"
#include "stages/ingest/kafka_source.h"
#include "stages/ingest/octet_counting_framer.h"
#include "stages/ingest/record_framer.h"
#include "stages/ingest/stdin_source.h"
#include "stages/ingest/tcp_source.h"
#include "stages/ingest/udp_source.h"

namespace sluice {
namespace {

constexpr std::array<std::string_view, 2> kSourceCommonKeys{"type", "max_event_bytes"};

// The stream reader options every reading source shares, from the validated config.
StreamReaderOptions reader_options(const SourceConfig& config) {
  assert(config.max_event_bytes >= kMinEventBytes);
  StreamReaderOptions reader;
  reader.max_event_bytes = config.max_event_bytes;
  return reader;
}

// file ---------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 5> kFileSourceKeys{"paths", "exclude", "read_from", "follow",
                                                          "poll_interval"};
constexpr std::array<std::string_view, 2> kReadFrom{"beginning", "end"};

void load_file(YamlReader& reader, MapView& map, SourceConfig& out) {
  FileSourceOptions options;
  if (auto* n = map.require("paths")) {
    if (auto v = reader.string_list(*n, map.path_of("paths"), true, false)) {
      options.paths = std::move(*v);
    }
  }
  if (auto* n = map.get("exclude")) {
    if (auto v = reader.string_list(*n, map.path_of("exclude"), true, true)) {
      options.exclude = std::move(*v);
    }
  }
  if (auto* n = map.get("read_from")) {
    if (auto v = reader.choice(*n, map.path_of("read_from"), kReadFrom)) {
      options.read_from_end = *v == 1;
    }
  }
  if (auto* n = map.get("follow")) {
    if (auto v = reader.boolean(*n, map.path_of("follow"))) {
      options.follow = *v;
    }
  }
  if (auto* n = map.get("poll_interval")) {
    const std::string path = map.path_of("poll_interval");
    if (auto v = reader.duration(*n, path)) {
      const auto ms = static_cast<int64_t>(std::llround(*v * 1000));
      if (ms < kMinPollIntervalMs || ms > kMaxPollIntervalMs) {
        auto text = reader.scalar(*n, path);
        reader.report(reader.position(*n), path + ": must be between 10ms and 1h, got '" +
                                               (text ? text->value : std::string()) + "'");
      } else {
        options.poll_interval_ms = static_cast<int>(ms);
      }
    }
  }
  out.options = std::move(options);
}

std::unique_ptr<Source> make_file(const SourceConfig& config, const ParseOptions& parse,
                                  const Schema& schema) {
  FileSourceOptions options = source_options<FileSourceOptions>(config);
  options.reader = reader_options(config);
  options.checkpoint_file = file_checkpoint_path(config.data_dir, config.pipeline);
  options.exactly_once_outputs = config.exactly_once_outputs;
  return std::make_unique<FileSource>(options,
                                      [&parse, &schema] { return make_framer(parse, schema); });
}

// stdin --------------------------------------------------------------------------------------

void load_stdin(YamlReader& /*reader*/, MapView& /*map*/, SourceConfig& /*out*/) {}

std::unique_ptr<Source> make_stdin(const SourceConfig& config, const ParseOptions& parse,
                                   const Schema& schema) {
  return std::make_unique<StdinSource>(make_framer(parse, schema), reader_options(config));
}

// generate -----------------------------------------------------------------------------------

constexpr std::array<std::string_view, 4> kGenerateKeys{"format", "count", "rate", "seed"};
constexpr std::array<std::string_view, 3> kGenerateFormats{"csv", "text", "json"};

void load_generate(YamlReader& reader, MapView& map, SourceConfig& out) {
  GenerateSourceOptions options;
  if (auto* n = map.get("format")) {
    if (auto v = reader.choice(*n, map.path_of("format"), kGenerateFormats)) {
      bool known = EventGenerator::parse_format(kGenerateFormats[*v], options.format);
      assert(known);
      (void)known;
    }
  }
  if (auto* n = map.get("count")) {
    if (auto v = reader.unsigned_integer(*n, map.path_of("count"))) {
      options.count = *v;
    }
  }
  if (auto* n = map.get("rate")) {
    if (auto v = reader.number(*n, map.path_of("rate"), true)) {
      options.rate = *v;
    }
  }
  if (auto* n = map.get("seed")) {
    if (auto v = reader.unsigned_integer(*n, map.path_of("seed"))) {
      options.seed = *v;
    }
  }
  out.options = options;
}

std::unique_ptr<Source> make_generate(const SourceConfig& config, const ParseOptions& parse,
                                      const Schema& schema) {
  return std::make_unique<GenerateSource>(make_framer(parse, schema),
                                          source_options<GenerateSourceOptions>(config));
}

// kafka ----------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 5> kKafkaSourceKeys{"brokers", "topics", "group", "start",
                                                           "librdkafka"};
constexpr std::array<std::string_view, 2> kKafkaStart{"earliest", "latest"};

// Everything that can be checked without a broker is checked here, each problem at its value.
void load_kafka(YamlReader& reader, MapView& map, SourceConfig& out) {
  KafkaSourceOptions options;
  if (auto* n = map.require("brokers")) {
    if (auto v = reader.scalar(*n, map.path_of("brokers"))) {
      check_kafka_brokers(reader, *n, map.path_of("brokers"), *v);
      options.brokers = std::move(v->value);
    }
  }
  if (auto* n = map.require("topics")) {
    if (auto v = reader.string_list(*n, map.path_of("topics"), true, false)) {
      for (size_t i = 0; i < v->size(); ++i) {
        if (Status s = check_kafka_topic((*v)[i]); !s.ok()) {
          reader.report(reader.position(n->IsSequence() ? (*n)[i] : *n),
                        map.path_of("topics") + ": " + s.message());
        }
      }
      options.topics = std::move(*v);
    }
  }
  if (auto* n = map.require("group")) {
    if (auto v = reader.string(*n, map.path_of("group"))) {
      options.group = std::move(*v);
    }
  }
  if (auto* n = map.get("start")) {
    if (auto v = reader.choice(*n, map.path_of("start"), kKafkaStart)) {
      options.start_latest = *v == 1;
    }
  }
  if (const MapView::Entry* e = map.entry("librdkafka")) {
    MapView properties(reader, e->value, map.path_of("librdkafka"), reader.position(e->key_node));
    for (const MapView::Entry& p : properties.entries()) {
      auto value = reader.scalar(p.value, properties.path_of(p.key));
      if (!value) {
        continue;
      }
      bool unknown = false;
      if (Status s = check_kafka_source_property(p.key, value->value, unknown); !s.ok()) {
        reader.report(reader.position(unknown ? p.key_node : p.value),
                      properties.path_of(p.key) + ": " + s.message());
      }
      options.properties.emplace_back(p.key, value->value);
    }
  }
  out.options = std::move(options);
}

// The options the source runs with: what its load read, sized by the pipeline and the limit.
KafkaSourceOptions kafka_source_options_of(const SourceConfig& config) {
  KafkaSourceOptions options = source_options<KafkaSourceOptions>(config);
  options.max_event_bytes = config.max_event_bytes;
  options.prefetch_bytes = kafka_prefetch_bytes(config.queue_max_bytes, config.memory_limit);
  return options;
}

std::unique_ptr<Source> make_kafka(const SourceConfig& config, const ParseOptions& /*parse*/,
                                   const Schema& /*schema*/) {
  return std::make_unique<KafkaSource>(kafka_source_options_of(config));
}

uint64_t kafka_buffer_bytes(const SourceConfig& config) {
  return kafka_consumer_buffers(kafka_source_options_of(config)).bytes();
}

// udp ----------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 2> kUdpSourceKeys{"listen", "receive_buffer"};

void load_udp(YamlReader& reader, MapView& map, SourceConfig& out) {
  UdpSourceOptions options;
  if (auto* n = map.require("listen")) {
    if (auto v = reader.host_port(*n, map.path_of("listen"), /*allow_port_zero=*/true)) {
      options.listen = *v;
    }
  }
  if (auto* n = map.get("receive_buffer")) {
    options.receive_buffer = reader.size(*n, map.path_of("receive_buffer"), 1);
  }
  out.options = std::move(options);
}

// tcp ------------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 4> kTcpSourceKeys{"listen", "framing", "max_connections",
                                                         "idle_timeout"};
constexpr std::array<std::string_view, 3> kTcpFraming{"newline", "octet_counting", "auto"};

void load_tcp(YamlReader& reader, MapView& map, SourceConfig& out) {
  TcpSourceOptions options;
  if (auto* n = map.require("listen")) {
    if (auto v = reader.host_port(*n, map.path_of("listen"), /*allow_port_zero=*/true)) {
      options.listen = std::move(*v);
    }
  }
  if (auto* n = map.get("framing")) {
    if (auto v = reader.choice(*n, map.path_of("framing"), kTcpFraming)) {
      options.framing = static_cast<TcpFraming>(*v);
    }
  }
  if (auto* n = map.get("max_connections")) {
    if (auto v = reader.integer(*n, map.path_of("max_connections"), 1, 1 << 20)) {
      options.max_connections = static_cast<size_t>(*v);
    }
  }
  if (auto* n = map.get("idle_timeout")) {
    if (auto v = reader.duration(*n, map.path_of("idle_timeout"))) {
      options.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(*v * 1000));
    }
  }
  out.options = std::move(options);
}

std::unique_ptr<Source> make_udp(const SourceConfig& config, const ParseOptions& parse,
                                 const Schema& schema) {
  UdpSourceOptions options = source_options<UdpSourceOptions>(config);
  options.max_event_bytes = config.max_event_bytes;
  return std::make_unique<UdpSource>(std::move(options), make_framer(parse, schema));
}

std::unique_ptr<Source> make_tcp(const SourceConfig& config, const ParseOptions& parse,
                                 const Schema& schema) {
  TcpSourceOptions options = source_options<TcpSourceOptions>(config);
  options.reader = reader_options(config);
  const size_t max_event_bytes = options.reader.max_event_bytes;
  return std::make_unique<TcpSource>(
      options,
      [&parse, &schema, max_event_bytes](bool octet_counting) -> std::unique_ptr<RecordFramer> {
        if (octet_counting) {
          return std::make_unique<OctetCountingFramer>(parse, schema, max_event_bytes);
        }
        return make_framer(parse, schema);
      });
}

// The table ----------------------------------------------------------------------------------

const std::array<SourceKind, 6> kSourceKinds{{
    {"file", kFileSourceKeys, load_file, make_file},
    {"stdin", {}, load_stdin, make_stdin},
    {"generate", kGenerateKeys, load_generate, make_generate},
    {"kafka", kKafkaSourceKeys, load_kafka, make_kafka,
     "a Kafka message is one record with no stream start to take names from; give `columns`",
     "a Kafka source pauses its partitions when the pipeline is full, and a dropped batch would "
     "hold its partition's offset back for good",
     kafka_buffer_bytes},
    {"udp", kUdpSourceKeys, load_udp, make_udp,
     "a datagram is not the start of a stream to take names from; give `columns`"},
    {"tcp", kTcpSourceKeys, load_tcp, make_tcp,
     "senders over TCP send records, not a file with its header line (and an octet-counted "
     "message is one record); give `columns`"},
}};

// Every source kind of the contract is built.
constexpr std::array<std::string_view, 0> kUnbuiltSourceKinds{};

}  // namespace

std::span<const SourceKind> source_kinds() { return kSourceKinds; }

const SourceKind* find_source_kind(std::string_view name) {
  return find_kind(source_kinds(), name);
}

std::span<const std::string_view> unbuilt_source_kinds() { return kUnbuiltSourceKinds; }

std::optional<ConfigPosition> load_source(YamlReader& reader, const YAML::Node& key_node,
                                          const YAML::Node& value, const std::string& path,
                                          SourceConfig& source) {
  MapView map(reader, value, path, reader.position(key_node));
  if (!map.ok()) {
    return std::nullopt;
  }
  const std::vector<KindKeys> kinds = kind_keys(source_kinds());
  const SourceKind* kind = nullptr;
  KindChoice choice;
  if (auto* n = map.require("type")) {
    choice =
        kind_choice(reader, *n, map.path_of("type"), kinds, kUnbuiltSourceKinds, "source type");
    if (choice.index) {
      kind = &kSourceKinds[*choice.index];
      source.type_position = reader.position(*n);
    }
  }
  if (kind != nullptr) {
    check_typed_keys(reader, map, concat(kSourceCommonKeys, kind->keys), kinds, "source type",
                     kind->name);
  } else if (!choice.unbuilt) {
    // A misspelt or missing type: flag only keys no kind takes. An unbuilt kind's keys are its
    // own, and its type is already refused.
    check_any_kind_keys(reader, map, kSourceCommonKeys, kinds);
  }
  if (auto* n = map.get("max_event_bytes")) {
    if (auto v = reader.size(*n, map.path_of("max_event_bytes"), kMinEventBytes,
                             "the stream reader cuts records only past that length, so a "
                             "smaller limit would not hold")) {
      source.max_event_bytes = *v;
    }
  }
  if (kind == nullptr) {
    return std::nullopt;
  }
  source.type = std::string(kind->name);
  kind->load(reader, map, source);
  return source.type_position;
}

}  // namespace sluice
