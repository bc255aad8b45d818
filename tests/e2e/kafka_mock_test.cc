// `sluice kafka-mock` (SPEC §1): the embedded cluster that Kafka tests and users try things on.
// kcat is the independent client: what it produces must come back exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/kafka_util.h"

namespace sluice::e2e {
namespace {

TEST(KafkaMock, CarriesNumberedLinesExactlyOnceAndAnswersBrokerCommands) {
  KafkaMock mock(3, {"numbers:4"});
  ASSERT_TRUE(mock.ok()) << mock.error();
  // Every listener is on the loopback interface only.
  std::vector<std::string> brokers;
  std::istringstream list(mock.bootstrap());
  for (std::string b; std::getline(list, b, ',');) {
    brokers.push_back(b);
  }
  ASSERT_EQ(brokers.size(), 3u) << mock.bootstrap();
  for (const std::string& b : brokers) {
    EXPECT_EQ(b.rfind("127.0.0.1:", 0), 0u) << b;
  }

  std::string input;
  std::vector<std::string> expected;
  for (int i = 1; i <= 1000; ++i) {
    expected.push_back(std::to_string(i));
    input += expected.back() + "\n";
  }
  RunResult produced = kcat_produce_spread(mock.bootstrap(), "numbers", 4, input);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;

  EXPECT_EQ(mock.command("down 1"), "ok");
  EXPECT_EQ(mock.command("up 1"), "ok");
  EXPECT_EQ(mock.command("rtt 2 5"), "ok");
  EXPECT_EQ(mock.command("rtt 2 0"), "ok");
  EXPECT_EQ(mock.command("down 4"), "error: no broker '4' (brokers are 1 to 3)");
  EXPECT_EQ(mock.command("reboot 1").rfind("error: unknown command 'reboot 1'", 0), 0u);
  // No more commands: the cluster stays up without its stdin.
  mock.close_stdin();

  RunResult consumed = kcat_consume(mock.bootstrap(), "numbers", "%p %s\\n");
  ASSERT_EQ(consumed.exit_code, 0) << consumed.err;
  std::vector<std::string> got;
  std::vector<int> partitions_seen(4, 0);
  for (const std::string& line : split_lines(consumed.out)) {
    size_t space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << line;
    int partition = std::stoi(line.substr(0, space));
    ASSERT_GE(partition, 0);
    ASSERT_LT(partition, 4);
    ++partitions_seen[static_cast<size_t>(partition)];
    got.push_back(line.substr(space + 1));
  }
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);  // none lost, none twice
  // The topic was created with 4 partitions, each holding its share.
  EXPECT_EQ(partitions_seen, std::vector<int>(4, 250));

  EXPECT_EQ(mock.stop(), 0);
}

TEST(KafkaMock, BadArgumentsAreOneLineAndUsageExit) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"kafka-mock", "--topic", "no-partitions"},
        std::vector<std::string>{"kafka-mock", "--topic", "t:0"},
        std::vector<std::string>{"kafka-mock", "--topic", ":3"},
        std::vector<std::string>{"kafka-mock", "--brokers", "0"},
        std::vector<std::string>{"kafka-mock", "--brokers", "x"}}) {
    RunResult r = run_sluice(args);
    EXPECT_EQ(r.exit_code, 64) << args.back() << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), args[1] == "--brokers" ? 2u : 1u) << r.err;  // CLI11: + hint
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace sluice::e2e
