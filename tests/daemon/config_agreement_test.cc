// validate and run agree on every configuration of the tree: what the loader accepts, the runtime
// builds (the same Runtime::build that both commands run, nothing opened, no thread started), and
// a build never fails on a configuration the loader accepted.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "daemon/runtime.h"
#include "tests/config/source_tree.h"

namespace sluice {
namespace {

// Every configuration file of the tree: the examples in config/ and the YAML under tests/ (the
// config fuzzer's seed corpus holds configurations without an extension, valid and invalid).
std::vector<std::filesystem::path> all_configs() {
  std::vector<std::filesystem::path> out;
  const std::filesystem::path root = source_dir();
  for (const auto& entry : std::filesystem::directory_iterator(root / "config")) {
    if (entry.path().extension() == ".yaml") {
      out.push_back(entry.path());
    }
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "tests")) {
    if (!entry.is_regular_file()) {
      continue;
    }
    bool yaml = entry.path().extension() == ".yaml";
    bool corpus = entry.path().parent_path().filename() == "config" &&
                  entry.path().parent_path().parent_path().filename() == "corpus";
    if (yaml || corpus) {
      out.push_back(entry.path());
    }
  }
  return out;
}

TEST(ConfigAgreement, EveryConfigTheLoaderAcceptsBuilds) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  int accepted = 0;
  int refused = 0;
  for (const std::filesystem::path& path : all_configs()) {
    LoadedConfig loaded = load_config(read_file(path), no_env);
    if (!loaded.ok()) {
      ++refused;
      continue;
    }
    ++accepted;
    auto runtime = Runtime::build(loaded.config);
    EXPECT_TRUE(runtime.ok()) << path << ": " << runtime.status().to_string();
    if (runtime.ok()) {
      EXPECT_EQ(runtime.value()->pipelines().size(), loaded.config.pipelines.size()) << path;
      EXPECT_EQ(runtime.value()->sinks().size(), loaded.config.sinks.size()) << path;
    }
  }
  // The four examples and their corpus copies at least; the corpus has refused ones too.
  EXPECT_GE(accepted, 8);
  EXPECT_GE(refused, 1);
}

// The runtime refuses, with the position, a kind no table row builds: the loader never lets one
// through, and if it did, validate (which builds too) would say so instead of run failing later.
TEST(ConfigAgreement, BuildRefusesAKindWithoutARowAtItsPosition) {
  Config config;
  SinkConfig sink;
  sink.name = "out";
  sink.type = "carrier-pigeon";
  sink.type_position = {7, 11};
  config.sinks.push_back(sink);
  auto runtime = Runtime::build(config);
  ASSERT_FALSE(runtime.ok());
  EXPECT_EQ(runtime.status().to_string(),
            "7:11: sink out: sink type 'carrier-pigeon' is not built in this version");
}

// A build step's error is placed in the file: an expression error at the expression's column
// there, one line naming the pipeline.
TEST(ConfigAgreement, BuildErrorsCarryTheirPositionInTheFile) {
  Config config;
  SinkConfig sink;
  sink.name = "out";
  config.sinks.push_back(sink);
  PipelineConfig pipeline;
  pipeline.name = "p";
  pipeline.position = {3, 3};
  pipeline.filter = "status >";
  pipeline.filter_position = {5, 13};
  pipeline.routes.push_back(RouteConfig{"", {}, {"out"}, false});
  config.pipelines.push_back(pipeline);
  auto runtime = Runtime::build(config);
  ASSERT_FALSE(runtime.ok());
  EXPECT_EQ(runtime.status().line(), 5);
  EXPECT_GT(runtime.status().column(), 13);
  EXPECT_EQ(runtime.status().message().rfind("pipeline p: filter: ", 0), 0u)
      << runtime.status().message();
}

}  // namespace
}  // namespace sluice
