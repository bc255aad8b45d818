#include "config/sink_kinds.h"

#include <array>

#include "config/key_checks.h"
#include "config/yaml_reader.h"
#include "stages/sinks/file_sink.h"
#include "stages/sinks/file_sink_options.h"
#include "stages/sinks/stdout_sink.h"

namespace sluice {
namespace {

constexpr std::array<std::string_view, 6> kCommonKeys{"type",    "encoding", "fields",
                                                      "columns", "header",   "delimiter"};

// file ---------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 1> kFileKeys{"path"};

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

// stdout, null -------------------------------------------------------------------------------

void load_nothing(YamlReader& /*reader*/, MapView& /*map*/, SinkConfig& /*out*/) {}

std::unique_ptr<Sink> make_stdout(const SinkConfig& /*config*/) {
  return std::make_unique<StdoutSink>();
}

std::unique_ptr<Sink> make_null(const SinkConfig& /*config*/) {
  return std::make_unique<NullSink>();
}

// The table ----------------------------------------------------------------------------------

const std::array<SinkKind, 3> kSinkKinds{{
    {"stdout", {}, load_nothing, make_stdout},
    {"file", kFileKeys, load_file, make_file},
    {"null", {}, load_nothing, make_null},
}};

// tcp comes with the TCP issue, kafka with the Kafka issue: each then adds a row above and leaves
// this list.
constexpr std::array<std::string_view, 2> kUnbuiltSinkKinds{"tcp", "kafka"};

}  // namespace

std::span<const SinkKind> sink_kinds() { return kSinkKinds; }

const SinkKind* find_sink_kind(std::string_view name) { return find_kind(sink_kinds(), name); }

std::span<const std::string_view> unbuilt_sink_kinds() { return kUnbuiltSinkKinds; }

std::span<const std::string_view> sink_common_keys() { return kCommonKeys; }

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
      check_any_kind_keys(reader, map, kCommonKeys, kinds);
    }
    return false;
  }
  check_typed_keys(reader, map, concat(kCommonKeys, kind->keys), kinds, "sink type", kind->name);
  sink.type = std::string(kind->name);
  kind->load(reader, map, sink);
  return true;
}

}  // namespace sluice
