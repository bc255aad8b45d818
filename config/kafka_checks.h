// Kafka names checked at load time, without a broker, for the kafka source and the kafka sink
// alike, so that both kinds refuse the same topic for the same reason.
// Pure functions; safe from any thread.
#pragma once

#include <string_view>

#include "stages/status.h"

namespace sluice {

// Kafka's legal topic names: 1 to 249 of [a-zA-Z0-9._-], not "." or "..". The message carries
// no position (the loader adds it).
Status check_kafka_topic(std::string_view topic);

}  // namespace sluice
