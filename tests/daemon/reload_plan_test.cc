// What a reload counts as changed: pipelines and sinks compared by value, a pipeline together
// with the sinks it names, process-wide settings kept. One test per rule.
#include "daemon/reload_plan.h"

#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace sluice {
namespace {

using Names = std::vector<std::string>;

Config load(const std::string& text, const std::string& var = "1") {
  LoadedConfig loaded =
      load_config(text, [&var](const std::string&) { return std::optional<std::string>(var); });
  EXPECT_TRUE(loaded.ok()) << format_problems(loaded.problems, "c.yaml");
  return loaded.config;
}

std::string pipeline(const std::string& name, const std::string& to, int rate = 10) {
  return "  " + name + ":\n    source: { type: generate, rate: " + std::to_string(rate) +
         " }\n    parse: { format: none }\n    routes: [ { to: " + to + " } ]\n";
}

const char* kSinks = "sinks:\n  a: { type: null }\n  b: { type: null }\n";

TEST(ReloadPlan, SameValuesInAnotherLayoutWithCommentsChangeNothing) {
  Config before = load("pipelines:\n" + pipeline("p", "a") + kSinks);
  Config after = load(
      "# a comment\npipelines:\n  p:\n    routes:\n      - to: a\n    parse: {format: 'none'}\n"
      "    source:\n      rate: 10\n      type: generate\n"
      "sinks:\n  b: {type: null}\n  a:\n    type: \"null\"\n");
  ReloadPlan plan = plan_reload(before, after);
  EXPECT_EQ(plan.kept, Names{"p"});
  EXPECT_FALSE(plan.changes_pipelines()) << plan.describe();
  EXPECT_EQ(plan.describe(), "kept p");
}

TEST(ReloadPlan, ChangedPipelineRestartsAndItsNeighbourIsKept) {
  Config before = load("pipelines:\n" + pipeline("p", "a") + pipeline("q", "b") + kSinks);
  Config after = load("pipelines:\n" + pipeline("p", "a", 20) + pipeline("q", "b") + kSinks);
  ReloadPlan plan = plan_reload(before, after);
  EXPECT_EQ(plan.kept, Names{"q"});
  EXPECT_EQ(plan.restarted, Names{"p"});
  EXPECT_TRUE(plan.sinks_replaced.empty());
}

TEST(ReloadPlan, ChangedSinkRestartsEveryPipelineThatNamesIt) {
  const std::string pipelines = "pipelines:\n" + pipeline("p", "a") + pipeline("q", "b");
  Config before = load(pipelines + kSinks);
  Config after =
      load(pipelines + "sinks:\n  a: { type: null, encoding: raw }\n  b: { type: null }\n");
  ReloadPlan plan = plan_reload(before, after);
  EXPECT_EQ(plan.restarted, Names{"p"});
  EXPECT_EQ(plan.kept, Names{"q"});
  EXPECT_EQ(plan.sinks_replaced, Names{"a"});
}

TEST(ReloadPlan, EnvironmentIsComparedAfterExpansion) {
  const std::string text = "pipelines:\n" + pipeline("p", "a") +
                           "sinks:\n  a: { type: file, path: /tmp/x${N}, encoding: raw }\n";
  EXPECT_EQ(plan_reload(load(text, "1"), load(text, "1")).kept, Names{"p"});
  EXPECT_EQ(plan_reload(load(text, "1"), load(text, "2")).restarted, Names{"p"});
}

TEST(ReloadPlan, RemovedAndAddedPipelinesAndSinks) {
  Config before = load("pipelines:\n" + pipeline("old", "a") + "sinks:\n  a: { type: null }\n");
  Config after = load("pipelines:\n" + pipeline("new", "b") + "sinks:\n  b: { type: null }\n");
  ReloadPlan plan = plan_reload(before, after);
  EXPECT_EQ(plan.removed, Names{"old"});
  EXPECT_EQ(plan.added, Names{"new"});
  EXPECT_EQ(plan.sinks_removed, Names{"a"});
  EXPECT_EQ(plan.sinks_added, Names{"b"});
  EXPECT_EQ(plan.describe(), "removed old; started new; sinks removed: a; sinks added: b");
}

TEST(ReloadPlan, ProcessWideSettingsAreNamedAndKept) {
  const std::string rest = "pipelines:\n" + pipeline("p", "a") + kSinks;
  Config before = load("memory_limit: 256MiB\n" + rest);
  Config after = load("memory_limit: 512MiB\nmetrics: { listen: 127.0.0.1:9598 }\n" + rest);
  ReloadPlan plan = plan_reload(before, after);
  EXPECT_EQ(plan.kept, Names{"p"});
  ASSERT_EQ(plan.kept_settings.size(), 2u);
  EXPECT_NE(plan.kept_settings[0].find("memory_limit"), std::string::npos);
  EXPECT_NE(plan.kept_settings[1].find("metrics.listen"), std::string::npos);
}

}  // namespace
}  // namespace sluice
