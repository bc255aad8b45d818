// Config: the configuration file as plain data (SPEC §2), after `${VAR}` expansion and complete
// validation. Produced by load_config (config_loader.h); consumed once by the daemon to build
// the pipelines. Every field documents its default.
#pragma once

#include <cstdint>
#include <map>
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

struct SourceConfig {
  enum class Type { kFile, kStdin, kTcp, kUdp, kKafka, kGenerate };
  Type type = Type::kStdin;
  // file
  std::vector<std::string> paths;  // globs
  bool read_from_end = false;      // read_from: beginning (default) | end
  bool follow = true;              // default true for file
  // tcp / udp
  std::string listen;           // HOST:PORT
  bool octet_counting = false;  // framing: newline (default) | octet_counting
  int max_connections = 256;
  // kafka
  std::string brokers;
  std::vector<std::string> topics;
  std::string group;
  bool start_latest = false;  // start: earliest (default) | latest
  std::map<std::string, std::string> librdkafka;
  // generate
  std::string format = "csv";     // csv | text | json
  std::optional<uint64_t> count;  // absent = endless
  std::optional<double> rate;     // events/s; absent = as fast as possible
  uint64_t seed = 1;
  // all
  uint64_t max_event_bytes = 1 << 20;  // a longer record is dead-lettered (truncated) as too long
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
  bool drop_newest = false;   // queue.on_full: block (default) | drop_newest
  int parse_threads = 0;      // threads.parse: workers; 0 = one per CPU the process may use
  std::vector<int> cpus;      // threads.cpus: CPUs the pipeline's stage threads are pinned to
  bool exactly_once = false;  // delivery: exactly_once
};

struct SinkConfig {
  enum class Type { kStdout, kFile, kTcp, kKafka, kNull };
  std::string name;
  Type type = Type::kStdout;
  std::string path;     // file
  std::string address;  // tcp HOST:PORT
  std::string brokers;  // kafka
  std::string topic;    // kafka
  std::string key;      // kafka: field name
  std::map<std::string, std::string> librdkafka;
  EncoderOptions encoding;
};

struct Config {
  std::string data_dir = "./sluice-data";
  uint64_t memory_limit = 512ull << 20;
  std::string metrics_listen;  // empty = no metrics endpoint
  double shutdown_timeout_s = 10;
  std::vector<PipelineConfig> pipelines;  // in file order
  std::vector<SinkConfig> sinks;          // in file order
};

}  // namespace sluice
