// FileSource: each scenario is a script of poll rounds (FakeSourceContext): what the files hold at
// the start, what happens to them between two rounds, and which records come out of which file.
#include "stages/ingest/file_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "stages/ingest/record_framer.h"
#include "tests/stages/ingest/fake_source_context.h"

namespace sluice {
namespace {

using Texts = std::vector<std::string>;

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "file_source_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    options_.paths = {path("*.log")};
    options_.follow = true;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void write(const std::string& name, const std::string& data) {
    std::ofstream(path(name), std::ios::binary | std::ios::trunc) << data;
  }
  void append(const std::string& name, const std::string& data) {
    std::ofstream(path(name), std::ios::binary | std::ios::app) << data;
  }

  FileSource make_source() {
    return FileSource(options_, [this] {
      ParseOptions parse;
      parse.format = ParseOptions::Format::kNone;
      return make_framer(parse, schema_);
    });
  }

  std::string dir_;
  Schema schema_;
  FileSourceOptions options_;
};

TEST_F(FileSourceTest, WithoutFollowEachFileIsReadToItsEndAndTheSourceFinishes) {
  write("a.log", "1\n2\n3");  // the last record has no newline: the end of the file ends it
  write("b.log", "x\ny\n");
  options_.follow = false;
  FakeSourceContext ctx;
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"1", "2", "3"}));
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"x", "y"}));
  // Each file is its own stream, with its own line numbers.
  ASSERT_EQ(ctx.records.size(), 5u);
  EXPECT_EQ(ctx.records[2], (FakeSourceContext::Record{path("a.log"), "3", 3}));
  EXPECT_EQ(ctx.records[4], (FakeSourceContext::Record{path("b.log"), "y", 2}));
  EXPECT_EQ(source.open_files(), 0u);
  EXPECT_EQ(ctx.budget.used(), 0u);
}

TEST_F(FileSourceTest, ReadFromEndSkipsWhatFilesHeldAtStartButNotFilesFoundLater) {
  write("a.log", "old 1\nold 2\n");
  options_.read_from_end = true;
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      append("a.log", "new\n");
      write("b.log", "fresh 1\nfresh 2\n");  // appeared after the start: read whole
    } else {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"new"}));
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"fresh 1", "fresh 2"}));
}

TEST_F(FileSourceTest, TruncatedFollowedFileIsReadAgainFromItsStart) {
  write("a.log", "first line\nsecond line\n");
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      write("a.log", "x\n");  // shorter than what was read: truncated and rewritten
    } else {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"first line", "second line", "x"}));
  EXPECT_EQ(ctx.records.back().line, 1u) << "a truncated file starts its line numbers again";
}

TEST_F(FileSourceTest, IncompleteLastRecordOfAFollowedFileWaitsForItsNewline) {
  write("a.log", "one\ntw");
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"one"}));
      EXPECT_EQ(ctx.budget.used(), 0u) << "the incomplete record went back to the file";
      append("a.log", "o\nthree\n");
    } else {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"one", "two", "three"}));
}

TEST_F(FileSourceTest, GlobRescanPicksUpAFileCreatedLater) {
  write("a.log", "a1\n");
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      write("b.log", "b1\n");
      write("b.txt", "not matched\n");
    } else if (round == 2) {
      append("b.log", "b2\n");
    } else {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"a1"}));
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"b1", "b2"}));
  EXPECT_TRUE(ctx.texts_of(path("b.txt")).empty());
}

TEST_F(FileSourceTest, ExcludedPathsAreNotReadByNameOrByWholePath) {
  options_.paths = {path("*")};
  // Without a '/': the file's name, in any directory; with one: the whole path.
  options_.exclude = {"*.gz", "*.[0-9]", path("skip-*")};
  write("a.log", "a1\n");
  write("a.log.1", "copy\n");
  write("old.gz", "archive\n");
  write("skip-me.log", "skipped\n");
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      write("b.log", "b1\n");
      write("b.log.2", "copy\n");  // appearing later changes nothing
    } else {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"a1"}));
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"b1"}));
  EXPECT_EQ(ctx.records.size(), 2u);
}

TEST_F(FileSourceTest, FollowedFileRenamedToAnExcludedNameIsReadToItsEnd) {
  // logrotate's rename: app.log becomes app.log.1, which `exclude` names; its writer still adds
  // a line to it before reopening. The old file is finished, as one renamed out of the globs is,
  // and the new app.log is read from its start.
  options_.paths = {path("*")};
  options_.exclude = {"*.1"};
  write("app.log", "1\n");
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      std::filesystem::rename(path("app.log"), path("app.log.1"));
      append("app.log.1", "2\n");
      write("app.log", "3\n");
    } else if (round == 5) {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  Texts got = ctx.texts_of(path("app.log"));  // both streams were named app.log when found
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (Texts{"1", "2", "3"}));
  EXPECT_TRUE(ctx.texts_of(path("app.log.1")).empty());
  EXPECT_EQ(source.open_files(), 1u) << "the rotated file was released";
}

TEST_F(FileSourceTest, RemovedFollowedFileIsNoErrorAndTheOthersGoOn) {
  write("a.log", "a1\n");
  write("b.log", "b1\n");
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      std::filesystem::remove(path("a.log"));
      append("b.log", "b2\n");
    } else if (round == 2) {
      append("b.log", "b3\n");
    } else {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"a1"}));
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"b1", "b2", "b3"}));
}

TEST_F(FileSourceTest, ClosedFileReplacedAtItsPathIsReadFromItsStart) {
  // One descriptor for two files: a is closed when b is read, and recognised again by
  // (device, inode) and its first bytes when it is reopened.
  options_.max_open_files = 1;
  write("a.log", "a1\n");
  write("b.log", "b1\n");
  FakeSourceContext ctx;
  size_t open_at_emit = 0;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      EXPECT_EQ(open_at_emit, 1u);
      // Replaced by a longer file (a file system may give it the same inode at once): its first
      // bytes differ, so it is a new file, read whole.
      std::filesystem::remove(path("a.log"));
      write("a.log", "a2 is longer\n");
    } else if (round == 2) {
      append("b.log", "b2\n");
    } else {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ctx.on_emit = [&](const Batch&) { open_at_emit = source.open_files(); };
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"a1", "a2 is longer"}));
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"b1", "b2"}));
  EXPECT_LE(source.open_files(), 1u);
}

TEST_F(FileSourceTest, ClosedFileRotatedWhileAnotherIsReadIsFollowedWhereItWentToItsEnd) {
  // One descriptor for two files. z is closed when b is read; while b's batch goes out, z is
  // rotated (renamed, its writer adds a line to the old file, a new z.log starts). Reopening
  // z.log finds the new file: the old one is found in its directory by (device, inode) and read
  // to its end first, and the new one is a new file.
  options_.max_open_files = 1;
  write("b.log", "b1\n");
  write("z.log", "z1\n");
  FakeSourceContext ctx;
  bool armed = false;
  bool rotated = false;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      append("b.log", "b2\n");
      armed = true;
    } else if (round == 3) {
      ctx.stop = true;
    }
  };
  ctx.on_emit = [&](const Batch& batch) {
    if (armed && !rotated && *batch.source == path("b.log")) {
      std::filesystem::rename(path("z.log"), path("z.log.1"));
      append("z.log.1", "z2\n");
      write("z.log", "z3\n");
      rotated = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  ASSERT_TRUE(rotated);
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"b1", "b2"}));
  EXPECT_EQ(ctx.texts_of(path("z.log")), (Texts{"z1", "z2", "z3"}));
  EXPECT_LE(source.open_files(), 1u);
}

TEST_F(FileSourceTest, ClosedFileDeletedIsReleasedAndTheLossIsSaid) {
  // a is closed when b is read; a line is appended to it and it is deleted before the next
  // scan: nothing is left to read it through, and the log says what could not be read.
  options_.max_open_files = 1;
  write("a.log", "a1\n");
  write("b.log", "b1\n");
  FakeSourceContext ctx;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      append("b.log", "b2\n");
    } else if (round == 2) {
      append("a.log", "a2\n");
      std::filesystem::remove(path("a.log"));
    } else if (round == 3) {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  testing::internal::CaptureStderr();
  const bool ok = source.run(ctx).ok();
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"a1"}));
  EXPECT_EQ(ctx.texts_of(path("b.log")), (Texts{"b1", "b2"}));
  EXPECT_NE(err.find(path("a.log") + " is gone (deleted, or moved out of its directory) while it "
                                     "was closed for want of a descriptor (max_open_files 1); "
                                     "lines appended to it after offset 3 could not be read"),
            std::string::npos)
      << err;
}

TEST_F(FileSourceTest, ManyFilesWithFewDescriptorsAndASmallBudgetAreAllRead) {
  constexpr int kFiles = 40;
  constexpr int kLines = 300;  // about 6 KiB per file: more than one read buffer each
  for (int f = 0; f < kFiles; ++f) {
    std::string data;
    for (int i = 0; i < kLines; ++i) {
      data += "file " + std::to_string(f) + " line " + std::to_string(i) + "\n";
    }
    write("f" + std::to_string(f) + ".log", data);
  }
  options_.max_open_files = 4;
  options_.reader.batch_bytes = 4096;
  options_.reader.max_event_bytes = 4096;
  FileSource probe = make_source();
  FakeSourceContext ctx(2 * 4096);  // the largest read buffer a reader may ask for
  size_t most_open = 0;
  ctx.on_round = [&](int round) {
    most_open = std::max(most_open, probe.open_files());
    EXPECT_EQ(ctx.budget.used(), 0u) << "round " << round << ": an idle source holds no batch";
    if (round == 2) {
      ctx.stop = true;
    }
  };
  ctx.on_emit = [&](const Batch&) { most_open = std::max(most_open, probe.open_files()); };
  ASSERT_TRUE(probe.run(ctx).ok());
  for (int f = 0; f < kFiles; ++f) {
    const std::string name = "f" + std::to_string(f) + ".log";
    Texts texts = ctx.texts_of(path(name));
    ASSERT_EQ(texts.size(), static_cast<size_t>(kLines)) << name;
    EXPECT_EQ(texts.front(), "file " + std::to_string(f) + " line 0");
    EXPECT_EQ(texts.back(), "file " + std::to_string(f) + " line " + std::to_string(kLines - 1));
  }
  EXPECT_GT(most_open, 0u);
  EXPECT_LE(most_open, 4u);
  EXPECT_EQ(ctx.asked_while_holding, 0u);
}

TEST_F(FileSourceTest, IdleFollowedFileAsksForNoBatch) {
  write("a.log", "a1\n");
  FakeSourceContext ctx;
  size_t after_first_round = 0;
  ctx.on_round = [&](int round) {
    if (round == 1) {
      after_first_round = ctx.batches_requested;
    } else if (round == 6) {
      ctx.stop = true;
    }
  };
  FileSource source = make_source();
  ASSERT_TRUE(source.run(ctx).ok());
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"a1"}));
  EXPECT_GT(after_first_round, 0u);
  EXPECT_EQ(ctx.batches_requested, after_first_round)
      << "a file with nothing new took a batch from the memory budget each poll round";
}

TEST_F(FileSourceTest, AFifoMatchedByTheGlobIsSkippedAndTheFiniteRunReportsIt) {
  write("a.log", "a1\n");
  ASSERT_EQ(::mkfifo(path("b.log").c_str(), 0600), 0);
  options_.follow = false;
  FakeSourceContext ctx;
  FileSource source = make_source();
  Status s = source.run(ctx);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1 of 2 files could not be read"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path("b.log") + " is not a regular file"), std::string::npos)
      << s.message();
  EXPECT_EQ(ctx.texts_of(path("a.log")), (Texts{"a1"}));
}

}  // namespace
}  // namespace sluice
