#include "config/kafka_checks.h"

#include <string>

namespace sluice {

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

}  // namespace sluice
