// What a SIGHUP does with the configuration file, one test per outcome: the counters the
// metrics endpoint reads must say whether the file on disk is what runs. The runtime here is
// built and not started (applying a change is proven through the binary, tests/e2e/reload_test).
#include "daemon/config_reload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/config_file.h"

namespace sluice {
namespace {

class ConfigReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::filesystem::temp_directory_path() / "sluice-reload-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/c.yaml";
  }
  void TearDown() override {
    runtime_.reset();
    std::filesystem::remove_all(dir_);
  }
  Runtime& running(int rate) {
    runtime_ = build_config_text(config(rate), "c.yaml");
    EXPECT_NE(runtime_, nullptr);
    return *runtime_;
  }

  std::string config(int rate) const {
    return "data_dir: " + dir_ +
           "\npipelines:\n  p:\n    source: { type: generate, rate: " + std::to_string(rate) +
           " }\n    parse: { format: none }\n    routes: [ { to: n } ]\n" +
           "sinks:\n  n: { type: null }\n";
  }
  void write(const std::string& text) const { std::ofstream(path_) << text; }

  std::string dir_;
  std::string path_;
  ProcessStatus status_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(ConfigReloadTest, UnchangedFileIsASuccessWithItsTime) {
  write(config(10));
  EXPECT_EQ(reload_config(path_, running(10), status_), ReloadOutcome::kUnchanged);
  EXPECT_EQ(status_.reloads_succeeded.load(), 1u);
  EXPECT_EQ(status_.reloads_failed.load(), 0u);
  EXPECT_GT(status_.last_reload_success_s.load(), status_.start_time_s);
}

TEST_F(ConfigReloadTest, InvalidFileIsAFailureAndKeepsTheRunningConfiguration) {
  Runtime& rt = running(10);
  write(config(20) + "unknown_key: 1\n");
  std::string said;
  EXPECT_EQ(reload_config(path_, rt, status_, &said), ReloadOutcome::kInvalid);
  EXPECT_EQ(status_.reloads_failed.load(), 1u);
  EXPECT_EQ(status_.reloads_succeeded.load(), 0u);
  EXPECT_EQ(status_.last_reload_success_s.load(), status_.start_time_s)
      << "still the start, the last configuration that took effect";
  EXPECT_NE(said.find("not a valid configuration"), std::string::npos) << said;
  EXPECT_NE(rt.config().pipelines[0].canonical.find("2:10"), std::string::npos)
      << "rate 10 runs on";
}

TEST_F(ConfigReloadTest, MissingFileIsAFailure) {
  EXPECT_EQ(reload_config(path_, running(10), status_), ReloadOutcome::kInvalid);
  EXPECT_EQ(status_.reloads_failed.load(), 1u);
}

TEST_F(ConfigReloadTest, StdinAndBuiltInConfigurationsHaveNothingToRead) {
  Runtime& rt = running(10);
  EXPECT_EQ(reload_config("-", rt, status_), ReloadOutcome::kNothingToRead);
  EXPECT_EQ(reload_config("", rt, status_), ReloadOutcome::kNothingToRead);
  EXPECT_EQ(status_.reloads_failed.load(), 2u);
  EXPECT_EQ(status_.reloads_succeeded.load(), 0u);
}

}  // namespace
}  // namespace sluice
