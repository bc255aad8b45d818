// The subcommands of the `sluice` binary (SPEC §1). Each returns the process exit code:
// 0 success, 64 (EX_USAGE) for a bad command line, 78 (EX_CONFIG) for a bad configuration,
// 1 for a runtime failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;

// `sluice run -c FILE` ("-" = stdin); `config_text` instead of a file when path is empty.
int run_command(const std::string& config_path, const std::string& config_text, bool quiet);
// `sluice validate FILE`.
int validate_command(const std::string& config_path);

struct GenOptions {
  std::string format = "csv";
  std::optional<uint64_t> count;
  std::optional<double> rate;
  uint64_t seed = 1;
};
// `sluice gen`: synthetic events on stdout.
int gen_command(const GenOptions& options);

struct TopOptions {
  std::string url = "http://127.0.0.1:9598";  // the daemon's metrics.listen; /metrics is added
  bool once = false;  // two scrapes a second apart, one plain frame, exit (scripts, tests)
};
// `sluice top`: a live view of a running daemon's metrics (SPEC §1, §4).
int top_command(const TopOptions& options);

struct KafkaMockOptions {
  int brokers = 1;
  std::vector<std::string> topics;  // NAME:PARTITIONS
};
// `sluice kafka-mock`: librdkafka's mock cluster on 127.0.0.1 until SIGTERM/SIGINT; the bootstrap
// list is the first line on stdout, then stdin commands (down/up/rtt) are answered line by line.
int kafka_mock_command(const KafkaMockOptions& options);

}  // namespace sluice
