// End to end: the file source's checkpoints and rotation, through the real binary, with numbered
// lines so that loss and duplication are counted exactly. kill -9 and restart: nothing lost,
// duplicates bounded; SIGTERM and restart: nothing replayed; rename rotation while lines keep
// coming: every line once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

// How often each number 1..total appears in `path`'s lines; `extra` counts lines outside.
struct Tally {
  std::vector<int> seen;
  size_t lines = 0;
  size_t extra = 0;
  size_t missing() const {
    size_t m = 0;
    for (size_t i = 1; i < seen.size(); ++i) {
      m += seen[i] == 0 ? 1 : 0;
    }
    return m;
  }
  size_t duplicates() const {
    size_t d = 0;
    for (size_t i = 1; i < seen.size(); ++i) {
      d += seen[i] > 1 ? static_cast<size_t>(seen[i] - 1) : 0;
    }
    return d;
  }
};

Tally tally(const std::string& path, int total) {
  Tally t;
  t.seen.assign(static_cast<size_t>(total) + 1, 0);
  for (const std::string& line : split_lines(read_file(path))) {
    ++t.lines;
    char* end = nullptr;
    long n = std::strtol(line.c_str(), &end, 10);
    if (end == line.c_str() || *end != '\0' || n < 1 || n > total) {
      ++t.extra;
    } else {
      ++t.seen[static_cast<size_t>(n)];
    }
  }
  return t;
}

// True when process `pid` has a descriptor open on a file whose /proc link holds `text`.
bool holds_descriptor(pid_t pid, const std::string& text) {
  std::error_code ec;
  for (const auto& fd :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    if (std::filesystem::read_symlink(fd.path(), link_ec).string().find(text) !=
        std::string::npos) {
      return true;
    }
  }
  return false;
}

// Starts a pipeline following dir/GLOB, where dir/NAME holds lines 1..lines, and waits until
// they are out; returns its pid. start_on_app_log: NAME and GLOB are app.log.
pid_t start_following(const TempDir& dir, const std::string& name, const std::string& glob,
                      int lines);
pid_t start_on_app_log(const TempDir& dir, int lines);

// A followed file -> file pipeline over `glob` with its checkpoints in dir/data; `source_keys`
// ("key: value, ") are added to its source.
std::string config(const TempDir& dir, const std::string& glob,
                   const std::string& source_keys = "") {
  return "data_dir: " + dir.file("data") +
         "\npipelines:\n  p:\n    source: { type: file, paths: [" + glob + "], " + source_keys +
         "follow: true }\n    parse: { format: none }\n    routes: [ { to: out } ]\n" +
         "sinks:\n  out: { type: file, path: " + dir.file("out.log") + ", encoding: raw }\n";
}

pid_t start_following(const TempDir& dir, const std::string& name, const std::string& glob,
                      int lines) {
  write_file(dir.file(name), decimal_lines(1, lines));
  write_file(dir.file("c.yaml"), config(dir, dir.file(glob)));
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  EXPECT_TRUE(wait_until(
      [&] { return count_lines(read_file(dir.file("out.log"))) == static_cast<size_t>(lines); }));
  return pid;
}

pid_t start_on_app_log(const TempDir& dir, int lines) {
  return start_following(dir, "app.log", "app.log", lines);
}

// Waits until every line 1..total is in dir/out.log, then stops `pid` cleanly; returns the
// output's tally, checked for loss.
Tally stop_once_all_out(const TempDir& dir, pid_t pid, int total) {
  EXPECT_TRUE(wait_until([&] { return tally(dir.file("out.log"), total).missing() == 0; }))
      << tally(dir.file("out.log"), total).missing() << " missing\n"
      << read_file(dir.file("sluice.err"));
  // The rest may have been out before this run started: a SIGTERM before sluice takes it over
  // would kill it by default (exit 143) and test nothing.
  EXPECT_TRUE(wait_for_sigterm_blocked(pid));
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  Tally t = tally(dir.file("out.log"), total);
  EXPECT_EQ(t.missing(), 0u);
  return t;
}

// A last run over dir/c.yaml that reads what is left until every line 1..total is out, then a
// clean stop; returns the output's tally, checked for loss and for torn or foreign lines.
Tally last_run_reads_the_rest(const TempDir& dir, int total) {
  Tally t =
      stop_once_all_out(dir, spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path()), total);
  EXPECT_EQ(t.extra, 0u) << "a torn or foreign line was delivered";
  return t;
}

TEST(FileCheckpointTest, KillNineFiveTimesLosesNothingAndSigtermReplaysNothing) {
  TempDir dir;
  constexpr int kTotal = 200000;
  write_file(dir.file("in.log"), "");
  write_file(dir.file("c.yaml"), config(dir, dir.file("in.log")));
  const std::string checkpoints = dir.file("data/checkpoints/p.files");
  size_t last_lines = 0;
  for (int round = 0; round < 5; ++round) {
    // Each run finds a fifth more lines and is killed as soon as its first lines are out,
    // mostly in the middle of reading them.
    append_file(dir.file("in.log"),
                decimal_lines(round * kTotal / 5 + 1, (round + 1) * kTotal / 5));
    pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
    ASSERT_GT(pid, 0);
    const size_t before = last_lines;
    const std::string saved = read_file(checkpoints);
    // Killed once this run's first lines are out and a checkpoint was saved for them.
    ASSERT_TRUE(wait_until(
        [&] {
          return count_lines(read_file(dir.file("out.log"))) > before &&
                 read_file(checkpoints) != saved;
        },
        2000));
    kill(pid, SIGKILL);
    wait_exit(pid, 100);
    last_lines = count_lines(read_file(dir.file("out.log")));
  }
  // A last run reads the rest; then a clean stop.
  Tally t = last_run_reads_the_rest(dir, kTotal);
  ASSERT_FALSE(HasFailure());
  // Each kill replays at most what was delivered after the last save: here less than the lines
  // that run found (a fifth of the total); without checkpoints every run would repeat all
  // earlier lines (400,000 duplicates).
  EXPECT_LT(t.duplicates(), static_cast<size_t>(kTotal));
  std::printf("kill -9 x5: %zu lines out for %d, %zu duplicates\n", t.lines, kTotal,
              t.duplicates());

  // After the clean stop nothing is replayed, and what is appended meanwhile comes once.
  const size_t lines_before = t.lines;
  append_file(dir.file("in.log"), decimal_lines(kTotal + 1, kTotal + 1000));
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(read_file(dir.file("out.log"))) >= lines_before + 1000; }));
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  Tally after = tally(dir.file("out.log"), kTotal + 1000);
  EXPECT_EQ(after.lines, lines_before + 1000) << "a clean stop and restart replayed lines";
  EXPECT_EQ(after.missing(), 0u);
}

TEST(FileCheckpointTest, TruncatedAndRewrittenFileUnderTheSameInodeIsReadFromItsStart) {
  TempDir dir;
  pid_t pid = start_following(dir, "in.log", "in.log", 1000);
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  // Same inode, new content longer than the old offset: the checkpoint's bytes do not match.
  write_file(dir.file("in.log"), decimal_lines(2001, 4000));
  pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("out.log"))) >= 3000; }));
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  EXPECT_EQ(read_file(dir.file("out.log")), decimal_lines(1, 1000) + decimal_lines(2001, 4000));
  EXPECT_NE(read_file(dir.file("sluice.err")).find("does not match its checkpoint"),
            std::string::npos)
      << read_file(dir.file("sluice.err"));
}

TEST(FileCheckpointTest, RenameRotationWhileWritingDeliversEveryLineOnceAndReleasesTheOldFile) {
  TempDir dir;
  const std::string log = dir.file("app.log");
  write_file(log, "");
  write_file(dir.file("c.yaml"), config(dir, log));
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  constexpr int kPerFile = 20000;
  constexpr int kRotations = 3;
  int next = 1;
  for (int r = 0; r <= kRotations; ++r) {
    // Rotated once sluice has seen this file (a rotation faster than the glob scan would rotate
    // a file no glob ever named), while the writer goes on.
    append_file(log, decimal_lines(next, next + kPerFile / 2 - 1));
    next += kPerFile / 2;
    const int seen_up_to = next - 1;
    ASSERT_TRUE(
        wait_until([&] { return tally(dir.file("out.log"), seen_up_to).seen[seen_up_to] > 0; }));
    append_file(log, decimal_lines(next, next + kPerFile / 2 - 1));
    next += kPerFile / 2;
    if (r < kRotations) {
      const std::string rotated = dir.file("app.log." + std::to_string(r));
      std::filesystem::rename(log, rotated);
      // A writer that still holds the old file adds its last lines after the rename.
      append_file(rotated, decimal_lines(next, next + 99));
      next += 100;
      write_file(log, "");
    }
  }
  const int total = next - 1;
  ASSERT_TRUE(wait_until([&] { return tally(dir.file("out.log"), total).missing() == 0; }))
      << tally(dir.file("out.log"), total).missing() << " missing";
  // The rotated files are released: no descriptor on them stays open.
  EXPECT_TRUE(wait_until([&] { return !holds_descriptor(pid, "app.log."); }))
      << "a rotated file's descriptor stayed open";
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  Tally t = tally(dir.file("out.log"), total);
  EXPECT_EQ(t.missing(), 0u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.extra, 0u);
}

TEST(FileCheckpointTest, CopytruncateFollowedAtOnceByMoreBytesIsReadFromItsStart) {
  // copytruncate: the file is emptied in place (same inode) and at once gets more bytes than
  // the old read position, so its size never looks smaller; the changed bytes before the
  // position tell. Three times, each new content longer than the last.
  TempDir dir;
  pid_t pid = start_on_app_log(dir, 1000);
  int next = 1001;
  for (int round = 1; round <= 3; ++round) {
    const int count = 2000 * round;
    write_file(dir.file("app.log"), decimal_lines(next, next + count - 1));  // O_TRUNC, same inode
    next += count;
    const int last = next - 1;
    ASSERT_TRUE(wait_until([&] { return tally(dir.file("out.log"), last).missing() == 0; }))
        << tally(dir.file("out.log"), last).missing() << " missing";
  }
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  Tally t = tally(dir.file("out.log"), next - 1);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.extra, 0u) << "a torn line was delivered";
}

TEST(FileCheckpointTest, ExcludedCopiesAndArchivesUnderTheGlobAreNotReadAgain) {
  // A glob that also matches what rotation leaves (app.log*): logrotate's copytruncate copies
  // app.log to app.log.1 (a new inode, which would be read as a new file: every line again) and
  // compresses older copies to .gz (binary lines). `exclude` keeps both out.
  TempDir dir;
  const std::string log = dir.file("app.log");
  write_file(log, decimal_lines(1, 1000));
  write_file(dir.file("c.yaml"),
             config(dir, dir.file("app.log*"), "exclude: [\"*.[0-9]\", \"*.gz\"], "));
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(wait_until([&] { return tally(dir.file("out.log"), 1000).missing() == 0; }))
      << read_file(dir.file("sluice.err"));
  std::filesystem::copy_file(log, dir.file("app.log.1"));
  const char archive[] = "\x1f\x8b\x08\x00garbage\nmore\n";  // a gzip header, then lines
  write_file(dir.file("app.log.2.gz"), std::string(archive, sizeof(archive) - 1));
  write_file(log, decimal_lines(1001, 2000));  // the truncate, then the writer goes on
  Tally t = stop_once_all_out(dir, pid, 2000);
  EXPECT_EQ(t.lines, 2000u) << "the copy was read again";
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.extra, 0u) << "a line of the archive was delivered";
}

TEST(FileCheckpointTest, ResumedCsvFileKeepsItsHeaderAndLineNumbers) {
  // After a restart the header is read again from the file's start (not emitted), so the
  // resumed records are still named by it, and `_source` line numbers go on.
  TempDir dir;
  write_file(dir.file("in.csv"), "n,word\n1,a\n2,b\n");
  write_file(dir.file("c.yaml"),
             "data_dir: " + dir.file("data") + "\npipelines:\n  p:\n    source: { type: file, " +
                 "paths: [" + dir.file("in.csv") + "], follow: true }\n    parse: { format: csv, " +
                 "header: true }\n    routes: [ { to: out } ]\n" +
                 "sinks:\n  out: { type: file, path: " + dir.file("out.json") +
                 ", encoding: json, fields: [n, word, _source] }\n");
  for (int run = 0; run < 2; ++run) {
    pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
    const size_t want = run == 0 ? 2 : 3;
    ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("out.json"))) == want; }));
    kill(pid, SIGTERM);
    ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
    if (run == 0) {
      append_file(dir.file("in.csv"), "3,c\n");
    }
  }
  const std::vector<std::string> lines = split_lines(read_file(dir.file("out.json")));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "{\"n\":\"3\",\"word\":\"c\",\"_source\":\"" + dir.file("in.csv") + ":4\"}");
}

TEST(FileCheckpointTest, FileRenamedWithinTheGlobIsNotReadAgain) {
  TempDir dir;
  pid_t pid = start_following(dir, "a.in", "*.in", 1000);
  std::filesystem::rename(dir.file("a.in"), dir.file("b.in"));
  append_file(dir.file("b.in"), decimal_lines(1001, 2000));
  ASSERT_TRUE(wait_until([&] { return tally(dir.file("out.log"), 2000).missing() == 0; }));
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  Tally t = tally(dir.file("out.log"), 2000);
  EXPECT_EQ(t.lines, 2000u) << "the renamed file was read again from byte 0";
}

TEST(FileCheckpointTest, DamagedCheckpointFileIsOneWarningAndTheFilesAreReadFromTheirStart) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("data/checkpoints"));
  write_file(dir.file("data/checkpoints/p.files"), "sluice file checkpoints v1\ngarbage\n");
  pid_t pid = start_on_app_log(dir, 1000);
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  EXPECT_EQ(read_file(dir.file("out.log")), decimal_lines(1, 1000));
  EXPECT_NE(read_file(dir.file("sluice.err")).find("is not a valid checkpoint file"),
            std::string::npos)
      << read_file(dir.file("sluice.err"));
}

TEST(FileCheckpointTest, DeletedFileIsReadToItsEndAndReleased) {
  TempDir dir;
  pid_t pid = start_on_app_log(dir, 5000);
  std::filesystem::remove(dir.file("app.log"));
  EXPECT_TRUE(wait_until([&] { return !holds_descriptor(pid, "(deleted)"); }))
      << "a deleted file's descriptor stayed open";
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  EXPECT_EQ(read_file(dir.file("out.log")), decimal_lines(1, 5000));
}

TEST(FileCheckpointTest, RestartDuringARotationFinishesTheRotatedFile) {
  TempDir dir;
  const std::string log = dir.file("app.log");
  pid_t pid = start_on_app_log(dir, 1000);
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  // While sluice is down: more lines, then rotation, then a new file.
  append_file(log, decimal_lines(1001, 2000));
  std::filesystem::rename(log, dir.file("app.log.1"));
  write_file(log, decimal_lines(2001, 3000));
  pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(wait_until([&] { return tally(dir.file("out.log"), 3000).missing() == 0; }))
      << tally(dir.file("out.log"), 3000).missing() << " missing";
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0);
  Tally t = tally(dir.file("out.log"), 3000);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.lines, 3000u);
}

// Starts sluice with its soft descriptor limit (RLIMIT_NOFILE, inherited from this process) at
// `limit`, so that its file source keeps few files open at once (a quarter of it, at least 8).
pid_t spawn_sluice_with_descriptor_limit(const std::vector<std::string>& args, const TempDir& dir,
                                         rlim_t limit) {
  rlimit saved{};
  if (::getrlimit(RLIMIT_NOFILE, &saved) != 0) {
    return -1;
  }
  rlimit lowered{limit, saved.rlim_max};
  if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) {
    return -1;
  }
  pid_t pid = spawn_sluice(args, dir.path());
  ::setrlimit(RLIMIT_NOFILE, &saved);
  return pid;
}

// More files followed than sluice keeps open (8 with 32 descriptors): a.log goes idle and is
// closed when the eight others are read. While closed it is renamed out of the glob (a.log.1),
// its writer adds 2,000 more lines through its old descriptor, and a new a.log starts. The closed
// file is found again in its directory by (device, inode) and first bytes and read to its end:
// every line once. (The rename comes first: a line appended to a.log while it is closed wakes the
// source through inotify, which would reopen it before the rename and follow it by descriptor.)
TEST(FileCheckpointTest, ClosedIdleFileRotatedAwayIsFoundByItsIdentityAndReadToItsEnd) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("in"));
  const std::string log = dir.file("in/a.log");
  write_file(log, decimal_lines(1, 1000));
  constexpr int kOthers = 8;
  for (int i = 0; i < kOthers; ++i) {
    write_file(dir.file("in/b" + std::to_string(i) + ".log"), "");
  }
  write_file(dir.file("c.yaml"), config(dir, dir.file("in/*.log")));
  pid_t pid = spawn_sluice_with_descriptor_limit({"run", "-c", dir.file("c.yaml")}, dir, 32);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("out.log"))) == 1000; }))
      << read_file(dir.file("sluice.err"));
  // The eight others get a line each: reading them takes every slot, a.log's too.
  for (int i = 0; i < kOthers; ++i) {
    write_file(dir.file("in/b" + std::to_string(i) + ".log"), decimal_lines(1001 + i, 1001 + i));
  }
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("out.log"))) == 1008; }));
  ASSERT_TRUE(wait_until([&] { return !holds_descriptor(pid, log); }))
      << "a.log stayed open: the scenario needs it closed";
  std::filesystem::rename(log, dir.file("in/a.log.1"));
  append_file(dir.file("in/a.log.1"), decimal_lines(1009, 3008));
  write_file(log, decimal_lines(3009, 4008));
  constexpr int kTotal = 4008;
  ASSERT_TRUE(wait_until([&] { return tally(dir.file("out.log"), kTotal).missing() == 0; }))
      << tally(dir.file("out.log"), kTotal).missing() << " missing\n"
      << read_file(dir.file("sluice.err"));
  EXPECT_TRUE(wait_until([&] { return !holds_descriptor(pid, "a.log.1"); }))
      << "the rotated file's descriptor stayed open";
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  Tally t = tally(dir.file("out.log"), kTotal);
  EXPECT_EQ(t.missing(), 0u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.extra, 0u);
  EXPECT_NE(read_file(dir.file("sluice.err")).find("was rotated to " + dir.file("in/a.log.1")),
            std::string::npos)
      << read_file(dir.file("sluice.err"));
}

// The entries of a checkpoint file ("DEV INO PRINTLEN PRINT OFFSET ..." after a header line):
// the inode and offset of each.
struct CheckpointEntry {
  unsigned long long ino;
  unsigned long long offset;
};
std::vector<CheckpointEntry> checkpoint_entries(const std::string& path) {
  std::vector<CheckpointEntry> out;
  const std::vector<std::string> lines = split_lines(read_file(path));
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    unsigned long long dev = 0, ino = 0, print = 0, offset = 0;
    unsigned print_length = 0;
    if (std::sscanf(lines[i].c_str(), "%llu %llu %u %llx %llu", &dev, &ino, &print_length, &print,
                    &offset) == 5) {
      out.push_back({ino, offset});
    }
  }
  return out;
}

// The offset of the first entry of a checkpoint file, or -1 when there is none.
long long first_checkpoint_offset(const std::string& path) {
  const std::vector<CheckpointEntry> entries = checkpoint_entries(path);
  return entries.empty() ? -1 : static_cast<long long>(entries[0].offset);
}

// A record longer than max_event_bytes is being skipped (its first KiB already dead-lettered)
// when a checkpoint is saved: the position is inside that record. kill -9 there, then the record
// ends and more lines come. The restart skips the rest of the record (it is not an event, nor a
// second dead letter) and delivers every line after it once.
TEST(FileCheckpointTest, KillNineWhileSkippingAnOverlongRecordResumesAfterIt) {
  TempDir dir;
  const std::string log = dir.file("in.log");
  write_file(log, decimal_lines(1, 1000));
  write_file(
      dir.file("c.yaml"),
      "data_dir: " + dir.file("data") + "\npipelines:\n  p:\n    source: { type: file, " +
          "paths: [" + log + "], follow: true, max_event_bytes: 4KiB }\n" +
          "    parse: { format: none }\n    routes: [ { to: out } ]\n" +
          "    dead_letter: rejects\nsinks:\n  out: { type: file, path: " + dir.file("out.log") +
          ", encoding: raw }\n  rejects: { type: file, path: " + dir.file("rejects.json") +
          ", encoding: json }\n");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("out.log"))) == 1000; }));
  const auto lines_end = static_cast<long long>(decimal_lines(1, 1000).size());
  // 512 KiB without a newline, one read buffer: the reader finds it over-long at its end, so
  // the position saved is the end of what was written, and the record's rest after the restart
  // is short: as an event it would be delivered.
  append_file(log, std::string(512 * 1024, 'x'));
  const std::string checkpoints = dir.file("data/checkpoints/p.files");
  ASSERT_TRUE(wait_until([&] {
    return count_lines(read_file(dir.file("rejects.json"))) == 1 &&
           first_checkpoint_offset(checkpoints) > lines_end;
  })) << read_file(dir.file("sluice.err"));
  kill(pid, SIGKILL);
  wait_exit(pid, 100);
  append_file(log, "the end of the long record\n" + decimal_lines(1001, 2000));
  pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  Tally t = stop_once_all_out(dir, pid, 2000);
  EXPECT_EQ(t.extra, 0u) << "the rest of the over-long record was delivered as an event";
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.lines, 2000u);
  EXPECT_EQ(count_lines(read_file(dir.file("rejects.json"))), 1u)
      << read_file(dir.file("rejects.json")).substr(0, 2000);
}

// A writer appends numbered lines and rotates by rename-and-create twice per run, adding its
// last lines to each file after the rename; sluice is killed (-9) in each of five runs just
// after more lines were appended, once a checkpoint names the file rotated last (a crash before
// any save knew a file that was then renamed out of the glob would lose it by design: nothing
// names it any more). While sluice is down more lines are appended. A last run reads the rest.
// Every line is delivered (duplicates only within what each kill left unacknowledged) and none
// is torn.
TEST(FileCheckpointTest, KillNineAroundRenameRotationsWhileWritingLosesNothing) {
  TempDir dir;
  const std::string log = dir.file("app.log");
  const std::string checkpoints = dir.file("data/checkpoints/p.files");
  write_file(log, "");
  write_file(dir.file("c.yaml"), config(dir, log));
  int next = 1;
  auto write_lines = [&](const std::string& path, int count) {
    append_file(path, decimal_lines(next, next + count - 1));
    next += count;
  };
  int rotated = 0;
  for (int run = 0; run < 5; ++run) {
    pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
    ASSERT_GT(pid, 0);
    unsigned long long last_rotated_ino = 0;
    for (int r = 0; r < 2; ++r) {
      write_lines(log, 2000);
      // Rotated once sluice has read from this file.
      const int seen_up_to = next - 1;
      ASSERT_TRUE(wait_until([&] {
        return tally(dir.file("out.log"), seen_up_to).seen[seen_up_to] > 0;
      })) << read_file(dir.file("sluice.err"));
      write_lines(log, 2000);
      struct stat st {};
      ASSERT_EQ(::stat(log.c_str(), &st), 0);
      last_rotated_ino = static_cast<unsigned long long>(st.st_ino);
      const std::string rotated_name = dir.file("app.log." + std::to_string(rotated++));
      std::filesystem::rename(log, rotated_name);
      write_lines(rotated_name, 100);  // the writer's last lines into the old file
      write_file(log, "");
      write_lines(log, 500);
    }
    // The kill: once a save names the file rotated last (or it was delivered whole and
    // forgotten), just after more lines came.
    const int rotated_last = next - 501;
    ASSERT_TRUE(wait_until(
        [&] {
          for (const CheckpointEntry& e : checkpoint_entries(checkpoints)) {
            if (e.ino == last_rotated_ino) {
              return true;
            }
          }
          return tally(dir.file("out.log"), rotated_last).missing() == 0;
        },
        2000))
        << read_file(dir.file("sluice.err"));
    write_lines(log, 1000);
    kill(pid, SIGKILL);
    wait_exit(pid, 100);
    write_lines(log, 1000);  // while sluice is down
  }
  const int total = next - 1;
  Tally t = last_run_reads_the_rest(dir, total);
  // Each kill replays at most what was delivered after the last save; far fewer than all.
  EXPECT_LT(t.duplicates(), static_cast<size_t>(total));
  std::printf("kill -9 x5 around 10 rotations: %zu lines out for %d, %zu duplicates\n", t.lines,
              total, t.duplicates());
}

}  // namespace
}  // namespace sluice::e2e
