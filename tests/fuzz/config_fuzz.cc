// Fuzz target: the configuration loader. The input is the YAML text; `${NAME}` expands to fixed
// values (some of them YAML-significant). load_config must never throw or crash, must report
// every problem with a message and a position that is not negative, and formatting the problems
// must work; a valid configuration must have pipelines whose sinks exist.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/config_loader.h"
#include "tests/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  if (size > 65536) {
    return 0;
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") {
      return std::string("/home/sluice");
    }
    if (name == "PORT") {
      return std::string("9000");
    }
    if (name == "WEIRD") {
      return std::string("a: [b, {c: \"d\n");
    }
    if (name == "EMPTY") {
      return std::string();
    }
    return std::nullopt;
  };
  LoadedConfig loaded = load_config(text, env);
  for (const ConfigProblem& p : loaded.problems) {
    FUZZ_CHECK(!p.message.empty());
    FUZZ_CHECK(p.line >= 0 && p.column >= 0);
  }
  std::string formatted = format_problems(loaded.problems, "fuzz.yaml");
  sluice::fuzz::touch(formatted);
  if (loaded.ok()) {
    std::set<std::string> sinks;
    for (const SinkConfig& s : loaded.config.sinks) {
      sinks.insert(s.name);
    }
    for (const PipelineConfig& p : loaded.config.pipelines) {
      for (const RouteConfig& r : p.routes) {
        for (const std::string& to : r.to) {
          FUZZ_CHECK(sinks.count(to) == 1);
        }
      }
      if (!p.dead_letter.empty()) {
        FUZZ_CHECK(sinks.count(p.dead_letter) == 1);
      }
    }
  }
  return 0;
}
