// One frame of `sluice top`: from two consecutive scrapes of a daemon's /metrics (SPEC §4 names)
// and the seconds between them, the plain text view (at most 80 columns): per pipeline the
// events/s in and out of each stage, queue fill, backpressure share, drops by reason, Kafka lag
// and a tcp source's connections; memory against the limit; per sink events/s and errors. A pure
// function: any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/prometheus_text.h"

namespace sluice {

// The width every line of a frame fits in.
constexpr size_t kTopFrameWidth = 80;

// Rates are (after - before) / seconds per series; a series absent from `before` counts from 0
// (counters are created at 0, and lazily on their first event), and one that went down counts
// from 0 too (the daemon restarted between the scrapes), as Prometheus's rate() does.
// `source` is the URL shown in the title line.
std::string render_top_frame(const std::vector<PrometheusSample>& before,
                             const std::vector<PrometheusSample>& after, double seconds,
                             std::string_view source);

}  // namespace sluice
