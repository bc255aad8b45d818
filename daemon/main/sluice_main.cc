// The `sluice` binary: parses the command line (CLI11) and hands over to a command.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "daemon/commands.h"
#include "daemon/embedded_config.h"
#include "daemon/standard_streams.h"
#include "stages/log.h"

namespace {

// A mistake on the command line that CLI11 cannot see by itself: one line, EX_USAGE.
int usage_error(std::string_view message) {
  sluice::log_error(message);
  return sluice::kExitUsage;
}

// CLI11 converts "-5" to an unsigned 2^64 - 5 and a number too large to 2^64 - 1 (either way an
// endless `gen`), so counts and seeds are checked here: digits only, within 64 bits.
CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        uint64_t parsed = 0;
        const char* end = value.data() + value.size();
        auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
        if (value.empty() || ec != std::errc() || ptr != end) {
          return "'" + value + "' is not a whole number from 0 to " + std::to_string(UINT64_MAX);
        }
        return "";
      },
      "NUMBER");
}

// CLI11's own errors (unknown flag, missing value) as one line in sluice's error format, plus
// where to look, rather than the whole help text.
std::string failure_line(const CLI::App* app, const CLI::Error& e) {
  std::string help = "sluice --help";
  if (!app->get_subcommands().empty()) {
    help = "sluice " + app->get_subcommands().front()->get_name() + " --help";
  }
  return "sluice: error: " + std::string(e.what()) + "\nRun '" + help + "' for more information.\n";
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a descriptor, so that nothing lands on a closed 0, 1 or 2.
  if (sluice::Status s = sluice::ensure_standard_streams(); !s.ok()) {
    sluice::log_error(s.message());
    return sluice::kExitFailure;
  }

  CLI::App app{"sluice: a log and event pipeline daemon"};
  app.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
  app.require_subcommand(0, 1);
  app.failure_message(failure_line);

  std::string top_config;
  auto* top_config_opt =
      app.add_option("-c,--config", top_config, "Run the pipelines of FILE (- = stdin)");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Only print warnings, errors and the summary");

  std::string run_config;
  auto* run = app.add_subcommand(
      "run", "Run the pipelines of a configuration file (default: the embedded demo)");
  auto* run_config_opt =
      run->add_option("-c,--config", run_config, "Configuration file (- = stdin)");
  run->add_flag("-q,--quiet", quiet, "Only print warnings, errors and the summary");

  std::string validate_config;
  auto* validate = app.add_subcommand("validate", "Check a configuration file completely");
  validate->add_option("file", validate_config, "Configuration file (- = stdin)")->required();

  sluice::GenOptions gen_options;
  uint64_t count = 0;
  double rate = 0;
  auto* gen = app.add_subcommand("gen", "Write synthetic access events to stdout");
  gen->add_option("--format", gen_options.format, "csv, text or json")
      ->check(CLI::IsMember({"csv", "text", "json"}));
  auto* count_opt = gen->add_option("--count", count, "How many events (default: endless)")
                        ->check(whole_number());
  auto* rate_opt = gen->add_option("--rate", rate, "Events per second (default: unlimited)")
                       ->check(CLI::PositiveNumber);
  gen->add_option("--seed", gen_options.seed, "Seed; the same seed gives the same events")
      ->check(whole_number());

  sluice::TopOptions top_options;
  auto* top = app.add_subcommand("top", "A live view of a running daemon's metrics");
  top->add_option("-u,--url", top_options.url, "The daemon's metrics address")
      ->capture_default_str();
  top->add_flag("--once", top_options.once,
                "Print one plain frame (two scrapes a second apart) and exit");

  sluice::KafkaMockOptions mock_options;
  auto* kafka_mock = app.add_subcommand(
      "kafka-mock",
      "Run an embedded Kafka cluster (librdkafka's mock) on 127.0.0.1 until SIGTERM; prints the "
      "bootstrap list, then answers 'down ID', 'up ID', 'rtt ID MS' on stdin");
  kafka_mock->add_option("--brokers", mock_options.brokers, "Number of brokers (1 to 32)")
      ->check(CLI::Range(1, 32));
  kafka_mock->add_option("--topic", mock_options.topics, "A topic to create, NAME:PARTITIONS")
      ->take_all();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : sluice::kExitUsage;
  }

  // Only `sluice run` without any -c runs the demo. An empty -c is what an unset variable in
  // `ExecStart=sluice run -c ${CFG}` gives: running the demo then would write ten million events
  // where the operator expected their pipelines, so the ambiguous forms are refused.
  if ((*top_config_opt && top_config.empty()) || (*run_config_opt && run_config.empty())) {
    return usage_error(
        "-c/--config was given an empty file name (an unset variable?); give a configuration "
        "file, or - for stdin");
  }
  if (*top_config_opt && *run_config_opt) {
    return usage_error(
        "-c/--config was given both before and after 'run'; give it once: sluice run -c FILE");
  }
  if (*top_config_opt && (*validate || *gen || *top || *kafka_mock)) {
    return usage_error("-c/--config belongs to run (sluice run -c FILE), not to '" +
                       app.get_subcommands().front()->get_name() + "'");
  }
  if (*validate && validate_config.empty()) {
    return usage_error("validate was given an empty file name (an unset variable?)");
  }

  if (*run) {
    // `sluice -c FILE run` means the same as `sluice run -c FILE` (SPEC: `sluice -c FILE` is
    // short for it), never the demo.
    if (*top_config_opt) {
      return sluice::run_command(top_config, "", quiet);
    }
    if (*run_config_opt) {
      return sluice::run_command(run_config, "", quiet);
    }
    return sluice::run_command("", sluice::kEmbeddedDemoConfig, quiet);
  }
  if (*validate) {
    return sluice::validate_command(validate_config);
  }
  if (*gen) {
    if (*count_opt) {
      gen_options.count = count;
    }
    if (*rate_opt) {
      gen_options.rate = rate;
    }
    return sluice::gen_command(gen_options);
  }
  if (*top) {
    return sluice::top_command(top_options);
  }
  if (*kafka_mock) {
    return sluice::kafka_mock_command(mock_options);
  }
  if (*top_config_opt) {
    return sluice::run_command(top_config, "", quiet);
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
