#include "config/kafka_checks.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <span>

#include "config/yaml_reader.h"

namespace sluice {
namespace {

// A property a kind sets itself, and why the refusal says so: "'NAME' <why>".
struct Reserved {
  std::string_view name;
  std::string_view why;
};
constexpr std::array<Reserved, 6> kSourceReserved{{
    {"bootstrap.servers", "cannot be set here: set by `brokers`"},
    {"metadata.broker.list", "cannot be set here: set by `brokers`"},
    {"group.id", "cannot be set here: set by `group`"},
    {"auto.offset.reset", "cannot be set here: set by `start` (earliest or latest)"},
    {"enable.auto.offset.store",
     "cannot be set here: sluice stores offsets itself, only past delivered events (SPEC §3)"},
    {"enable.auto.commit",
     "cannot be set here: sluice commits the offsets it stored; turning this off would leave "
     "them uncommitted until a rebalance or shutdown"},
}};
constexpr std::array<Reserved, 2> kSinkReserved{{
    {"bootstrap.servers", "is set by the sink's `brokers`; set it there"},
    {"metadata.broker.list", "is set by the sink's `brokers`; set it there"},
}};

// The one check both kinds make: `reserved` first, then librdkafka's verdict on a throwaway
// configuration, its reason after `reason_prefix`.
Status check_property(const std::string& name, const std::string& value,
                      std::span<const Reserved> reserved, std::string_view reason_prefix,
                      bool& unknown) {
  unknown = false;
  for (const Reserved& r : reserved) {
    if (name == r.name) {
      unknown = true;  // the name is the problem
      return Status::error("'" + name + "' " + std::string(r.why));
    }
  }
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          rd_kafka_conf_destroy);
  char reason[512] = "";
  const rd_kafka_conf_res_t res =
      rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason, sizeof(reason));
  if (res == RD_KAFKA_CONF_OK) {
    return Status();
  }
  unknown = res == RD_KAFKA_CONF_UNKNOWN;
  return Status::error(std::string(reason_prefix) + reason);
}

// One entry of a bootstrap list (`list` is the whole, for the message about an empty entry).
Status check_broker(std::string_view list, std::string_view entry) {
  if (size_t scheme = entry.find("://"); scheme != std::string_view::npos) {
    entry.remove_prefix(scheme + 3);
  }
  std::string_view host = entry;
  std::string_view port;
  if (!entry.empty() && entry.front() == '[') {  // [v6]:port
    const size_t close = entry.find(']');
    if (close == std::string_view::npos) {
      return Status::error("broker '" + std::string(entry) + "' has no closing ']'");
    }
    host = entry.substr(1, close - 1);
    if (close + 1 < entry.size()) {
      if (entry[close + 1] != ':') {
        return Status::error("broker '" + std::string(entry) + "' is not host:port");
      }
      port = entry.substr(close + 2);
    }
  } else if (size_t colon = entry.rfind(':'); colon != std::string_view::npos) {
    host = entry.substr(0, colon);
    port = entry.substr(colon + 1);
    if (port.empty()) {
      return Status::error("broker '" + std::string(entry) + "' has an empty port");
    }
  }
  if (host.empty()) {
    return Status::error("broker list '" + std::string(list) +
                         "' has an empty entry (host:port,host:port)");
  }
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == ':')) {
      return Status::error("broker '" + std::string(entry) + "' is not host:port");
    }
  }
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) {
        value = -1;
        break;
      }
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) {
      return Status::error("broker '" + std::string(entry) + "': port '" + std::string(port) +
                           "' is not a number from 1 to 65535");
    }
  }
  return Status();
}

}  // namespace

Status check_kafka_brokers(std::string_view list, size_t* bad_entry) {
  if (bad_entry != nullptr) {
    *bad_entry = 0;
  }
  if (list.empty()) {
    return Status::error("no broker given (host:port,...)");
  }
  size_t start = 0;
  for (;;) {
    const size_t comma = list.find(',', start);
    std::string_view entry = list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t entry_at = start;
    while (!entry.empty() && entry.front() == ' ') {
      entry.remove_prefix(1);
      ++entry_at;
    }
    while (!entry.empty() && entry.back() == ' ') {
      entry.remove_suffix(1);
    }
    if (bad_entry != nullptr) {
      *bad_entry = entry_at;
    }
    if (Status s = check_broker(list, entry); !s.ok()) {
      return s;
    }
    if (comma == std::string_view::npos) {
      return Status();
    }
    start = comma + 1;
  }
}

bool check_kafka_brokers(YamlReader& reader, const YAML::Node& node, const std::string& path,
                         const ScalarText& list) {
  size_t bad_entry = 0;
  Status s = check_kafka_brokers(list.value, &bad_entry);
  if (!s.ok()) {
    reader.report(reader.position_in(node, list.raw_offset(bad_entry)), path + ": " + s.message());
  }
  return s.ok();
}

Status check_kafka_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 249) {
    return Status::error("a topic name has 1 to 249 characters");
  }
  if (topic == "." || topic == "..") {
    return Status::error("'" + std::string(topic) + "' is not a legal topic name");
  }
  for (char c : topic) {
    bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!legal) {
      return Status::error("topic '" + std::string(topic) +
                           "' has a character Kafka does not allow (only a-z A-Z 0-9 . _ -)");
    }
  }
  return Status();
}

Status check_kafka_source_property(const std::string& name, const std::string& value,
                                   bool& unknown) {
  return check_property(name, value, kSourceReserved, "librdkafka: ", unknown);
}

Status check_kafka_sink_property(const std::string& name, const std::string& value) {
  bool unknown = false;  // a sink reports every property problem at its key
  return check_property(name, value, kSinkReserved, "", unknown);
}

std::optional<std::string> kafka_exactly_once_refusal(const PipelineConfig& pipeline,
                                                      const std::vector<SinkConfig>& sinks) {
  std::vector<std::string_view> targets;
  for (const RouteConfig& route : pipeline.routes) {
    targets.insert(targets.end(), route.to.begin(), route.to.end());
  }
  if (!pipeline.dead_letter.empty()) {
    targets.push_back(pipeline.dead_letter);
  }
  std::string kafka_sinks;
  int kafka_sink_count = 0;
  for (const SinkConfig& sink : sinks) {
    if (sink.type == "kafka" &&
        std::find(targets.begin(), targets.end(), sink.name) != targets.end()) {
      kafka_sinks += (kafka_sinks.empty() ? "'" : ", '") + sink.name + "'";
      ++kafka_sink_count;
    }
  }
  const bool kafka_source = pipeline.source.type == "kafka";
  if (!kafka_source && kafka_sinks.empty()) {
    return std::nullopt;
  }
  std::string what;
  if (kafka_source) {
    what = "the pipeline reads from Kafka";
  }
  if (!kafka_sinks.empty()) {
    what += std::string(kafka_source ? " and writes" : "the pipeline writes") + " to Kafka (" +
            (kafka_sink_count == 1 ? "sink " : "sinks ") + kafka_sinks + ")";
  }
  return "exactly_once cannot apply: " + what +
         ", and exactly once with Kafka needs Kafka transactions; the mock cluster of Debian's "
         "librdkafka 2.0.2 neither stores offsets sent in a transaction nor writes transaction "
         "markers, so it cannot be built and proven here; use at_least_once";
}

}  // namespace sluice
