#include "stages/sinks/kafka_sink_options.h"

#include <librdkafka/rdkafka.h>

#include <array>
#include <memory>

namespace sluice {

Status check_kafka_property(const std::string& name, const std::string& value) {
  constexpr std::array<std::string_view, 2> kFromBrokers{"bootstrap.servers",
                                                         "metadata.broker.list"};
  for (std::string_view owned : kFromBrokers) {
    if (name == owned) {
      return Status::error("'" + name + "' is set by the sink's `brokers`; set it there");
    }
  }
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          rd_kafka_conf_destroy);
  char reason[512];
  if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason, sizeof(reason)) !=
      RD_KAFKA_CONF_OK) {
    return Status::error(reason);
  }
  return Status();
}

}  // namespace sluice
