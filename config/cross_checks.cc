#include "config/cross_checks.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/exactly_once_checks.h"
#include "config/sink_kinds.h"
#include "config/size_parser.h"
#include "config/source_kinds.h"
#include "config/suggestion.h"
#include "stages/ingest/stream_reader.h"
#include "stages/parse/regex_parser.h"
#include "stages/parse/syslog_parser.h"
#include "stages/schema.h"
#include "stages/sinks/encoder.h"

namespace sluice {
namespace {

void check_sink_references(YamlReader& reader, Config& config, const LoadRecord& record) {
  std::map<std::string, size_t, std::less<>> index;
  std::vector<std::string_view> names;
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    index[config.sinks[i].name] = i;
    names.push_back(config.sinks[i].name);
  }
  std::vector<bool> dead_letter(config.sinks.size(), false);
  for (const std::vector<SinkRef>& refs : record.pipeline_sinks) {
    for (const SinkRef& ref : refs) {
      auto it = index.find(ref.name);
      if (it == index.end()) {
        reader.report(ref.at, std::string(ref.dead_letter ? "dead_letter names" : "route to") +
                                  " unknown sink '" + ref.name + "'" +
                                  did_you_mean(ref.name, names));
      } else if (ref.dead_letter) {
        dead_letter[it->second] = true;
      }
    }
  }
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    config.sinks[i].encoding.dead_letter = dead_letter[i];
  }
  // A dead-letter sink writes _raw, _source and _error: events routed to it would be written
  // that way too, which is never what was meant.
  for (const std::vector<SinkRef>& refs : record.pipeline_sinks) {
    for (const SinkRef& ref : refs) {
      auto it = index.find(ref.name);
      if (it != index.end() && !ref.dead_letter && dead_letter[it->second]) {
        reader.report(ref.at, "sink '" + ref.name +
                                  "' is a dead_letter sink and cannot also be a route target");
      }
    }
  }
}

// Two stdin sources would take turns reading the one stream and each get part of every record
// that straddles their reads: corrupt events, not a shared input.
void check_single_stdin(YamlReader& reader, const Config& config) {
  const PipelineConfig* first = nullptr;
  for (const PipelineConfig& pipeline : config.pipelines) {
    if (pipeline.source.type != "stdin" || pipeline.source.type_position.line == 0) {
      continue;
    }
    if (first == nullptr) {
      first = &pipeline;
      continue;
    }
    reader.report(pipeline.source.type_position,
                  "pipelines." + pipeline.name + ".source.type: pipeline '" + first->name +
                      "' already reads stdin; only one pipeline can read it (two would split "
                      "its input between them)");
  }
}

void check_encoders(YamlReader& reader, const Config& config, const LoadRecord& record) {
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    const EncodingCheck& check = record.encoding_checks[i];
    if (!check.valid) {
      continue;
    }
    Schema schema;
    auto encoder = make_encoder(config.sinks[i].encoding, schema);
    if (!encoder.ok()) {
      reader.report(check.at, check.path + ": " + encoder.status().message());
    }
  }
}

// The fields every parsed event of `parse` may have, when the config alone says so: csv
// `columns`, the regex's named groups, `message` for none, the syslog fields; nullopt when only the
// input knows (json, csv `header: true`) or the pattern is invalid (reported elsewhere).
std::optional<std::vector<std::string>> known_fields(const ParseOptions& parse) {
  switch (parse.format) {
    case ParseOptions::Format::kCsv:
      if (parse.header) {
        return std::nullopt;
      }
      return parse.columns;
    case ParseOptions::Format::kRegex: {
      auto names = regex_field_names(parse.pattern);
      if (!names.ok()) {
        return std::nullopt;
      }
      return std::move(names.value());
    }
    case ParseOptions::Format::kNone:
      return std::vector<std::string>{"message"};
    case ParseOptions::Format::kSyslog:
      return std::vector<std::string>(kSyslogFieldNames.begin(), kSyslogFieldNames.end());
    case ParseOptions::Format::kJson:
      return std::nullopt;
  }
  return std::nullopt;
}

// A kafka sink's `key` that no event routed to it can have would send every message without a
// key (all to librdkafka's partitioner, none grouped by the field): a typo, refused at its value.
// Metadata fields (`_source`, ...) are on every event.
void check_kafka_keys(YamlReader& reader, const Config& config, const LoadRecord& record) {
  for (size_t p = 0; p < config.pipelines.size() && p < record.pipeline_sinks.size(); ++p) {
    const PipelineConfig& pipeline = config.pipelines[p];
    const auto fields = known_fields(pipeline.parse);
    if (!fields) {
      continue;
    }
    std::set<std::string_view> reported;
    for (const SinkRef& ref : record.pipeline_sinks[p]) {
      auto it = std::find_if(config.sinks.begin(), config.sinks.end(),
                             [&ref](const SinkConfig& s) { return s.name == ref.name; });
      const SinkConfig* sink = it != config.sinks.end() ? &*it : nullptr;
      if (ref.dead_letter || sink == nullptr || sink->type != "kafka" ||
          sink->encoding.key.empty() || sink->encoding.key.front() == '_' ||
          std::find(fields->begin(), fields->end(), sink->encoding.key) != fields->end() ||
          !reported.insert(sink->name).second) {
        continue;
      }
      std::string listed;
      for (const std::string& f : *fields) {
        listed += (listed.empty() ? "" : ", ") + f;
      }
      reader.report(sink->key_position,
                    "sinks." + sink->name + ".key: pipeline '" + pipeline.name +
                        "' routes here, and its events have no field '" + sink->encoding.key + "'" +
                        did_you_mean(sink->encoding.key, std::vector<std::string_view>(
                                                             fields->begin(), fields->end())) +
                        "; its fields are " + listed);
    }
  }
}

// What the client libraries' buffers reserve from memory_limit (Kafka's pre-fetch and producer
// queues), and who takes it, as "2MiB for the source of pipeline 'p', 1MiB for sink 'k'".
struct LibraryReservations {
  uint64_t bytes = 0;
  std::string shares;
  void add(uint64_t share, const std::string& who) {
    if (share == 0) {
      return;
    }
    bytes += share;
    shares += (shares.empty() ? "" : ", ") + format_size(share) + " for " + who;
  }
};

LibraryReservations library_reservations(const Config& config) {
  LibraryReservations reservations;
  for (const PipelineConfig& pipeline : config.pipelines) {
    const SourceKind* kind = find_source_kind(pipeline.source.type);
    if (kind != nullptr && kind->library_buffer_bytes != nullptr &&
        pipeline.source.options.has_value()) {
      reservations.add(kind->library_buffer_bytes(pipeline.source),
                       "the source of pipeline '" + pipeline.name + "'");
    }
  }
  for (const SinkConfig& sink : config.sinks) {
    const SinkKind* kind = find_sink_kind(sink.type);
    if (kind != nullptr && kind->library_buffer_bytes != nullptr && sink.options.has_value()) {
      reservations.add(kind->library_buffer_bytes(sink), "sink '" + sink.name + "'");
    }
  }
  return reservations;
}

// A pipeline's source may need one read buffer of max(512 KiB, 2 x max_event_bytes): the reader
// carries an incomplete record of up to max_event_bytes into a buffer twice its size. Under a
// memory_limit that cannot grant it beside the client libraries' reserved buffers, that source
// can never make progress; refused here, with the smallest limit that works, rather than found
// as a stall at run time.
void check_memory_limit(YamlReader& reader, const Config& config, ConfigPosition at,
                        bool is_default) {
  const uint64_t read_bytes = StreamReaderOptions{}.batch_bytes;
  uint64_t buffer_bytes = 0;
  uint64_t event_bytes = 0;
  const PipelineConfig* neediest = nullptr;
  for (const PipelineConfig& pipeline : config.pipelines) {
    uint64_t event = pipeline.source.max_event_bytes;
    uint64_t buffer = event > UINT64_MAX / 2 ? UINT64_MAX : 2 * event;
    buffer = std::max(buffer, read_bytes);
    if (buffer > buffer_bytes) {
      buffer_bytes = buffer;
      event_bytes = event;
      neediest = &pipeline;
    }
  }
  if (neediest == nullptr) {
    return;
  }
  const LibraryReservations reserved = library_reservations(config);
  const uint64_t needed =
      buffer_bytes > UINT64_MAX - reserved.bytes ? UINT64_MAX : buffer_bytes + reserved.bytes;
  if (config.memory_limit >= needed) {
    return;
  }
  const std::string limit =
      "memory_limit " + format_size(config.memory_limit) + (is_default ? " (the default)" : "");
  const std::string reads = "reads records of up to max_event_bytes " + format_size(event_bytes) +
                            " into buffers of " + format_size(buffer_bytes);
  const std::string smallest =
      "; the smallest workable memory_limit for this configuration is " + format_size(needed);
  if (reserved.bytes == 0) {
    reader.report(
        at, limit + " is too small for pipeline '" + neediest->name + "': it " + reads + smallest);
    return;
  }
  reader.report(at, limit + " is too small: librdkafka's buffers take " +
                        format_size(reserved.bytes) + " of it (" + reserved.shares +
                        "), and pipeline '" + neediest->name + "' " + reads + smallest);
}

}  // namespace

void run_cross_checks(YamlReader& reader, Config& config, const LoadRecord& record) {
  check_sink_references(reader, config, record);
  check_single_stdin(reader, config);
  check_encoders(reader, config, record);
  check_kafka_keys(reader, config, record);
  check_exactly_once(reader, config, record);
  if (record.memory_limit_at) {
    check_memory_limit(reader, config, *record.memory_limit_at, record.memory_limit_default);
  }
}

}  // namespace sluice
