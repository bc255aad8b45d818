// `sluice kafka-mock`: librdkafka's mock cluster as a process, so that Kafka pipelines can be
// tried by hand and driven by tests without a broker. One thread (main) reads commands on stdin
// and waits for SIGTERM/SIGINT; the cluster runs on librdkafka's own threads.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/commands.h"
#include "stages/log.h"

namespace sluice {
namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* mc) const { rd_kafka_mock_cluster_destroy(mc); }
};

// One line on stdout, flushed at once: the reader is usually a test or a script waiting for it.
void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

bool parse_int(std::string_view text, int64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      ++i;
    }
    if (i > start) {
      words.push_back(line.substr(start, i - start));
    }
  }
  return words;
}

// Runs one stdin command against the cluster; the answer line (`ok` or `error: ...`).
std::string run_mock_command(rd_kafka_mock_cluster_t* cluster, int brokers, std::string_view line) {
  std::vector<std::string_view> words = split_words(line);
  if (words.empty()) {
    return "error: empty command (down BROKER_ID | up BROKER_ID | rtt BROKER_ID MS)";
  }
  const std::string verb(words[0]);
  const size_t arity = verb == "rtt" ? 3 : 2;
  if ((verb != "down" && verb != "up" && verb != "rtt") || words.size() != arity) {
    return "error: unknown command '" + std::string(line) +
           "' (down BROKER_ID | up BROKER_ID | rtt BROKER_ID MS)";
  }
  int64_t broker = 0;
  // The mock numbers its brokers from 1; checked here because librdkafka 2.0.2 answers an
  // unknown id with a generic error.
  if (!parse_int(words[1], broker) || broker < 1 || broker > brokers) {
    return "error: no broker '" + std::string(words[1]) + "' (brokers are 1 to " +
           std::to_string(brokers) + ")";
  }
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (verb == "down") {
    err = rd_kafka_mock_broker_set_down(cluster, static_cast<int32_t>(broker));
  } else if (verb == "up") {
    err = rd_kafka_mock_broker_set_up(cluster, static_cast<int32_t>(broker));
  } else {
    int64_t ms = 0;
    if (!parse_int(words[2], ms) || ms < 0 || ms > 3600000) {
      return "error: rtt wants milliseconds from 0 to 3600000, not '" + std::string(words[2]) + "'";
    }
    err = rd_kafka_mock_broker_set_rtt(cluster, static_cast<int32_t>(broker), static_cast<int>(ms));
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return "error: " + std::string(rd_kafka_err2str(err));
  }
  return "ok";
}

// Takes the complete lines out of `pending`, answering each.
void answer_lines(rd_kafka_mock_cluster_t* cluster, int brokers, std::string& pending) {
  size_t start = 0;
  for (size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
    std::string_view line(pending.data() + start, nl - start);
    if (!split_words(line).empty()) {  // a blank line is no command: no answer either
      say(run_mock_command(cluster, brokers, line));
    }
    start = nl + 1;
  }
  pending.erase(0, start);
}

}  // namespace

int kafka_mock_command(const KafkaMockOptions& options) {
  if (options.brokers < 1 || options.brokers > 32) {
    log_error("kafka-mock: --brokers must be from 1 to 32");
    return kExitUsage;
  }
  struct TopicSpec {
    std::string name;
    int partitions;
  };
  std::vector<TopicSpec> topics;
  for (const std::string& spec : options.topics) {
    size_t colon = spec.rfind(':');
    int64_t partitions = 0;
    if (colon == std::string::npos || colon == 0 ||
        !parse_int(std::string_view(spec).substr(colon + 1), partitions) || partitions < 1 ||
        partitions > 10000) {
      log_error("kafka-mock: --topic '" + spec +
                "' is not NAME:PARTITIONS (partitions from 1 to 10000)");
      return kExitUsage;
    }
    topics.push_back({spec.substr(0, colon), static_cast<int>(partitions)});
  }

  // Blocked before librdkafka starts its threads, so they inherit the mask and the signals
  // reach the signalfd below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a reader of stdout that went away is no reason to stop the cluster

  // The mock cluster lives on a client handle; this one connects nowhere (no bootstrap list).
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  std::unique_ptr<rd_kafka_t, HandleDeleter> handle(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)));
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    log_error(std::string("kafka-mock: cannot create a librdkafka handle: ") + errstr);
    return kExitFailure;
  }
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster(
      rd_kafka_mock_cluster_new(handle.get(), options.brokers));
  if (cluster == nullptr) {
    log_error("kafka-mock: cannot start the mock cluster (no free port on 127.0.0.1?)");
    return kExitFailure;
  }
  // Metadata v4 carries the client's allow.auto.create.topics; the 2.0.2 mock advertises only
  // v0-2, and without the field its handler (rd_kafka_mock_handle_Metadata) creates every topic
  // asked for, so a consumer could never see a missing topic. The handler already reads v3 and
  // v4 (ThrottleTime, AllowAutoTopicCreation; librdkafka 2.1.0 advertises up to v9 with the same
  // code for them). With v4 the mock acts as a broker with auto.create.topics.enable=true, Kafka's
  // default: a producer (allowed by default) still creates a topic, a consumer does not.
  constexpr int16_t kMetadataApiKey = 3;
  if (rd_kafka_resp_err_t err = rd_kafka_mock_set_apiversion(cluster.get(), kMetadataApiKey, 0, 4);
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log_error(std::string("kafka-mock: cannot enable Metadata v4: ") + rd_kafka_err2str(err));
    return kExitFailure;
  }
  for (const TopicSpec& t : topics) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
        cluster.get(), t.name.c_str(), t.partitions, std::min(3, options.brokers));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log_error("kafka-mock: cannot create topic '" + t.name + "': " + rd_kafka_err2str(err));
      return kExitFailure;
    }
  }
  say(rd_kafka_mock_cluster_bootstraps(cluster.get()));

  // EOF on stdin does not stop the cluster: a test or script that has no commands to send
  // (or runs it in the background with </dev/null) still wants it up until it says SIGTERM.
  int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    log_error("kafka-mock: signalfd failed");
    return kExitFailure;
  }
  bool stdin_open = true;
  std::string pending;
  for (;;) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      continue;  // EINTR
    }
    if (fds[0].revents & POLLIN) {
      break;  // SIGTERM or SIGINT: the only signals in the set
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        stdin_open = false;
        if (!pending.empty()) {
          pending.push_back('\n');  // a last command without its newline still counts
          answer_lines(cluster.get(), options.brokers, pending);
        }
        continue;
      }
      pending.append(buf, static_cast<size_t>(n));
      answer_lines(cluster.get(), options.brokers, pending);
      if (pending.size() > 4096) {  // no command is this long: refuse it rather than grow
        pending.clear();
        say("error: line too long");
      }
    }
  }
  ::close(signal_fd);
  return kExitOk;
}

}  // namespace sluice
