// Prometheus text exposition format (version 0.0.4), read side: turns a /metrics answer into
// samples (metric name, labels, value) for `sluice top`. Comments (# HELP, # TYPE) and timestamps
// are skipped. Pure functions on strings: safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/status.h"

namespace sluice {

struct PrometheusSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in the order written
  double value = 0;

  // The value of label `key`, or "" when the sample has none.
  std::string_view label(std::string_view key) const;
};

// Every sample of `text`; a malformed line is an error naming its line number (the column is
// left 0), so a proxy's HTML error page is reported rather than read as zero metrics.
Result<std::vector<PrometheusSample>> parse_prometheus_text(std::string_view text);

}  // namespace sluice
