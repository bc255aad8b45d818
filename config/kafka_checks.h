// Kafka settings checked at load time, without a broker, for the kafka source and the kafka sink
// alike: one topic rule, and one way of asking librdkafka about a `librdkafka:` property.
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "stages/status.h"

namespace sluice {

// Kafka's legal topic names: 1 to 249 of [a-zA-Z0-9._-], not "." or "..". The message carries
// no position (the loader adds it).
Status check_kafka_topic(std::string_view topic);

// A property under a kafka source's `librdkafka:`: refused when sluice sets it from its own keys
// or its delivery promise depends on it (group.id, enable.auto.commit, ...), else judged by
// librdkafka's own config API on a throwaway configuration ("librdkafka: <its reason>").
// `unknown` is set when the name is the problem (reported at the key, not the value).
Status check_kafka_source_property(const std::string& name, const std::string& value,
                                   bool& unknown);
// The same for a kafka sink: bootstrap.servers is refused with the key to use instead
// (`brokers`); librdkafka's reason is given as it is.
Status check_kafka_sink_property(const std::string& name, const std::string& value);

}  // namespace sluice
