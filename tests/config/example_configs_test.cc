// Every example config shipped in config/*.yaml must validate, with the defaults of its
// `${VAR:-default}` references.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config_loader.h"
#include "stages/ingest/generate_source.h"
#include "stages/sinks/file_sink_options.h"
#include "tests/config/source_tree.h"

namespace sluice {
namespace {

LoadedConfig load_example(const std::string& name) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return load_config(read_file(source_dir() / "config" / name), no_env);
}

TEST(ExampleConfigs, EveryExampleValidates) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() / "config")) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    ++count;
    LoadedConfig loaded = load_example(entry.path().filename().string());
    EXPECT_EQ(format_problems(loaded.problems, entry.path().filename().string()), "");
  }
  EXPECT_GE(count, 4);
}

TEST(ExampleConfigs, DemoIsTheReadmeJob) {
  LoadedConfig loaded = load_example("demo.yaml");
  ASSERT_TRUE(loaded.ok());
  const Config& c = loaded.config;
  EXPECT_EQ(c.data_dir, "./sluice-data");
  EXPECT_EQ(c.memory_limit, 256ull << 20);
  ASSERT_EQ(c.pipelines.size(), 1u);
  const PipelineConfig& p = c.pipelines[0];
  EXPECT_EQ(p.source.type, "generate");
  EXPECT_EQ(source_options<GenerateSourceOptions>(p.source).format, EventGenerator::Format::kCsv);
  EXPECT_EQ(source_options<GenerateSourceOptions>(p.source).count,
            std::optional<uint64_t>(10000000));
  EXPECT_EQ(source_options<GenerateSourceOptions>(p.source).seed, 1u);
  EXPECT_EQ(p.parse.format, ParseOptions::Format::kCsv);
  EXPECT_EQ(p.parse.columns, (std::vector<std::string>{"ts", "host", "method", "path", "status",
                                                       "bytes", "latency_ms", "agent"}));
  using Types = std::vector<std::pair<std::string, FieldType>>;
  EXPECT_EQ(p.parse.types, (Types{{"status", FieldType::kInt},
                                  {"bytes", FieldType::kInt},
                                  {"latency_ms", FieldType::kFloat}}));
  EXPECT_EQ(p.filter, "status >= 500 or path =~ \"^/api/v[0-9]+/orders\"");
  ASSERT_EQ(p.routes.size(), 2u);
  EXPECT_EQ(p.routes[0].when, "status >= 500");
  EXPECT_EQ(p.routes[0].to, std::vector<std::string>{"errors"});
  EXPECT_FALSE(p.routes[0].continue_);
  EXPECT_EQ(p.routes[1].when, "");
  EXPECT_EQ(p.routes[1].to, std::vector<std::string>{"archive"});
  EXPECT_EQ(p.dead_letter, "rejects");
  ASSERT_EQ(c.sinks.size(), 3u);
  EXPECT_EQ(sink_options<FileSinkOptions>(c.sinks[0]).path, "./sluice-data/out/errors.ndjson");
  EXPECT_EQ(sink_options<FileSinkOptions>(c.sinks[1]).path, "./sluice-data/out/archive.ndjson");
  EXPECT_EQ(sink_options<FileSinkOptions>(c.sinks[2]).path, "./sluice-data/out/rejects.ndjson");
  EXPECT_TRUE(c.sinks[2].encoding.dead_letter);
}

}  // namespace
}  // namespace sluice
