// The `sluice` binary: parses the command line (CLI11) and hands over to a command.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "daemon/commands.h"
#include "daemon/embedded_config.h"

int main(int argc, char** argv) {
  CLI::App app{"sluice: a log and event pipeline daemon"};
  app.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
  app.require_subcommand(0, 1);

  std::string top_config;
  app.add_option("-c,--config", top_config, "Run the pipelines of FILE (- = stdin)");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Only print warnings, errors and the summary");

  std::string run_config;
  auto* run = app.add_subcommand(
      "run", "Run the pipelines of a configuration file (default: the embedded demo)");
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
  auto* count_opt = gen->add_option("--count", count, "How many events (default: endless)");
  auto* rate_opt = gen->add_option("--rate", rate, "Events per second (default: unlimited)")
                       ->check(CLI::PositiveNumber);
  gen->add_option("--seed", gen_options.seed, "Seed; the same seed gives the same events");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // Usage errors are configuration errors of the command line.
    return code == 0 ? 0 : sluice::kExitConfig;
  }

  if (*run) {
    return sluice::run_command(run_config, sluice::kEmbeddedDemoConfig, quiet);
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
  if (!top_config.empty()) {
    return sluice::run_command(top_config, "", quiet);
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
