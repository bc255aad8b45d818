#include "daemon/top_frame.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

namespace sluice {
namespace {

// Stages in pipeline order (SPEC §4); a stage name this version does not know comes after them.
constexpr std::array<std::string_view, 4> kStageOrder = {"ingest", "parse", "filter", "route"};
// The common drop reasons first, in the order an operator reads them; others follow by name.
constexpr std::array<std::string_view, 3> kReasonOrder = {"filtered", "parse_error", "queue_full"};

template <size_t N>
size_t rank(const std::array<std::string_view, N>& order, std::string_view name) {
  return static_cast<size_t>(std::find(order.begin(), order.end(), name) - order.begin());
}

template <size_t N>
struct OrderedBy {
  const std::array<std::string_view, N>* order;
  bool operator()(const std::string& a, const std::string& b) const {
    size_t ra = rank(*order, a);
    size_t rb = rank(*order, b);
    return ra != rb ? ra < rb : a < b;
  }
};

// A series' identity: its name and its labels in sorted order.
std::string series_key(const PrometheusSample& s) {
  auto labels = s.labels;
  std::sort(labels.begin(), labels.end());
  std::string key = s.name;
  for (const auto& [k, v] : labels) {
    key.push_back('\0');
    key += k;
    key.push_back('=');
    key += v;
  }
  return key;
}

std::string format(const char* pattern, double value) {
  char text[32];
  std::snprintf(text, sizeof(text), pattern, value);
  return text;
}

// 0, 7.5, 950, 12.3k, 1.23M, 4.56G: at most 6 characters.
std::string count_text(double v) {
  double a = v < 0 ? -v : v;
  if (a == 0) {
    return "0";
  }
  if (a < 10) {
    return format("%.1f", v);
  }
  if (a < 999.5) {
    return format("%.0f", v);
  }
  if (a < 999.95e3) {
    return format("%.1fk", v / 1e3);
  }
  if (a < 999.995e6) {
    return format("%.2fM", v / 1e6);
  }
  return format("%.2fG", v / 1e9);
}

// A counter's value: whole numbers below 1000, then as count_text.
std::string total_text(double v) { return v < 999.5 ? format("%.0f", v) : count_text(v); }

std::string bytes_text(double v) {
  if (v < 1024) {
    return format("%.0f B", v);
  }
  if (v < 1024.0 * 1024) {
    return format("%.1f KiB", v / 1024);
  }
  if (v < 1024.0 * 1024 * 1024) {
    return format("%.1f MiB", v / (1024.0 * 1024));
  }
  return format("%.2f GiB", v / (1024.0 * 1024 * 1024));
}

std::string percent_text(double fraction) { return format("%.0f%%", fraction * 100); }

// `text` cut to `width` characters, a cut marked with '~'.
std::string fit(std::string text, size_t width) {
  if (text.size() > width) {
    text.resize(width - 1);
    text.push_back('~');
  }
  return text;
}

// "  " then the cells at fixed widths: the first left-aligned, the others right-aligned.
std::string row(const std::vector<size_t>& widths, const std::vector<std::string>& cells) {
  std::string out = "  ";
  for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
    std::string cell = fit(cells[i], widths[i] - (i == 0 ? 1 : 0));
    std::string pad(widths[i] - cell.size(), ' ');
    out += i == 0 ? cell + pad : pad + cell;
  }
  return out + "\n";
}

// "  label     item  item  item", continued on further lines under the first item when the
// items do not fit the frame width.
std::string wrapped(const std::string& label, const std::vector<std::string>& items) {
  const std::string indent(label.size(), ' ');
  std::string out = label;
  size_t column = label.size();
  bool first = true;
  for (const std::string& raw : items) {
    std::string item = fit(raw, kTopFrameWidth - indent.size());
    if (!first && column + 2 + item.size() > kTopFrameWidth) {
      out += "\n" + indent;
      column = indent.size();
      first = true;
    }
    if (!first) {
      out += "  ";
      column += 2;
    }
    out += item;
    column += item.size();
    first = false;
  }
  return out + "\n";
}

struct StageView {
  double in = 0;
  double out = 0;
  std::optional<double> queue;
  std::optional<double> capacity;
  std::optional<double> backpressure;  // seconds waited per second
  bool has_rates = false;
};

struct LagView {
  double lag = 0;
  int partitions = 0;
};

struct PipelineView {
  std::map<std::string, StageView, OrderedBy<4>> stages{OrderedBy<4>{&kStageOrder}};
  std::map<std::string, double, OrderedBy<3>> drops{OrderedBy<3>{&kReasonOrder}};
  std::map<std::string, LagView> lag;
  std::optional<double> open_connections;  // a tcp source's
  double refused_connections = 0;          // per second, over max_connections
};

struct SinkView {
  double events = 0;
  double errors = 0;
  double errors_total = 0;
};

struct View {
  std::map<std::string, PipelineView> pipelines;
  std::map<std::string, SinkView> sinks;
  std::optional<double> memory;
  std::optional<double> memory_limit;
  std::string version;
  bool any_sluice = false;
};

View build_view(const std::vector<PrometheusSample>& before,
                const std::vector<PrometheusSample>& after, double seconds) {
  std::map<std::string, double> earlier;
  for (const PrometheusSample& s : before) {
    earlier[series_key(s)] = s.value;
  }
  auto rate = [&](const PrometheusSample& s) {
    auto it = earlier.find(series_key(s));
    double start = it == earlier.end() || it->second > s.value ? 0 : it->second;
    return seconds > 0 ? (s.value - start) / seconds : 0;
  };
  View view;
  for (const PrometheusSample& s : after) {
    std::string_view name = s.name;
    if (name.substr(0, 7) != "sluice_") {
      continue;
    }
    view.any_sluice = true;
    std::string pipeline(s.label("pipeline"));
    std::string stage(s.label("stage"));
    auto stage_view = [&]() -> StageView& { return view.pipelines[pipeline].stages[stage]; };
    if (name == "sluice_events_in_total") {
      stage_view().in += rate(s);
      stage_view().has_rates = true;
    } else if (name == "sluice_events_out_total") {
      stage_view().out += rate(s);
      stage_view().has_rates = true;
    } else if (name == "sluice_queue_bytes") {
      stage_view().queue = s.value;
    } else if (name == "sluice_queue_capacity_bytes") {
      stage_view().capacity = s.value;
    } else if (name == "sluice_backpressure_seconds_total") {
      stage_view().backpressure = rate(s);
    } else if (name == "sluice_events_dropped_total") {
      view.pipelines[pipeline].drops[std::string(s.label("reason"))] += rate(s);
    } else if (name == "sluice_kafka_consumer_lag") {
      LagView& lag = view.pipelines[pipeline].lag[std::string(s.label("topic"))];
      lag.lag += s.value;
      ++lag.partitions;
    } else if (name == "sluice_source_open_connections") {
      view.pipelines[pipeline].open_connections = s.value;
    } else if (name == "sluice_source_connections_total" && s.label("result") == "refused") {
      view.pipelines[pipeline].refused_connections = rate(s);
    } else if (name == "sluice_sink_events_total") {
      view.sinks[std::string(s.label("sink"))].events = rate(s);
    } else if (name == "sluice_sink_errors_total") {
      SinkView& sink = view.sinks[std::string(s.label("sink"))];
      sink.errors = rate(s);
      sink.errors_total = s.value;
    } else if (name == "sluice_memory_bytes") {
      view.memory = s.value;
    } else if (name == "sluice_memory_limit_bytes") {
      view.memory_limit = s.value;
    } else if (name == "sluice_build_info") {
      view.version = std::string(s.label("version"));
    }
  }
  return view;
}

std::string optional_text(const std::optional<double>& v, std::string (*text)(double)) {
  return v ? text(*v) : "-";
}

std::string render_pipeline(const std::string& name, const PipelineView& p) {
  const std::vector<size_t> widths = {10, 12, 12, 8, 12, 14};
  std::string out = fit("pipeline " + name, kTopFrameWidth) + "\n";
  out += row(widths, {"stage", "in/s", "out/s", "queue", "capacity", "backpressure"});
  for (const auto& [stage, s] : p.stages) {
    std::string fill = "-";
    if (s.queue && s.capacity && *s.capacity > 0) {
      fill = percent_text(*s.queue / *s.capacity);
    } else if (s.queue) {
      fill = bytes_text(*s.queue);
    }
    out += row(widths,
               {stage.empty() ? "(none)" : stage, s.has_rates ? count_text(s.in) : "-",
                s.has_rates ? count_text(s.out) : "-", fill, optional_text(s.capacity, bytes_text),
                optional_text(s.backpressure, percent_text)});
  }
  if (!p.drops.empty()) {
    std::vector<std::string> items;
    for (const auto& [reason, r] : p.drops) {
      items.push_back((reason.empty() ? "other" : reason) + " " + count_text(r));
    }
    out += wrapped("  dropped/s   ", items);
  }
  if (!p.lag.empty()) {
    std::vector<std::string> items;
    for (const auto& [topic, lag] : p.lag) {
      items.push_back(topic + " " + count_text(lag.lag) + " (" + std::to_string(lag.partitions) +
                      (lag.partitions == 1 ? " partition)" : " partitions)"));
    }
    out += wrapped("  kafka lag   ", items);
  }
  if (p.open_connections) {
    out += fit("  connections " + count_text(*p.open_connections) + " open, " +
                   count_text(p.refused_connections) + "/s refused over max_connections",
               kTopFrameWidth) +
           "\n";
  }
  return out;
}

std::string render_sinks(const std::map<std::string, SinkView>& sinks) {
  const std::vector<size_t> widths = {26, 12, 12, 12};
  std::string out = row(widths, {"sink", "events/s", "errors/s", "errors"});
  for (const auto& [name, s] : sinks) {
    out +=
        row(widths, {name, count_text(s.events), count_text(s.errors), total_text(s.errors_total)});
  }
  return out;
}

}  // namespace

std::string render_top_frame(const std::vector<PrometheusSample>& before,
                             const std::vector<PrometheusSample>& after, double seconds,
                             std::string_view source) {
  View view = build_view(before, after, seconds);
  std::string title = "sluice top  " + std::string(source);
  if (!view.version.empty()) {
    title += "  sluice " + view.version;
  }
  title += "  " + format("rates over %.1f s", seconds);
  std::string out = fit(title, kTopFrameWidth) + "\n";
  if (!view.any_sluice) {
    return out + "no sluice_* metrics in the answer (is this a sluice metrics endpoint?)\n";
  }
  if (view.memory) {
    std::string memory = "memory      " + bytes_text(*view.memory);
    if (view.memory_limit && *view.memory_limit > 0) {
      memory += " of " + bytes_text(*view.memory_limit) + " (" +
                percent_text(*view.memory / *view.memory_limit) + ")";
    }
    out += memory + "\n";
  }
  for (const auto& [name, pipeline] : view.pipelines) {
    if (!name.empty()) {
      out += "\n" + render_pipeline(name, pipeline);
    }
  }
  if (!view.sinks.empty()) {
    out += "\n" + render_sinks(view.sinks);
  }
  return out;
}

}  // namespace sluice
