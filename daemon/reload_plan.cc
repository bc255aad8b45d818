#include "daemon/reload_plan.h"

#include <algorithm>
#include <map>

namespace sluice {
namespace {

// The sinks a pipeline hands events to: its routes' targets and its dead letter.
std::vector<std::string> sinks_of(const PipelineConfig& p) {
  std::vector<std::string> names;
  for (const RouteConfig& r : p.routes) {
    names.insert(names.end(), r.to.begin(), r.to.end());
  }
  if (!p.dead_letter.empty()) {
    names.push_back(p.dead_letter);
  }
  return names;
}

std::map<std::string, const SinkConfig*> sinks_by_name(const Config& c) {
  std::map<std::string, const SinkConfig*> out;
  for (const SinkConfig& s : c.sinks) {
    out[s.name] = &s;
  }
  return out;
}

void join(std::string& out, const char* what, const std::vector<std::string>& names) {
  if (names.empty()) {
    return;
  }
  out += out.empty() ? "" : "; ";
  out += what;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? " " : ", ") + names[i];
  }
}

}  // namespace

std::string ReloadPlan::describe() const {
  std::string out;
  join(out, "kept", kept);
  join(out, "restarted", restarted);
  join(out, "removed", removed);
  join(out, "started", added);
  join(out, "sinks replaced:", sinks_replaced);
  join(out, "sinks removed:", sinks_removed);
  join(out, "sinks added:", sinks_added);
  return out.empty() ? "nothing changed" : out;
}

ReloadPlan plan_reload(const Config& running, const Config& next) {
  ReloadPlan plan;
  const auto old_sinks = sinks_by_name(running);
  const auto new_sinks = sinks_by_name(next);
  for (const SinkConfig& s : running.sinks) {
    auto it = new_sinks.find(s.name);
    if (it == new_sinks.end()) {
      plan.sinks_removed.push_back(s.name);
    } else if (it->second->canonical != s.canonical) {
      plan.sinks_replaced.push_back(s.name);
    }
  }
  for (const SinkConfig& s : next.sinks) {
    if (old_sinks.count(s.name) == 0) {
      plan.sinks_added.push_back(s.name);
    }
  }
  auto sink_unchanged = [&](const std::string& name) {
    auto o = old_sinks.find(name);
    auto n = new_sinks.find(name);
    return o != old_sinks.end() && n != new_sinks.end() &&
           o->second->canonical == n->second->canonical;
  };
  for (const PipelineConfig& p : running.pipelines) {
    auto same_name = [&p](const PipelineConfig& q) { return q.name == p.name; };
    auto it = std::find_if(next.pipelines.begin(), next.pipelines.end(), same_name);
    if (it == next.pipelines.end()) {
      plan.removed.push_back(p.name);
      continue;
    }
    const std::vector<std::string> sinks = sinks_of(p);
    const bool same =
        it->canonical == p.canonical && std::all_of(sinks.begin(), sinks.end(), sink_unchanged);
    (same ? plan.kept : plan.restarted).push_back(p.name);
  }
  for (const PipelineConfig& p : next.pipelines) {
    auto same_name = [&p](const PipelineConfig& q) { return q.name == p.name; };
    if (std::none_of(running.pipelines.begin(), running.pipelines.end(), same_name)) {
      plan.added.push_back(p.name);
    }
  }
  if (next.memory_limit != running.memory_limit) {
    plan.kept_settings.push_back("memory_limit changed; it takes effect at a restart, keeping " +
                                 std::to_string(running.memory_limit) + " bytes");
  }
  const std::string old_listen = running.metrics ? running.metrics->listen : "(none)";
  const std::string new_listen = next.metrics ? next.metrics->listen : "(none)";
  if (old_listen != new_listen) {
    plan.kept_settings.push_back("metrics.listen changed; it takes effect at a restart, keeping " +
                                 old_listen);
  }
  if (next.data_dir != running.data_dir) {
    plan.kept_settings.push_back("data_dir changed; it takes effect at a restart, keeping " +
                                 running.data_dir);
  }
  return plan;
}

}  // namespace sluice
