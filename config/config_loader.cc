#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <exception>
#include <map>
#include <utility>

#include "config/cross_checks.h"
#include "config/encoding_loader.h"
#include "config/kafka_checks.h"
#include "config/key_checks.h"
#include "config/limits.h"
#include "config/sink_kinds.h"
#include "config/size_parser.h"
#include "config/source_kinds.h"
#include "config/suggestion.h"
#include "config/yaml_reader.h"
#include "stages/filter/expression.h"
#include "stages/parse/parser.h"
#include "stages/parse/syslog_parser.h"
#include "stages/schema.h"
#include "stages/sinks/encoder.h"

namespace sluice {
namespace {

constexpr std::array<std::string_view, 6> kTopKeys{"data_dir",         "memory_limit", "metrics",
                                                   "shutdown_timeout", "pipelines",    "sinks"};
constexpr std::array<std::string_view, 1> kMetricsKeys{"listen"};
constexpr std::array<std::string_view, 8> kPipelineKeys{
    "source", "parse", "filter", "routes", "dead_letter", "queue", "threads", "delivery"};

// Pipeline and sink names end up in log lines, metric labels and the one-line-per-pipeline run
// summary: long enough for any real name, short enough that a line stays readable.
constexpr size_t kMaxNameBytes = 128;

// Indexes match ParseOptions::Format.
constexpr std::array<std::string_view, 5> kParseFormats{"csv", "regex", "json", "none", "syslog"};
constexpr std::array<std::string_view, 2> kParseCommonKeys{"format", "types"};
constexpr std::array<std::string_view, 4> kCsvKeys{"delimiter", "quote", "header", "columns"};
constexpr std::array<std::string_view, 1> kRegexKeys{"pattern"};
const std::array<KindKeys, 5> kParseKeysByFormat{{{kParseFormats[0], kCsvKeys},
                                                  {kParseFormats[1], kRegexKeys},
                                                  {kParseFormats[2], {}},
                                                  {kParseFormats[3], {}},
                                                  {kParseFormats[4], {}}}};
constexpr std::array<std::string_view, 5> kTypeNames{"int", "float", "bool", "string", "timestamp"};

constexpr std::array<std::string_view, 2> kOnFull{"block", "drop_newest"};
// exactly_once: file sinks cut back to lengths recorded with the source positions (SPEC §3); what
// it needs is checked once every sink is known (config/exactly_once_checks.h).
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
    // An absent memory_limit is the default, judged at the file's start.
    if (auto* n = top.get("memory_limit")) {
      record_.memory_limit_default = false;
      record_.memory_limit_at.reset();
      if (auto v = reader_.size(*n, "memory_limit", kMinMemoryLimit)) {
        config_.memory_limit = *v;
        record_.memory_limit_at = reader_.position(*n);
      }
    }
    if (const MapView::Entry* e = top.entry("metrics")) {
      load_metrics(*e);
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
    run_cross_checks(reader_, config_, record_);
  }

  // `metrics: { listen: HOST:PORT }`. Port 0 is refused: Prometheus must know where to scrape.
  void load_metrics(const MapView::Entry& e) {
    MapView map(reader_, e.value, "metrics", reader_.position(e.key_node));
    if (!map.ok()) {
      return;
    }
    map.check_keys(kMetricsKeys);
    if (const YAML::Node* n = map.require("listen")) {
      if (auto v = reader_.host_port(*n, map.path_of("listen"), /*allow_port_zero=*/false)) {
        config_.metrics = MetricsConfig{std::move(*v), reader_.position(*n)};
      }
    }
  }

  // The nodes make_parser's errors are reported at.
  struct ParseNodes {
    bool valid = true;  // no problem found by the loader itself: worth asking make_parser
    ConfigPosition at;  // the `parse` key, or the pipeline when there is no parse block
    // Copies: the MapView they come from ends with load_parse.
    std::optional<YAML::Node> format;
    std::optional<YAML::Node> pattern;
    std::optional<YAML::Node> header;
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
      check_any_kind_keys(reader_, map, kParseCommonKeys, kParseKeysByFormat);
    } else {
      parse.format = static_cast<ParseOptions::Format>(*format);
      check_typed_keys(reader_, map, concat(kParseCommonKeys, kParseKeysByFormat[*format].keys),
                       kParseKeysByFormat, "parse format", kParseFormats[*format]);
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
      nodes.header = *n;
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
        if (parse.format == ParseOptions::Format::kSyslog &&
            std::find(kSyslogFieldNames.begin(), kSyslogFieldNames.end(), t.key) ==
                kSyslogFieldNames.end()) {
          reader_.report(reader_.position(t.key_node), types.path() + ": '" + t.key +
                                                           "' is not a syslog field" +
                                                           did_you_mean(t.key, kSyslogFieldNames));
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

  // Refuses a setting (`used`) the pipeline's source kind cannot honour, with the kind's reason.
  void check_source_allows(const PipelineConfig& pipeline, const YAML::Node& node, bool used,
                           const std::string& path, std::string_view SourceKind::*refusal) {
    const SourceKind* kind = find_source_kind(pipeline.source.type);
    if (used && kind != nullptr && !(kind->*refusal).empty()) {
      reader_.report(reader_.position(node), path + ": not with a " + std::string(kind->name) +
                                                 " source: " + std::string(kind->*refusal));
    }
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
                                       bool dead_letter, std::vector<SinkRef>& refs) {
    auto name = reader_.string(node, path);
    if (name) {
      refs.push_back({*name, reader_.position_in(node, 0), dead_letter});
    }
    return name;
  }

  void load_routes(const MapView::Entry& e, const std::string& path, PipelineConfig& pipeline,
                   Schema& schema, std::vector<SinkRef>& refs) {
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
    pipeline.position = at;
    check_name(e, "pipelines", "pipeline");
    MapView map(reader_, e.value, path, at);
    if (!map.ok()) {
      return;
    }
    map.check_keys(kPipelineKeys);
    std::vector<SinkRef> refs;
    // A scratch schema: the daemon builds its own; this one lets expressions, parsers and
    // encoders be checked exactly as they will be built.
    Schema schema;

    if (map.require("source") != nullptr) {
      const MapView::Entry* source = map.entry("source");
      load_source(reader_, source->key_node, source->value, map.path_of("source"), pipeline.source);
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
        if (auto v = reader_.size(*n, queue.path_of("max_bytes"), kMinQueueBytes,
                                  "it is split over the pipeline's two queues, and each holds at "
                                  "least one batch of 1MiB")) {
          pipeline.queue_max_bytes = *v;
        }
      }
      if (auto* n = queue.get("on_full")) {
        if (auto v = reader_.choice(*n, queue.path_of("on_full"), kOnFull)) {
          pipeline.drop_newest = *v == 1;
        }
        check_source_allows(pipeline, *n, pipeline.drop_newest, queue.path_of("on_full"),
                            &SourceKind::drop_newest_refusal);
      }
    }
    if (parse_nodes.header) {
      check_source_allows(pipeline, *parse_nodes.header, pipeline.parse.header,
                          parse_nodes.path + ".header", &SourceKind::header_refusal);
    }
    pipeline.source.queue_max_bytes = pipeline.queue_max_bytes;
    pipeline.source.memory_limit = config_.memory_limit;
    pipeline.source.data_dir = config_.data_dir;
    pipeline.source.pipeline = pipeline.name;
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
        pipeline.delivery_position = reader_.position(*n);
        // Kafka's reason first: exactly_once into or out of Kafka needs transactions.
        if (*v == 1) {
          if (auto kafka = kafka_exactly_once_refusal(pipeline, config_.sinks)) {
            reader_.report(reader_.position(*n), map.path_of("delivery") + ": " + *kafka);
          } else {
            pipeline.exactly_once = true;
          }
        }
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
    pipeline.canonical = reader_.canonical(e.value);
    config_.pipelines.push_back(std::move(pipeline));
    record_.pipeline_sinks.push_back(std::move(refs));
  }

  void load_sink(const MapView::Entry& e) {
    SinkConfig sink;
    sink.name = e.key;
    sink.memory_limit = config_.memory_limit;
    const std::string path = "sinks." + e.key;
    check_name(e, "sinks", "sink");
    MapView map(reader_, e.value, path, reader_.position(e.key_node));
    if (!map.ok()) {
      return;
    }
    size_t problems_before = reader_.problem_count();
    load_sink_kind(reader_, map, sink);
    EncodingCheck check;
    check.path = path;
    check.at = reader_.position(e.key_node);
    load_encoding(reader_, map, sink.encoding, check);
    check.valid = reader_.problem_count() == problems_before;
    sink.canonical = reader_.canonical(e.value);
    config_.sinks.push_back(std::move(sink));
    record_.encoding_checks.push_back(std::move(check));
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

  std::string_view text_;
  ReferenceShield shield_;
  YamlReader reader_;
  Config& config_;
  LoadRecord record_;
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
