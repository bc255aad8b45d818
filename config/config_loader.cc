#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <exception>
#include <map>
#include <utility>

#include "config/size_parser.h"
#include "config/suggestion.h"
#include "config/yaml_reader.h"
#include "stages/filter/expression.h"
#include "stages/ingest/stream_reader.h"
#include "stages/parse/parser.h"
#include "stages/schema.h"
#include "stages/sinks/encoder.h"

namespace sluice {
namespace {

using Names = std::span<const std::string_view>;

constexpr std::array<std::string_view, 6> kTopKeys{"data_dir",         "memory_limit", "metrics",
                                                   "shutdown_timeout", "pipelines",    "sinks"};
constexpr std::array<std::string_view, 8> kPipelineKeys{
    "source", "parse", "filter", "routes", "dead_letter", "queue", "threads", "delivery"};

// Indexes match SourceConfig::Type.
constexpr std::array<std::string_view, 6> kSourceTypes{"file", "stdin", "tcp",
                                                       "udp",  "kafka", "generate"};
constexpr std::array<std::string_view, 2> kSourceCommonKeys{"type", "max_event_bytes"};
constexpr std::array<std::string_view, 3> kFileKeys{"paths", "read_from", "follow"};
constexpr std::array<std::string_view, 3> kTcpKeys{"listen", "framing", "max_connections"};
constexpr std::array<std::string_view, 1> kUdpKeys{"listen"};
constexpr std::array<std::string_view, 5> kKafkaSourceKeys{"brokers", "topics", "group", "start",
                                                           "librdkafka"};
constexpr std::array<std::string_view, 4> kGenerateKeys{"format", "count", "rate", "seed"};
// The source and sink types the daemon builds today (daemon/pipeline.cc, daemon/runtime.cc). The
// others belong to the contract (SPEC §2) but are refused here until they exist, so that
// `validate` never accepts a configuration that `run` then rejects. Indexes match the type lists.
constexpr std::array<bool, 6> kSourceTypeBuilt{true, true, false, false, false, true};
constexpr std::array<bool, 5> kSinkTypeBuilt{true, true, false, false, true};

// Pipeline and sink names end up in log lines, metric labels and the one-line-per-pipeline run
// summary: long enough for any real name, short enough that a line stays readable.
constexpr size_t kMaxNameBytes = 128;

// The stream reader never frames with a max_event_bytes below this (stages/ingest/stream_reader.cc
// floors it), so the memory a source needs is computed from it too.
constexpr uint64_t kReaderMinEventBytes = 4096;

const std::array<Names, 6> kSourceKeysByType{Names{kFileKeys},        Names{},
                                             Names{kTcpKeys},         Names{kUdpKeys},
                                             Names{kKafkaSourceKeys}, Names{kGenerateKeys}};

// Indexes match ParseOptions::Format.
constexpr std::array<std::string_view, 4> kParseFormats{"csv", "regex", "json", "none"};
constexpr std::array<std::string_view, 2> kParseCommonKeys{"format", "types"};
constexpr std::array<std::string_view, 4> kCsvKeys{"delimiter", "quote", "header", "columns"};
constexpr std::array<std::string_view, 1> kRegexKeys{"pattern"};
const std::array<Names, 4> kParseKeysByFormat{Names{kCsvKeys}, Names{kRegexKeys}, Names{}, Names{}};
constexpr std::array<std::string_view, 5> kTypeNames{"int", "float", "bool", "string", "timestamp"};

// Indexes match SinkConfig::Type.
constexpr std::array<std::string_view, 5> kSinkTypes{"stdout", "file", "tcp", "kafka", "null"};
constexpr std::array<std::string_view, 6> kSinkCommonKeys{"type",    "encoding", "fields",
                                                          "columns", "header",   "delimiter"};
constexpr std::array<std::string_view, 1> kFileSinkKeys{"path"};
constexpr std::array<std::string_view, 1> kTcpSinkKeys{"address"};
constexpr std::array<std::string_view, 4> kKafkaSinkKeys{"brokers", "topic", "key", "librdkafka"};
const std::array<Names, 5> kSinkKeysByType{Names{}, Names{kFileSinkKeys}, Names{kTcpSinkKeys},
                                           Names{kKafkaSinkKeys}, Names{}};
// Indexes match EncoderOptions::Kind.
constexpr std::array<std::string_view, 3> kEncodings{"json", "csv", "raw"};
constexpr std::array<std::string_view, 5> kEncodingMapKeys{"codec", "fields", "columns", "header",
                                                           "delimiter"};

constexpr std::array<std::string_view, 2> kReadFrom{"beginning", "end"};
constexpr std::array<std::string_view, 2> kFraming{"newline", "octet_counting"};
constexpr std::array<std::string_view, 2> kStart{"earliest", "latest"};
constexpr std::array<std::string_view, 3> kGenerateFormats{"csv", "text", "json"};
constexpr std::array<std::string_view, 2> kOnFull{"block", "drop_newest"};
constexpr std::array<std::string_view, 2> kDelivery{"at_least_once", "exactly_once"};

// `text` with control characters written as escapes (\n, \t, \x1b), so that a name or value
// quoted in a message can never split the message's line or drive a terminal.
std::string escape_controls(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

// The first control character of `text`, C0, DEL or (UTF-8 encoded) C1, as its offset; npos if
// none.
size_t find_control(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      return i;
    }
    if (byte == 0xc2 && i + 1 < text.size()) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) {
        return i;
      }
    }
  }
  return std::string_view::npos;
}

bool contains(Names names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string_view> concat(Names a, Names b) {
  std::vector<std::string_view> out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// A sink name used by a pipeline, kept until every sink is known.
struct SinkRef {
  std::string name;
  ConfigPosition at;
  bool dead_letter = false;
};

struct PipelineRefs {
  std::vector<SinkRef> sinks;
  ConfigPosition delivery_at;
  bool source_type_known = false;  // false: source.type is only the default, say nothing of it
};

class ConfigLoader {
 public:
  ConfigLoader(std::string_view text, const EnvLookup& env, LoadedConfig* out)
      : text_(text),
        shield_(text),
        reader_(text, env, &out->problems, &shield_),
        config_(out->config) {}

  void run() {
    try {
      load();
    } catch (const YAML::Exception& e) {
      int line = e.mark.is_null() ? 1 : e.mark.line + 1;
      int column = e.mark.is_null() ? 1 : e.mark.column + 1;
      // yaml-cpp quotes some of the text it stumbled on, which may hold placeholders.
      reader_.report({line, column}, "invalid YAML: " + reader_.restore(e.msg));
    }
  }

 private:
  void load() {
    YAML::Node root = YAML::Load(shield_.shielded());
    if (root.IsNull()) {
      reader_.report({1, 1}, "the configuration is empty; it needs at least 'pipelines'");
      return;
    }
    MapView top(reader_, root, "", {1, 1});
    if (!top.ok()) {
      return;
    }
    top.check_keys(kTopKeys);
    if (auto* n = top.get("data_dir")) {
      if (auto v = reader_.string(*n, "data_dir")) {
        config_.data_dir = *v;
      }
    }
    // Where memory_limit is judged against what the pipelines need; nullopt when it is invalid
    // (already reported). An absent memory_limit is the default, judged at the file's start.
    std::optional<ConfigPosition> memory_limit_at = ConfigPosition{1, 1};
    bool memory_limit_default = true;
    if (auto* n = top.get("memory_limit")) {
      memory_limit_default = false;
      memory_limit_at.reset();
      if (auto v = reader_.size(*n, "memory_limit", 1 << 20)) {
        config_.memory_limit = *v;
        memory_limit_at = reader_.position(*n);
      }
    }
    if (const MapView::Entry* e = top.entry("metrics")) {
      MapView metrics(reader_, e->value, "metrics", reader_.position(e->key_node));
      metrics.check_keys({"listen"});
      if (auto* n = metrics.require("listen")) {
        if (auto v = reader_.host_port(*n, "metrics.listen", true)) {
          config_.metrics_listen = *v;
        }
      }
    }
    if (auto* n = top.get("shutdown_timeout")) {
      if (auto v = reader_.duration(*n, "shutdown_timeout")) {
        config_.shutdown_timeout_s = *v;
      }
    }
    if (const MapView::Entry* e = top.entry("sinks")) {
      MapView sinks(reader_, e->value, "sinks", reader_.position(e->key_node));
      for (const MapView::Entry& sink : sinks.entries()) {
        load_sink(sink);
      }
    }
    if (top.require("pipelines") != nullptr) {
      const MapView::Entry* e = top.entry("pipelines");
      MapView pipelines(reader_, e->value, "pipelines", reader_.position(e->key_node));
      if (pipelines.ok() && pipelines.entries().empty()) {
        reader_.report(reader_.position(e->key_node), "pipelines: at least one is needed");
      }
      for (const MapView::Entry& pipeline : pipelines.entries()) {
        load_pipeline(pipeline);
      }
    }
    check_sink_references();
    check_encoders();
    if (memory_limit_at) {
      check_memory_limit(*memory_limit_at, memory_limit_default);
    }
  }

  // Reports keys outside `allowed`; a key that belongs to another `kind` (source type, parse
  // format, ...) is named as such, since that is the likelier mistake than a typo.
  void check_typed_keys(const MapView& map, Names allowed, std::span<const Names> by_kind,
                        Names kinds, std::string_view kind_label, std::string_view kind) {
    for (const MapView::Entry& e : map.entries()) {
      if (contains(allowed, e.key)) {
        continue;
      }
      ConfigPosition at = reader_.position(e.key_node);
      std::string applies_to;
      for (size_t k = 0; k < by_kind.size(); ++k) {
        if (contains(by_kind[k], e.key)) {
          applies_to += (applies_to.empty() ? "" : ", ") + std::string(kinds[k]);
        }
      }
      if (!applies_to.empty()) {
        reader_.report(at, map.path() + ": key '" + e.key + "' does not apply to " +
                               std::string(kind_label) + " " + std::string(kind) + " (only to " +
                               applies_to + ")");
      } else {
        reader_.report(at,
                       map.path() + ": unknown key '" + e.key + "'" + did_you_mean(e.key, allowed));
      }
    }
  }

  // Keys for a map whose kind is unknown (a bad `type:`): only flag what no kind accepts.
  void check_any_kind_keys(const MapView& map, Names common, std::span<const Names> by_kind) {
    std::vector<std::string_view> all(common.begin(), common.end());
    for (Names names : by_kind) {
      all.insert(all.end(), names.begin(), names.end());
    }
    for (const MapView::Entry& e : map.entries()) {
      if (!contains(all, e.key)) {
        reader_.report(reader_.position(e.key_node),
                       map.path() + ": unknown key '" + e.key + "'" + did_you_mean(e.key, all));
      }
    }
  }

  void load_librdkafka(const MapView& parent, std::map<std::string, std::string>& out) {
    const MapView::Entry* e = parent.entry("librdkafka");
    if (e == nullptr) {
      return;
    }
    MapView map(reader_, e->value, parent.path_of("librdkafka"), reader_.position(e->key_node));
    for (const MapView::Entry& property : map.entries()) {
      // Passed through to librdkafka, which validates names and values when the client starts.
      if (auto v = reader_.string(property.value, map.path_of(property.key), true)) {
        out[property.key] = *v;
      }
    }
  }

  // Returns where the source's `type` value is when it names a type this build has.
  std::optional<ConfigPosition> load_source(const MapView::Entry& e, const std::string& path,
                                            SourceConfig& source) {
    MapView map(reader_, e.value, path, reader_.position(e.key_node));
    if (!map.ok()) {
      return std::nullopt;
    }
    std::optional<size_t> type;
    std::optional<ConfigPosition> type_at;
    if (auto* n = map.require("type")) {
      type = reader_.choice(*n, map.path_of("type"), kSourceTypes, kSourceTypeBuilt, "source type");
      type_at = reader_.position(*n);
    }
    if (!type) {
      check_any_kind_keys(map, kSourceCommonKeys, kSourceKeysByType);
    } else {
      source.type = static_cast<SourceConfig::Type>(*type);
      check_typed_keys(map, concat(kSourceCommonKeys, kSourceKeysByType[*type]), kSourceKeysByType,
                       kSourceTypes, "source type", kSourceTypes[*type]);
    }
    if (auto* n = map.get("max_event_bytes")) {
      if (auto v = reader_.size(*n, map.path_of("max_event_bytes"), 16)) {
        source.max_event_bytes = *v;
      }
    }
    if (!type) {
      return std::nullopt;
    }
    switch (source.type) {
      case SourceConfig::Type::kFile:
        if (auto* n = map.require("paths")) {
          if (auto v = reader_.string_list(*n, map.path_of("paths"), true, false)) {
            source.paths = std::move(*v);
          }
        }
        if (auto* n = map.get("read_from")) {
          if (auto v = reader_.choice(*n, map.path_of("read_from"), kReadFrom)) {
            source.read_from_end = *v == 1;
          }
        }
        if (auto* n = map.get("follow")) {
          if (auto v = reader_.boolean(*n, map.path_of("follow"))) {
            source.follow = *v;
          }
        }
        break;
      case SourceConfig::Type::kStdin:
        break;
      case SourceConfig::Type::kTcp:
      case SourceConfig::Type::kUdp:
        if (auto* n = map.require("listen")) {
          if (auto v = reader_.host_port(*n, map.path_of("listen"), true)) {
            source.listen = *v;
          }
        }
        if (auto* n = map.get("framing")) {
          if (auto v = reader_.choice(*n, map.path_of("framing"), kFraming)) {
            source.octet_counting = *v == 1;
          }
        }
        if (auto* n = map.get("max_connections")) {
          if (auto v = reader_.integer(*n, map.path_of("max_connections"), 1, 1 << 20)) {
            source.max_connections = static_cast<int>(*v);
          }
        }
        break;
      case SourceConfig::Type::kKafka:
        if (auto* n = map.require("brokers")) {
          if (auto v = reader_.string(*n, map.path_of("brokers"))) {
            source.brokers = *v;
          }
        }
        if (auto* n = map.require("topics")) {
          if (auto v = reader_.string_list(*n, map.path_of("topics"), true, false)) {
            source.topics = std::move(*v);
          }
        }
        if (auto* n = map.require("group")) {
          if (auto v = reader_.string(*n, map.path_of("group"))) {
            source.group = *v;
          }
        }
        if (auto* n = map.get("start")) {
          if (auto v = reader_.choice(*n, map.path_of("start"), kStart)) {
            source.start_latest = *v == 1;
          }
        }
        load_librdkafka(map, source.librdkafka);
        break;
      case SourceConfig::Type::kGenerate:
        if (auto* n = map.get("format")) {
          if (auto v = reader_.choice(*n, map.path_of("format"), kGenerateFormats)) {
            source.format = std::string(kGenerateFormats[*v]);
          }
        }
        if (auto* n = map.get("count")) {
          if (auto v = reader_.unsigned_integer(*n, map.path_of("count"))) {
            source.count = *v;
          }
        }
        if (auto* n = map.get("rate")) {
          if (auto v = reader_.number(*n, map.path_of("rate"), true)) {
            source.rate = *v;
          }
        }
        if (auto* n = map.get("seed")) {
          if (auto v = reader_.unsigned_integer(*n, map.path_of("seed"))) {
            source.seed = *v;
          }
        }
        break;
    }
    return type_at;
  }

  // The nodes make_parser's errors are reported at.
  struct ParseNodes {
    bool valid = true;  // no problem found by the loader itself: worth asking make_parser
    ConfigPosition at;  // the `parse` key, or the pipeline when there is no parse block
    // Copies: the MapView they come from ends with load_parse.
    std::optional<YAML::Node> format;
    std::optional<YAML::Node> pattern;
    std::string path;
  };

  ParseNodes load_parse(const MapView::Entry& e, const std::string& path, ParseOptions& parse) {
    ParseNodes nodes;
    nodes.at = reader_.position(e.key_node);
    nodes.path = path;
    size_t problems_before = reader_.problem_count();
    MapView map(reader_, e.value, path, nodes.at);
    if (!map.ok()) {
      nodes.valid = false;
      return nodes;
    }
    std::optional<size_t> format;
    if (const YAML::Node* n = map.require("format")) {
      nodes.format = *n;
      format = reader_.choice(*n, map.path_of("format"), kParseFormats);
    }
    if (!format) {
      check_any_kind_keys(map, kParseCommonKeys, kParseKeysByFormat);
    } else {
      parse.format = static_cast<ParseOptions::Format>(*format);
      check_typed_keys(map, concat(kParseCommonKeys, kParseKeysByFormat[*format]),
                       kParseKeysByFormat, kParseFormats, "parse format", kParseFormats[*format]);
    }
    if (auto* n = map.get("delimiter")) {
      if (auto v = reader_.single_byte(*n, map.path_of("delimiter"))) {
        parse.delimiter = *v;
      }
    }
    if (auto* n = map.get("quote")) {
      if (auto v = reader_.single_byte(*n, map.path_of("quote"))) {
        parse.quote = *v;
      }
    }
    if (auto* n = map.get("header")) {
      if (auto v = reader_.boolean(*n, map.path_of("header"))) {
        parse.header = *v;
      }
    }
    const MapView::Entry* columns = map.entry("columns");
    if (columns != nullptr) {
      if (auto v = reader_.string_list(columns->value, map.path_of("columns"), false, false)) {
        parse.columns = std::move(*v);
      }
    }
    if (const YAML::Node* n = map.get("pattern")) {
      nodes.pattern = *n;
      if (auto v = reader_.string(*n, map.path_of("pattern"))) {
        parse.pattern = *v;
      }
    }
    if (const MapView::Entry* types_entry = map.entry("types")) {
      MapView types(reader_, types_entry->value, map.path_of("types"),
                    reader_.position(types_entry->key_node));
      for (const MapView::Entry& t : types.entries()) {
        if (auto v = reader_.choice(t.value, types.path_of(t.key), kTypeNames)) {
          parse.types.emplace_back(t.key, *field_type_from_name(kTypeNames[*v]));
        }
        if (format == 0 && !parse.columns.empty() &&
            std::find(parse.columns.begin(), parse.columns.end(), t.key) == parse.columns.end()) {
          reader_.report(reader_.position(t.key_node),
                         types.path() + ": '" + t.key + "' is not one of the columns" +
                             did_you_mean(t.key, column_names(parse)));
        }
      }
    }
    if (format == 0) {
      if (!parse.header && columns == nullptr) {
        reader_.report(nodes.at, path + ": csv needs 'header: true' or 'columns'");
      } else if (parse.header && columns != nullptr) {
        reader_.report(reader_.position(columns->key_node),
                       path + ": use either 'header: true' or 'columns', not both");
      }
    }
    if (format == 1 && !nodes.pattern) {
      map.require("pattern");
    }
    nodes.valid = reader_.problem_count() == problems_before;
    return nodes;
  }

  static std::vector<std::string_view> column_names(const ParseOptions& parse) {
    return std::vector<std::string_view>(parse.columns.begin(), parse.columns.end());
  }

  // Compiles an expression only to report its errors, mapped from the expression's column to the
  // file position.
  void check_expression(const YAML::Node& node, const ScalarText& text, const std::string& path,
                        Schema& schema) {
    Result<Expression> compiled = Expression::compile(text.value, schema);
    if (compiled.ok()) {
      return;
    }
    const Status& status = compiled.status();
    size_t offset = 0;
    for (int line = 1; line < status.line(); ++line) {
      size_t newline = text.value.find('\n', offset);
      if (newline == std::string::npos) {
        break;
      }
      offset = newline + 1;
    }
    if (status.column() > 0) {
      offset += static_cast<size_t>(status.column() - 1);
    }
    offset = std::min(offset, text.value.size());
    reader_.report(reader_.position_in(node, text.raw_offset(offset)),
                   path + ": " + status.message());
  }

  // A sink name, remembered with its position for check_sink_references.
  std::optional<std::string> sink_name(const YAML::Node& node, const std::string& path,
                                       bool dead_letter, PipelineRefs& refs) {
    auto name = reader_.string(node, path);
    if (name) {
      refs.sinks.push_back({*name, reader_.position_in(node, 0), dead_letter});
    }
    return name;
  }

  void load_routes(const MapView::Entry& e, const std::string& path, PipelineConfig& pipeline,
                   Schema& schema, PipelineRefs& refs) {
    if (!e.value.IsSequence()) {
      reader_.report(e.value.IsNull() ? reader_.position(e.key_node) : reader_.position(e.value),
                     path + ": expected a list of routes, " + reader_.got(e.value));
      return;
    }
    if (e.value.size() == 0) {
      reader_.report(reader_.position(e.value), path + ": at least one route is needed");
    }
    for (size_t i = 0; i < e.value.size(); ++i) {
      const YAML::Node item = e.value[i];
      std::string item_path = path + "[" + std::to_string(i) + "]";
      MapView map(reader_, item, item_path, reader_.position(item));
      if (!map.ok()) {
        continue;
      }
      map.check_keys({"when", "to", "continue"});
      RouteConfig route;
      if (auto* n = map.get("when")) {
        if (auto text = reader_.scalar(*n, map.path_of("when"))) {
          route.when = text->value;
          route.when_position = reader_.position_in(*n, 0);
          if (!route.when.empty()) {
            check_expression(*n, *text, map.path_of("when"), schema);
          }
        }
      }
      if (auto* n = map.require("to")) {
        if (n->IsSequence()) {
          if (n->size() == 0) {
            reader_.report(reader_.position(*n), map.path_of("to") + ": must not be empty");
          }
          for (size_t k = 0; k < n->size(); ++k) {
            auto name =
                sink_name((*n)[k], map.path_of("to") + "[" + std::to_string(k) + "]", false, refs);
            if (name) {
              route.to.push_back(*name);
            }
          }
        } else if (auto name = sink_name(*n, map.path_of("to"), false, refs)) {
          route.to.push_back(*name);
        }
      }
      if (auto* n = map.get("continue")) {
        if (auto v = reader_.boolean(*n, map.path_of("continue"))) {
          route.continue_ = *v;
        }
      }
      pipeline.routes.push_back(std::move(route));
    }
  }

  void load_pipeline(const MapView::Entry& e) {
    PipelineConfig pipeline;
    pipeline.name = e.key;
    const std::string path = "pipelines." + e.key;
    const ConfigPosition at = reader_.position(e.key_node);
    check_name(e, "pipelines", "pipeline");
    MapView map(reader_, e.value, path, at);
    if (!map.ok()) {
      return;
    }
    map.check_keys(kPipelineKeys);
    PipelineRefs refs;
    // A scratch schema: the daemon builds its own; this one lets expressions, parsers and
    // encoders be checked exactly as they will be built.
    Schema schema;

    if (map.require("source") != nullptr) {
      std::optional<ConfigPosition> type_at =
          load_source(*map.entry("source"), map.path_of("source"), pipeline.source);
      refs.source_type_known = type_at.has_value();
      if (type_at && pipeline.source.type == SourceConfig::Type::kStdin) {
        check_single_stdin(pipeline.name, *type_at, map.path_of("source") + ".type");
      }
    }
    ParseNodes parse_nodes;
    parse_nodes.at = at;
    parse_nodes.path = path;
    if (const MapView::Entry* parse = map.entry("parse")) {
      parse_nodes = load_parse(*parse, map.path_of("parse"), pipeline.parse);
    }
    for (const auto& [name, type] : pipeline.parse.types) {
      schema.declare_type(schema.intern(name), type);
    }
    if (auto* n = map.get("filter")) {
      if (auto text = reader_.scalar(*n, map.path_of("filter"))) {
        pipeline.filter = text->value;
        pipeline.filter_position = reader_.position_in(*n, 0);
        if (!pipeline.filter.empty()) {
          check_expression(*n, *text, map.path_of("filter"), schema);
        }
      }
    }
    if (map.require("routes") != nullptr) {
      load_routes(*map.entry("routes"), map.path_of("routes"), pipeline, schema, refs);
    }
    if (auto* n = map.get("dead_letter")) {
      if (auto name = sink_name(*n, map.path_of("dead_letter"), true, refs)) {
        pipeline.dead_letter = *name;
      }
    }
    if (const MapView::Entry* q = map.entry("queue")) {
      MapView queue(reader_, q->value, map.path_of("queue"), reader_.position(q->key_node));
      queue.check_keys({"max_bytes", "on_full"});
      if (auto* n = queue.get("max_bytes")) {
        if (auto v = reader_.size(*n, queue.path_of("max_bytes"), 1024)) {
          pipeline.queue_max_bytes = *v;
        }
      }
      if (auto* n = queue.get("on_full")) {
        if (auto v = reader_.choice(*n, queue.path_of("on_full"), kOnFull)) {
          pipeline.drop_newest = *v == 1;
        }
      }
    }
    if (const MapView::Entry* t = map.entry("threads")) {
      MapView threads(reader_, t->value, map.path_of("threads"), reader_.position(t->key_node));
      threads.check_keys({"parse", "cpus"});
      if (auto* n = threads.get("parse")) {
        if (auto v = reader_.integer(*n, threads.path_of("parse"), 1, 256)) {
          pipeline.parse_threads = static_cast<int>(*v);
        }
      }
      if (auto* n = threads.get("cpus")) {
        // Only the form is checked: the machine that validates need not be the one that runs.
        if (!n->IsSequence()) {
          reader_.report(
              reader_.position(*n),
              threads.path_of("cpus") + ": expected a list of CPU numbers, " + reader_.got(*n));
        } else {
          for (size_t i = 0; i < n->size(); ++i) {
            auto cpu = reader_.integer(
                (*n)[i], threads.path_of("cpus") + "[" + std::to_string(i) + "]", 0, 4095);
            if (cpu) {
              pipeline.cpus.push_back(static_cast<int>(*cpu));
            }
          }
        }
      }
    }
    if (auto* n = map.get("delivery")) {
      if (auto v = reader_.choice(*n, map.path_of("delivery"), kDelivery)) {
        pipeline.exactly_once = *v == 1;
        refs.delivery_at = reader_.position(*n);
      }
    }
    if (parse_nodes.valid) {
      auto parser = make_parser(pipeline.parse, schema);
      if (!parser.ok()) {
        ConfigPosition where = parse_nodes.at;
        std::string where_path = parse_nodes.path;
        if (pipeline.parse.format == ParseOptions::Format::kRegex && parse_nodes.pattern) {
          where = reader_.position_in(*parse_nodes.pattern, 0);
          where_path += ".pattern";
        } else if (parse_nodes.format) {
          where = reader_.position(*parse_nodes.format);
        }
        reader_.report(where, where_path + ": " + parser.status().message());
      }
    }
    config_.pipelines.push_back(std::move(pipeline));
    refs_.push_back(std::move(refs));
  }

  void load_sink(const MapView::Entry& e) {
    SinkConfig sink;
    sink.name = e.key;
    const std::string path = "sinks." + e.key;
    check_name(e, "sinks", "sink");
    MapView map(reader_, e.value, path, reader_.position(e.key_node));
    if (!map.ok()) {
      return;
    }
    size_t problems_before = reader_.problem_count();
    std::optional<size_t> type;
    if (auto* n = map.require("type")) {
      type = reader_.choice(*n, map.path_of("type"), kSinkTypes, kSinkTypeBuilt, "sink type");
    }
    if (!type) {
      check_any_kind_keys(map, kSinkCommonKeys, kSinkKeysByType);
    } else {
      sink.type = static_cast<SinkConfig::Type>(*type);
      check_typed_keys(map, concat(kSinkCommonKeys, kSinkKeysByType[*type]), kSinkKeysByType,
                       kSinkTypes, "sink type", kSinkTypes[*type]);
      switch (sink.type) {
        case SinkConfig::Type::kFile:
          if (auto* n = map.require("path")) {
            if (auto v = reader_.string(*n, map.path_of("path"))) {
              sink.path = *v;
            }
          }
          break;
        case SinkConfig::Type::kTcp:
          if (auto* n = map.require("address")) {
            if (auto v = reader_.host_port(*n, map.path_of("address"), false)) {
              sink.address = *v;
            }
          }
          break;
        case SinkConfig::Type::kKafka:
          if (auto* n = map.require("brokers")) {
            if (auto v = reader_.string(*n, map.path_of("brokers"))) {
              sink.brokers = *v;
            }
          }
          if (auto* n = map.require("topic")) {
            if (auto v = reader_.string(*n, map.path_of("topic"))) {
              sink.topic = *v;
            }
          }
          if (auto* n = map.get("key")) {
            if (auto v = reader_.string(*n, map.path_of("key"))) {
              sink.key = *v;
            }
          }
          load_librdkafka(map, sink.librdkafka);
          break;
        case SinkConfig::Type::kStdout:
        case SinkConfig::Type::kNull:
          break;
      }
    }
    EncodingCheck check;
    check.path = path;
    check.at = reader_.position(e.key_node);
    load_encoding(map, sink.encoding, check);
    check.valid = reader_.problem_count() == problems_before;
    sink_index_[sink.name] = config_.sinks.size();
    config_.sinks.push_back(std::move(sink));
    encoding_checks_.push_back(std::move(check));
    sink_type_known_.push_back(type.has_value());
  }

  // Where make_encoder's errors for a sink are reported.
  struct EncodingCheck {
    bool valid = true;
    ConfigPosition at;
    std::string path;
  };

  // `encoding: csv` with the options beside it in the sink, or `encoding: {codec: csv, ...}`.
  void load_encoding(const MapView& sink, EncoderOptions& options, EncodingCheck& check) {
    const MapView::Entry* encoding = sink.entry("encoding");
    std::optional<MapView> nested;
    const YAML::Node* codec = nullptr;
    std::string codec_path = sink.path_of("encoding");
    if (encoding != nullptr) {
      check.at = reader_.position(encoding->value);
      check.path = sink.path_of("encoding");
      if (encoding->value.IsMap()) {
        nested.emplace(reader_, encoding->value, sink.path_of("encoding"),
                       reader_.position(encoding->key_node));
        nested->check_keys(kEncodingMapKeys);
        codec = nested->require("codec");
        codec_path = nested->path_of("codec");
      } else {
        codec = &encoding->value;
      }
    }
    if (codec != nullptr) {
      if (auto v = reader_.choice(*codec, codec_path, kEncodings)) {
        options.kind = static_cast<EncoderOptions::Kind>(*v);
      } else {
        return;
      }
    }
    const std::string_view kind = kEncodings[static_cast<size_t>(options.kind)];
    // An option may sit in the sink or in the encoding mapping, not in both.
    auto option = [&](std::string_view key) -> std::pair<const MapView::Entry*, std::string> {
      const MapView::Entry* outer = sink.entry(key);
      const MapView::Entry* inner = nested ? nested->entry(key) : nullptr;
      if (outer != nullptr && inner != nullptr) {
        reader_.report(reader_.position(inner->key_node),
                       nested->path() + ": '" + std::string(key) +
                           "' is also set in the sink; set it in one place");
      }
      if (inner != nullptr) {
        return {inner, nested->path_of(key)};
      }
      return {outer, sink.path_of(key)};
    };
    auto only_for_csv = [&](const MapView::Entry* e, const std::string& path) {
      if (options.kind != EncoderOptions::Kind::kCsv) {
        reader_.report(reader_.position(e->key_node),
                       path + ": only applies to encoding csv, not " + std::string(kind));
        return false;
      }
      return true;
    };
    if (auto [e, path] = option("fields"); e != nullptr) {
      if (options.kind == EncoderOptions::Kind::kRaw) {
        reader_.report(reader_.position(e->key_node),
                       path + ": does not apply to encoding raw (it writes _raw unchanged)");
      } else if (auto v = reader_.string_list(e->value, path, false, false)) {
        options.fields = std::move(*v);
      }
    }
    if (auto [e, path] = option("columns"); e != nullptr && only_for_csv(e, path)) {
      if (auto v = reader_.string_list(e->value, path, false, false)) {
        options.columns = std::move(*v);
      }
    }
    if (auto [e, path] = option("header"); e != nullptr && only_for_csv(e, path)) {
      if (auto v = reader_.boolean(e->value, path)) {
        options.header = *v;
      }
    }
    if (auto [e, path] = option("delimiter"); e != nullptr && only_for_csv(e, path)) {
      if (auto v = reader_.single_byte(e->value, path)) {
        options.delimiter = *v;
      }
    }
  }

  void check_sink_references() {
    std::vector<std::string_view> names;
    for (const SinkConfig& sink : config_.sinks) {
      names.push_back(sink.name);
    }
    std::vector<bool> routed(config_.sinks.size(), false);
    std::vector<bool> dead_letter(config_.sinks.size(), false);
    for (const PipelineRefs& refs : refs_) {
      for (const SinkRef& ref : refs.sinks) {
        auto it = sink_index_.find(ref.name);
        if (it == sink_index_.end()) {
          reader_.report(ref.at, std::string(ref.dead_letter ? "dead_letter names" : "route to") +
                                     " unknown sink '" + ref.name + "'" +
                                     did_you_mean(ref.name, names));
          continue;
        }
        (ref.dead_letter ? dead_letter : routed)[it->second] = true;
      }
    }
    for (size_t i = 0; i < config_.sinks.size(); ++i) {
      config_.sinks[i].encoding.dead_letter = dead_letter[i];
    }
    // A dead-letter sink writes _raw, _source and _error: events routed to it would be written
    // that way too, which is never what was meant.
    for (const PipelineRefs& refs : refs_) {
      for (const SinkRef& ref : refs.sinks) {
        auto it = sink_index_.find(ref.name);
        if (it != sink_index_.end() && !ref.dead_letter && dead_letter[it->second]) {
          reader_.report(ref.at, "sink '" + ref.name +
                                     "' is a dead_letter sink and cannot also be a route target");
        }
      }
    }
    for (size_t p = 0; p < config_.pipelines.size(); ++p) {
      const PipelineConfig& pipeline = config_.pipelines[p];
      if (!pipeline.exactly_once) {
        continue;
      }
      const ConfigPosition at = refs_[p].delivery_at;
      if (refs_[p].source_type_known && pipeline.source.type != SourceConfig::Type::kKafka) {
        reader_.report(at,
                       "pipelines." + pipeline.name +
                           ".delivery: exactly_once needs a kafka source, not " +
                           std::string(kSourceTypes[static_cast<size_t>(pipeline.source.type)]));
      }
      for (const SinkRef& ref : refs_[p].sinks) {
        auto it = sink_index_.find(ref.name);
        if (it == sink_index_.end()) {
          continue;
        }
        const SinkConfig& sink = config_.sinks[it->second];
        if (sink_type_known_[it->second] && sink.type != SinkConfig::Type::kKafka) {
          reader_.report(at, "pipelines." + pipeline.name +
                                 ".delivery: exactly_once needs kafka sinks, but sink '" +
                                 sink.name + "' is " +
                                 std::string(kSinkTypes[static_cast<size_t>(sink.type)]));
        }
      }
    }
  }

  // A pipeline or sink name (a mapping key) is printed in log lines, metric labels and the run
  // summary, one line per pipeline: a control character would split or garble those lines.
  void check_name(const MapView::Entry& e, const std::string& section, std::string_view noun) {
    const ConfigPosition at = reader_.position(e.key_node);
    const std::string& name = e.key;
    if (name.empty()) {
      reader_.report(at, section + ": a " + std::string(noun) + " name must not be empty");
      return;
    }
    if (name.size() > kMaxNameBytes) {
      size_t cut = 40;
      while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) {
        --cut;  // not inside a UTF-8 sequence
      }
      reader_.report(at, section + ": " + std::string(noun) + " name '" +
                             escape_controls(name.substr(0, cut)) + "...' is " +
                             std::to_string(name.size()) + " bytes long; at most " +
                             std::to_string(kMaxNameBytes) + " are allowed");
    }
    if (size_t c = find_control(name); c != std::string::npos) {
      reader_.report(reader_.position_in(e.key_node, c),
                     section + ": " + std::string(noun) + " name '" + escape_controls(name) +
                         "' contains a control character; names are written into log "
                         "lines, metric labels and the run summary, so use printable text");
    }
  }

  // Two stdin sources would take turns reading the one stream and each get part of every record
  // that straddles their reads: corrupt events, not a shared input.
  void check_single_stdin(const std::string& pipeline, ConfigPosition type_at,
                          const std::string& path) {
    if (!stdin_pipeline_) {
      stdin_pipeline_ = pipeline;
      return;
    }
    reader_.report(type_at, path + ": pipeline '" + *stdin_pipeline_ +
                                "' already reads stdin; only one pipeline can read it (two would "
                                "split its input between them)");
  }

  // A pipeline's source may need one read buffer of max(512 KiB, 2 x max_event_bytes): the reader
  // carries an incomplete record of up to max_event_bytes into a buffer twice its size. Under a
  // memory_limit that cannot grant it, that source can never make progress; refused here, with
  // the smallest limit that works, rather than found as a stall at run time.
  void check_memory_limit(ConfigPosition at, bool is_default) {
    const uint64_t read_bytes = StreamReaderOptions{}.batch_bytes;
    uint64_t needed = 0;
    uint64_t event_bytes = 0;
    const PipelineConfig* neediest = nullptr;
    for (const PipelineConfig& pipeline : config_.pipelines) {
      uint64_t event = std::max(kReaderMinEventBytes, pipeline.source.max_event_bytes);
      uint64_t buffer = event > UINT64_MAX / 2 ? UINT64_MAX : 2 * event;
      buffer = std::max(buffer, read_bytes);
      if (buffer > needed) {
        needed = buffer;
        event_bytes = event;
        neediest = &pipeline;
      }
    }
    if (neediest == nullptr || config_.memory_limit >= needed) {
      return;
    }
    reader_.report(at, "memory_limit " + format_size(config_.memory_limit) +
                           (is_default ? " (the default)" : "") + " is too small for pipeline '" +
                           neediest->name + "': it reads records of up to max_event_bytes " +
                           format_size(event_bytes) + " into buffers of " + format_size(needed) +
                           "; the smallest workable memory_limit for this configuration is " +
                           format_size(needed));
  }

  void check_encoders() {
    for (size_t i = 0; i < config_.sinks.size(); ++i) {
      if (!encoding_checks_[i].valid) {
        continue;
      }
      Schema schema;
      auto encoder = make_encoder(config_.sinks[i].encoding, schema);
      if (!encoder.ok()) {
        reader_.report(encoding_checks_[i].at,
                       encoding_checks_[i].path + ": " + encoder.status().message());
      }
    }
  }

  std::string_view text_;
  ReferenceShield shield_;
  YamlReader reader_;
  Config& config_;
  std::vector<PipelineRefs> refs_;  // parallel to config_.pipelines
  std::map<std::string, size_t> sink_index_;
  std::vector<EncodingCheck> encoding_checks_;  // parallel to config_.sinks
  std::vector<bool> sink_type_known_;           // parallel to config_.sinks
  std::optional<std::string> stdin_pipeline_;   // the first pipeline that reads stdin
};

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

LoadedConfig load_config(std::string_view text, const EnvLookup& env) {
  LoadedConfig out;
  try {
    ConfigLoader loader(text, env, &out);
    loader.run();
  } catch (const std::exception& e) {
    out.problems.push_back({1, 1, std::string("could not load the configuration: ") + e.what()});
  }
  std::stable_sort(out.problems.begin(), out.problems.end(),
                   [](const ConfigProblem& a, const ConfigProblem& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  return out;
}

std::string format_problems(const std::vector<ConfigProblem>& problems, std::string_view file) {
  std::vector<ConfigProblem> sorted = problems;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ConfigProblem& a, const ConfigProblem& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  std::string out;
  for (const ConfigProblem& p : sorted) {
    out.append(file);
    if (p.line > 0) {
      out += ':';
      out += std::to_string(p.line);
      out += ':';
      out += std::to_string(p.column);
    }
    out += ": ";
    // One line per problem whatever a message quotes (a name or value with a newline in it).
    out += escape_controls(p.message);
    out += '\n';
  }
  return out;
}

}  // namespace sluice
