#include "config/kafka_checks.h"

#include <librdkafka/rdkafka.h>

#include <array>
#include <memory>
#include <span>

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

}  // namespace

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

}  // namespace sluice
