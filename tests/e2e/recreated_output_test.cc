// End to end: a CSV output with a header that the operator deletes mid-run (its directory, then
// the file alone) is re-created by the file sink, and every new file begins with the header,
// followed by each numbered event after the deletion exactly once, in order.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

constexpr char kHeader[] = "n,payload\n";

// Events first..last as CSV lines "n,payload-n" (the sink writes them back unchanged).
std::string events(int first, int last) {
  std::string out;
  char line[64];
  for (int n = first; n <= last; ++n) {
    std::snprintf(line, sizeof(line), "%d,payload-%d\n", n, n);
    out += line;
  }
  return out;
}

long long size_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

// Runs a followed pipeline over in.csv (starting as `input_start`) with `parse`, into a csv sink
// with `header: true` and `columns` (a YAML list, or empty: the header is then named by the
// data); deletes the output's directory, then the output file alone, between three rounds of
// 1,000 events, and checks each new file holds the header and that round's events exactly.
void delete_outputs_mid_run(const std::string& input_start, const std::string& parse,
                            const std::string& columns) {
  TempDir dir;
  const std::string input = dir.file("in.csv");
  const std::string output = dir.file("sinkdir/out.csv");
  write_file(input, input_start);
  write_file(dir.file("c.yaml"), "data_dir: " + dir.file("data") +
                                     "\npipelines:\n  p:\n    source: { type: file, paths: [" +
                                     input + "], follow: true }\n    parse: " + parse +
                                     "\n    routes: [ { to: out } ]\n"
                                     "sinks:\n  out: { type: file, path: " +
                                     output + ", encoding: csv, header: true" +
                                     (columns.empty() ? std::string() : ", columns: " + columns) +
                                     " }\n");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  // Waits (bounded) until the output holds exactly the header and `lines`.
  auto holds = [&](const std::string& lines) {
    const std::string expected = kHeader + lines;
    return wait_until([&] {
      return size_of(output) == static_cast<long long>(expected.size()) &&
             read_file(output) == expected;
    });
  };

  append_file(input, events(1, 1000));
  ASSERT_TRUE(holds(events(1, 1000))) << read_file(output).substr(0, 200);
  std::filesystem::remove_all(dir.file("sinkdir"));  // the directory, with the file

  append_file(input, events(1001, 2000));
  EXPECT_TRUE(holds(events(1001, 2000))) << read_file(output).substr(0, 200);
  std::filesystem::remove(output);  // the file alone

  append_file(input, events(2001, 3000));
  EXPECT_TRUE(holds(events(2001, 3000))) << read_file(output).substr(0, 200);

  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  const std::string last = read_file(output);
  EXPECT_TRUE(last == kHeader + events(2001, 3000)) << last.substr(0, 200);
  EXPECT_EQ(summary_value(read_file(dir.file("sluice.err")), "p", "out"), 3000);
}

TEST(RecreatedOutput, EveryNewCsvFileStartsWithTheHeaderAndNothingIsLostOrRepeated) {
  delete_outputs_mid_run("", "{ format: csv, columns: [n, payload] }", "[n, payload]");
}

// Without `columns`, the header names the input's columns (read from the input's header line);
// this sink wrote no header at all before, not even in its first file.
TEST(RecreatedOutput, AHeaderNamedByTheDataStartsEveryNewFileToo) {
  delete_outputs_mid_run(kHeader, "{ format: csv, header: true }", "");
}

}  // namespace
}  // namespace sluice::e2e
