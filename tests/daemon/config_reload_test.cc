// What a SIGHUP does with the configuration file, one test per outcome: the counters the
// metrics endpoint reads must say whether the file on disk is what runs.
#include "daemon/config_reload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  void TearDown() override { std::filesystem::remove_all(dir_); }

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
};

TEST_F(ConfigReloadTest, UnchangedFileIsASuccessWithItsTime) {
  write(config(10));
  EXPECT_EQ(reload_config(path_, config(10), status_), ReloadOutcome::kUnchanged);
  EXPECT_EQ(status_.reloads_succeeded.load(), 1u);
  EXPECT_EQ(status_.reloads_failed.load(), 0u);
  EXPECT_GT(status_.last_reload_success_s.load(), status_.start_time_s);
}

TEST_F(ConfigReloadTest, ChangedValidFileNeedsARestartAndCountsAsFailure) {
  write(config(20));
  EXPECT_EQ(reload_config(path_, config(10), status_), ReloadOutcome::kNeedsRestart);
  EXPECT_EQ(status_.reloads_succeeded.load(), 0u);
  EXPECT_EQ(status_.reloads_failed.load(), 1u);
  EXPECT_EQ(status_.last_reload_success_s.load(), status_.start_time_s)
      << "still the start, the last configuration that took effect";
}

TEST_F(ConfigReloadTest, InvalidFileIsAFailure) {
  write(config(10) + "unknown_key: 1\n");
  EXPECT_EQ(reload_config(path_, config(10), status_), ReloadOutcome::kInvalid);
  EXPECT_EQ(status_.reloads_failed.load(), 1u);
}

TEST_F(ConfigReloadTest, MissingFileIsAFailure) {
  EXPECT_EQ(reload_config(path_, config(10), status_), ReloadOutcome::kInvalid);
  EXPECT_EQ(status_.reloads_failed.load(), 1u);
}

TEST_F(ConfigReloadTest, StdinAndBuiltInConfigurationsHaveNothingToRead) {
  EXPECT_EQ(reload_config("-", config(10), status_), ReloadOutcome::kNothingToRead);
  EXPECT_EQ(reload_config("", config(10), status_), ReloadOutcome::kNothingToRead);
  EXPECT_EQ(status_.reloads_failed.load(), 2u);
  EXPECT_EQ(status_.reloads_succeeded.load(), 0u);
}

}  // namespace
}  // namespace sluice
