// Runtime: the whole running process for one configuration: the memory budget, the sinks and
// the pipelines. It owns their lifetimes and the shutdown sequence (stop sources, drain, flush,
// give up after shutdown_timeout), the switch to a new configuration on SIGHUP (only what
// changed) and prints the end-of-run summary.
// Threading: every member function runs on one thread, the one that built the Runtime (main);
// the threads it starts are the pipelines' and the sinks'. What pipelines() and sinks() expose
// for reading counters is safe from another thread between start() and destruction while that
// thread holds lock_lists() (a reload replaces entries of both lists).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/pipeline.h"
#include "daemon/reload_plan.h"
#include "daemon/sink_runner.h"
#include "daemon/wakeup.h"
#include "stages/memory_budget.h"

namespace sluice {

class Runtime {
 public:
  // Builds the sinks (through config/sink_kinds.h) and the pipelines, opening nothing and starting
  // no thread: `validate` runs it as well as `run`. An error carries its configuration position.
  static Result<std::unique_ptr<Runtime>> build(const Config& config);
  ~Runtime();

  // Binds the sources' listening sockets (Source::open), before anything starts: an error (a
  // port in use) is the configuration's, one line.
  Status open_sources();
  // Opens sinks and starts every thread. An error (a sink that cannot be opened, a thread that
  // cannot be created) is one line; whatever had started is stopped again.
  Status start();
  // Asks every source to stop; pipelines drain.
  void request_stop();
  // True when every pipeline has drained and every sink has written everything.
  bool finished() const;
  // True once every pipeline's ingest thread has entered its source's run, the sinks being open
  // (start() opens them first): what systemd's READY=1 and /ready wait for.
  bool sources_open() const;
  // True when a sink's output is gone for good (EPIPE on stdout): the run cannot succeed.
  bool any_sink_broken() const;
  // Readable (for poll) when a thread has exited or a sink broke.
  Wakeup& wakeup() { return *wakeup_; }

  enum class Shutdown {
    kDrained,      // everything read was delivered or accounted for; threads joined
    kTimedOut,     // shutdown_timeout passed: the rest was aborted; threads joined
    kInterrupted,  // a second SIGTERM/SIGINT came: aborted at once; threads joined
    kStuck,        // aborted, but a thread is still in a call nothing can end (D state); not joined
  };
  // Waits for the drain (after request_stop() or at the end of finite sources), watching
  // `signal_fd` (a signalfd, or -1) for a second SIGTERM/SIGINT. After `timeout` or that signal,
  // aborts what is left and ends blocked system calls. Then every batch still queued is counted
  // as undelivered, so summary() closes the books.
  Shutdown shutdown(std::chrono::duration<double> timeout, int signal_fd);

  // Applies `next` (validated, planned against the running configuration by plan_reload) while
  // the process runs (SIGHUP). Pipelines the plan keeps run on untouched, on the same threads.
  // First the new sinks and pipelines are built and the new sinks opened; if that fails, nothing
  // running was touched and the error is returned. Then the restarted and removed pipelines drain
  // as on SIGTERM (bounded by shutdown_timeout, then aborted) with the sinks being replaced, and
  // the new ones start; a restarted pipeline's counters continue from its predecessor's.
  // memory_limit, metrics and data_dir keep their running values. `stopped_old` tells, with an
  // error, whether the old pipelines had already been stopped (else nothing changed).
  Status reload(const Config& next, const ReloadPlan& plan, bool& stopped_old);
  // Held by a reader on another thread (a metrics scrape) while it walks pipelines() and sinks():
  // a reload changes those lists only under this lock. The main thread reads without it.
  std::unique_lock<std::mutex> lock_lists() const { return std::unique_lock(lists_mu_); }

  // One line per pipeline: in, out, filtered, dead-lettered, dropped, undelivered, events/s. A
  // pipeline a reload removed keeps its line, marked so.
  std::string summary() const;
  // Events that entered and are in no bucket yet (only a kStuck shutdown leaves any).
  uint64_t unaccounted() const;
  uint64_t undelivered() const;
  bool any_source_failed() const;

  const std::vector<std::unique_ptr<Pipeline>>& pipelines() const { return pipelines_; }
  const std::vector<std::unique_ptr<SinkRunner>>& sinks() const { return sinks_; }
  const MemoryBudget& budget() const { return *budget_; }
  const Config& config() const { return config_; }

 private:
  explicit Runtime(const Config& config);
  void abort_all();
  void join_all();
  // Waits until `pipelines` and `sinks` have drained, watching `signal_fd` as shutdown() says;
  // after the timeout or the signal, aborts them and ends their blocked system calls.
  Shutdown drain(const std::vector<Pipeline*>& pipelines, const std::vector<SinkRunner*>& sinks,
                 std::chrono::duration<double> timeout, int signal_fd);
  SinkRunner* sink_named(const std::string& name) const;

  Config config_;
  std::unique_ptr<MemoryBudget> budget_;
  std::unique_ptr<Wakeup> wakeup_ = std::make_unique<Wakeup>();
  std::vector<std::unique_ptr<SinkRunner>> sinks_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  // Pipelines a reload removed, joined and emptied (release_resources): their counts stay in the
  // summary, and go on if a later reload brings the name back.
  std::vector<std::unique_ptr<Pipeline>> retired_;
  // Pipelines a reload replaced, joined and emptied the same way: their counts went on in their
  // successors; kept until the end because a kept sink may still hold their queued items.
  std::vector<std::unique_ptr<Pipeline>> drained_;
  mutable std::mutex lists_mu_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace sluice
