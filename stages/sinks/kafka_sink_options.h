// KafkaSinkOptions: what a `type: kafka` sink is configured with, loaded by its row of
// config/sink_kinds.cc, and the checks of those options that need no broker and no config
// syntax (`validate` runs them; the broker list is checked in config/ as HOST:PORT entries).
// Plain data and pure functions; librdkafka is reached only inside kafka_sink_options.cc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/status.h"

namespace sluice {

struct KafkaSinkOptions {
  std::string name;     // the sink's name, for its log lines
  std::string brokers;  // bootstrap list "host:port,host:port"
  std::string topic;    // every message goes here; partitioned by key (random without one)
  // `librdkafka:` properties, in file order, set after sluice's defaults (so they win):
  // enable.idempotence=true, acks=all, message.timeout.ms=300000 (5 min of librdkafka retries
  // before a message counts as failed for good), queue.buffering.max.kbytes=16384 and
  // queue.buffering.max.messages=100000 (the producer queue holds at most what the sink's own
  // queue does, 16 MiB; full is backpressure).
  std::vector<std::pair<std::string, std::string>> properties;
};

}  // namespace sluice
