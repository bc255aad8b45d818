// Config: the configuration file as plain data (SPEC §2), after `${VAR}` expansion and complete
// validation. Produced by load_config (config_loader.h); consumed once by the daemon to build
// the pipelines. Every field documents its default.
#pragma once

#include <any>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stages/parse/parser.h"
#include "stages/sinks/encoder.h"

namespace sluice {

// Where a value sat in the configuration file, for errors found after loading.
struct ConfigPosition {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

// A pipeline's source. `type` names a row of source_kinds() (config/source_kinds.h), which loaded
// `options` as that kind's own struct (FileSourceOptions, GenerateSourceOptions, ...) and builds
// the source from it; read them with source_options<T>().
struct SourceConfig {
  std::string type = "stdin";
  ConfigPosition type_position;
  std::any options;                    // the kind's options struct; empty for a kind without any
  uint64_t max_event_bytes = 1 << 20;  // a longer record is dead-lettered (truncated) as too long
  // Copied by the loader from the pipeline and the top level, for a source that buffers outside
  // the batches and sizes that buffer from them (Kafka's pre-fetch).
  uint64_t queue_max_bytes = 64ull << 20;
  uint64_t memory_limit = 512ull << 20;
  // Copied by the loader, for a source that keeps state in `data_dir` (file checkpoints).
  std::string data_dir = "./sluice-data";
  std::string pipeline;  // the pipeline's name
  // Set by Pipeline::build for delivery: exactly_once: the file each of the pipeline's targets
  // writes, by target index (a file source records their lengths with its positions).
  std::vector<std::string> exactly_once_outputs;
};

struct RouteConfig {
  std::string when;  // empty = always
  ConfigPosition when_position;
  std::vector<std::string> to;  // sink names (`to: a` or `to: [a, b]`)
  bool continue_ = false;       // `continue: true`: later routes are tried too
};

struct PipelineConfig {
  std::string name;
  SourceConfig source;
  ParseOptions parse;
  std::string filter;  // empty = keep everything
  ConfigPosition filter_position;
  std::vector<RouteConfig> routes;
  std::string dead_letter;  // sink name; empty = drop and count parse errors
  uint64_t queue_max_bytes = 64ull << 20;
  bool drop_newest = false;  // queue.on_full: block (default) | drop_newest
  // delivery: at_least_once (default) | exactly_once (a followed file source, file sinks only,
  // checked by config/exactly_once_checks.h).
  bool exactly_once = false;
  ConfigPosition delivery_position;
  int parse_threads = 0;    // threads.parse: workers; 0 = one per CPU the process may use
  std::vector<int> cpus;    // threads.cpus: CPUs the pipeline's stage threads are pinned to
  ConfigPosition position;  // the pipeline's name, for errors found when it is built
  // The pipeline's block in canonical form (YamlReader::canonical): equal strings mean the same
  // pipeline, whatever the comments or layout. A reload compares these.
  std::string canonical;
};

// A sink. `type` names a row of sink_kinds() (config/sink_kinds.h), which loaded `options` as that
// kind's own struct (FileSinkOptions, ...) and builds the sink from it.
struct SinkConfig {
  std::string name;
  std::string type = "stdout";
  ConfigPosition type_position;
  std::any options;  // the kind's options struct; empty for a kind without any
  EncoderOptions encoding;
  ConfigPosition key_position;  // a kafka sink's `key` value, for the cross-check of its field
  // Copied by the loader from the top level, for a sink that buffers outside the batches and
  // sizes that buffer from it (Kafka's producer queue).
  uint64_t memory_limit = 512ull << 20;
  std::string canonical;  // the sink's block in canonical form, as PipelineConfig::canonical
};

// The options struct a kind's load stored; asking for another type is a programming error.
template <typename T>
const T& source_options(const SourceConfig& source) {
  const T* options = std::any_cast<T>(&source.options);
  assert(options != nullptr);
  return *options;
}
template <typename T>
const T& sink_options(const SinkConfig& sink) {
  const T* options = std::any_cast<T>(&sink.options);
  assert(options != nullptr);
  return *options;
}

// The Prometheus endpoint (SPEC §4): /metrics, /health and /ready on one HOST:PORT.
struct MetricsConfig {
  std::string listen;  // HOST:PORT, checked by config/host_port.h; port 0 is refused
  ConfigPosition listen_position;
};

struct Config {
  // Where sources keep their state: file checkpoints in DATA_DIR/checkpoints/PIPELINE.files.
  std::string data_dir = "./sluice-data";
  // Pooled batch buffers (BatchRecycler, a few per pipeline) are outside this cap; the README
  // says so.
  uint64_t memory_limit = 512ull << 20;
  double shutdown_timeout_s = 10;
  // Absent (no `metrics` block): no endpoint is served.
  std::optional<MetricsConfig> metrics;
  std::vector<PipelineConfig> pipelines;  // in file order
  std::vector<SinkConfig> sinks;          // in file order
};

}  // namespace sluice
