// Kafka settings checked at load time, without a broker, for the kafka source and the kafka sink
// alike: one broker-list rule, one topic rule, and one way of asking librdkafka about a
// `librdkafka:` property. Pure functions (safe from any thread), except the loaders' entry point
// for `brokers`, which reports through the load's YamlReader.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "stages/status.h"

namespace YAML {
class Node;
}

namespace sluice {

class YamlReader;
struct ScalarText;

// A bootstrap list "host:port,host:port" as librdkafka takes it: each entry may carry a protocol
// ("SSL://host:port"), a bracketed IPv6 host ("[::1]:9092") and spaces around it, and may omit
// the port (librdkafka's default, 9092). The message carries no position; `bad_entry` (if given)
// is set to the byte offset in `list` of the entry at fault.
Status check_kafka_brokers(std::string_view list, size_t* bad_entry = nullptr);
// The same for a loader's `brokers` value `node` (read as `list`, with its way back to the file):
// a problem is reported at the bad entry's FILE:LINE:COL as "PATH: message". False then.
bool check_kafka_brokers(YamlReader& reader, const YAML::Node& node, const std::string& path,
                         const ScalarText& list);

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

// Why `delivery: exactly_once` cannot apply to `pipeline` because it reads from or writes to
// Kafka (a kafka source, or a kafka sink among its routes' targets and its dead letter, looked up
// in `sinks`); nullopt when Kafka is no reason. Kafka -> Kafka exactly once needs transactions,
// which Debian's librdkafka 2.0.2 mock cluster cannot show working (see DEPENDENCIES.md), so it
// is refused with that explanation rather than any generic one. The message carries no position
// or path (the loader adds them).
std::optional<std::string> kafka_exactly_once_refusal(const PipelineConfig& pipeline,
                                                      const std::vector<SinkConfig>& sinks);

}  // namespace sluice
