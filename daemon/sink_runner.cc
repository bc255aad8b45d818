#include "daemon/sink_runner.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "daemon/thread_interrupt.h"
#include "stages/log.h"

namespace sluice {
namespace {
constexpr size_t kWriteChunk = 1 << 20;  // write once this much is pending
constexpr auto kPendingWait = std::chrono::milliseconds(20);
// Bounds how late an idle sink notices abort() (shutdown_timeout reached), and how long a sink
// holds a disk reserve it does not use.
constexpr auto kIdleWait = std::chrono::milliseconds(200);
// How long a message sink's full producer queue is left to drain before the rest is offered.
constexpr auto kQueueFullWait = std::chrono::milliseconds(5);
}  // namespace

SinkRunner::SinkRunner(std::string name, std::unique_ptr<Sink> sink, size_t queue_bytes)
    : name_(std::move(name)),
      sink_(std::move(sink)),
      queue_(queue_bytes),
      heartbeat_("sink:" + name_) {}

SinkRunner::~SinkRunner() {
  abort();
  join();
}

void SinkRunner::producer_done() {
  if (producers_.fetch_sub(1) == 1) {
    queue_.close();
  }
}

bool SinkRunner::push(SinkItem item, const std::atomic<bool>& abort,
                      std::atomic<uint64_t>* blocked_ns) {
  size_t bytes = item.token.batch().bytes();
  return queue_.push(std::move(item), bytes, abort, blocked_ns);
}

Status SinkRunner::start() {
  if (producers_.load() == 0) {
    queue_.close();
  }
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return Status::error("sink " + name_ + ": cannot start a thread: " + thread_error(e));
  }
  std::string thread_name = ("sink:" + name_).substr(0, 15);
  pthread_setname_np(thread_.native_handle(), thread_name.c_str());
  return Status();
}

void SinkRunner::abort() {
  {
    std::lock_guard lock(abort_mu_);
    abort_.store(true);
  }
  abort_cv_.notify_all();
  queue_.wake_consumers();
}

void SinkRunner::interrupt() {
  if (thread_.joinable() && !finished()) {
    interrupt_thread(thread_);
  }
}

void SinkRunner::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void SinkRunner::discard_queued() {
  SinkItem item;
  while (queue_.pop(item, std::chrono::microseconds(0))) {
    undelivered_.fetch_add(item.token.batch().targets[item.target].size(),
                           std::memory_order_relaxed);
    item = SinkItem{};  // the token dies unresolved: not delivered
  }
}

void SinkRunner::sleep_unless_aborted(std::chrono::milliseconds d) {
  std::unique_lock lock(abort_mu_);
  abort_cv_.wait_for(lock, d, [this] { return abort_.load(); });
}

void SinkRunner::run() {
  if (sink_->sends_messages()) {
    run_messages();
    return;
  }
  while (!abort_.load()) {
    SinkItem item;
    // With bytes pending, wait briefly so a trickle is written within 20 ms; with nothing
    // pending, sleep longer (close() and new batches wake the thread at once anyway).
    const bool idle = taken_.empty();
    if (!queue_.pop(item, idle ? kIdleWait : kPendingWait)) {
      if (!taken_.empty()) {
        write_out();
      } else {
        sink_->idle();
      }
      if (queue_.closed_and_empty()) {
        break;
      }
      continue;
    }
    take(std::move(item));
    if (pending_bytes_ >= kWriteChunk) {
      write_out();
    }
  }
  if (!abort_.load()) {
    write_out();
  }
  // Shutdown timed out (or the output broke): what was not written stays unacknowledged, so
  // sources that checkpoint will read it again on the next start.
  settle_taken(/*written=*/false);
  sink_->close();
  finished_.store(true);
  if (wakeup_ != nullptr) {
    wakeup_->notify();
  }
}

void SinkRunner::run_messages() {
  while (!abort_.load()) {
    SinkItem item;
    if (queue_.pop(item, kIdleWait)) {
      send(std::move(item));
    } else if (queue_.closed_and_empty()) {
      break;
    }
  }
  // Everything is produced: wait for the delivery reports (flush() waits a little each call),
  // until the shutdown timeout aborts the run.
  while (!abort_.load() && !sink_->flush().ok()) {
  }
  // What is still outstanding after an abort is released unresolved: not delivered.
  sink_->close();
  // Nothing more is rejected: the dead letters may finish once their other producers have.
  for (auto& dead_letter : dead_letters_) {
    dead_letter->sender_done();
  }
  finished_.store(true);
  if (wakeup_ != nullptr) {
    wakeup_->notify();
  }
}

void SinkRunner::send(SinkItem item) {
  const Batch::Output& out = item.token.batch().encoded[item.target];
  const size_t messages = out.ends.size();
  const uint64_t events = item.token.batch().targets[item.target].size();
  size_t from = 0;
  while (true) {
    from = sink_->send(item.token, item.target, from, item.dead_letter);
    if (from >= messages) {
      return;  // the sink owns the token now and resolves it on the delivery reports
    }
    if (abort_.load()) {
      sink_->abandon_send();
      undelivered_.fetch_add(events, std::memory_order_relaxed);
      return;
    }
    // The producer queue is full: backpressure, never a drop. Its delivery reports free room.
    sleep_unless_aborted(kQueueFullWait);
  }
}

void SinkRunner::take(SinkItem item) {
  const Batch& batch = item.token.batch();
  const uint64_t events = batch.targets[item.target].size();
  if (broken_.load()) {
    // The output is gone: nothing more is written; the token is released unresolved at once
    // (not delivered) so the pipeline drains instead of waiting on this sink.
    undelivered_.fetch_add(events, std::memory_order_relaxed);
    return;
  }
  const Batch::Output& out = batch.encoded[item.target];
  pending_bytes_ += out.bytes.size();
  for (Span range : out.text_ranges) {
    pending_bytes_ += range.len;
  }
  pending_events_ += events;
  taken_.push_back(std::move(item));
}

void SinkRunner::report_output_lengths() {
  const bool wanted = std::any_of(taken_.begin(), taken_.end(), [](const SinkItem& item) {
    return item.token.batch().wants_output_lengths();
  });
  if (!wanted) {
    return;
  }
  std::optional<uint64_t> end = sink_->output_length();
  if (!end) {
    // Cannot happen for a file sink (validate allows exactly_once with files only); without a
    // length the batches must not count as delivered, or a restart could cut them off.
    log_error("sink " + name_ + ": cannot tell the output's length for delivery: exactly_once; " +
              "its batches count as undelivered");
    for (SinkItem& item : taken_) {
      if (item.token.batch().wants_output_lengths()) {
        item = SinkItem{};
      }
    }
    return;
  }
  // The batches were appended in order, the first one after any header, and end at the file's
  // end: each one's length is found from there, and reported in batch order (the order the
  // source's cut takes them in).
  auto bytes_of = [](const SinkItem& item) {
    const Batch::Output& out = item.token.batch().encoded[item.target];
    uint64_t bytes = out.bytes.size();
    for (Span range : out.text_ranges) {
      bytes += range.len;
    }
    return bytes;
  };
  uint64_t total = 0;
  for (const SinkItem& item : taken_) {
    total += item.token.holds_share() ? bytes_of(item) : 0;
  }
  uint64_t length = *end - std::min(*end, total);
  for (const SinkItem& item : taken_) {
    if (!item.token.holds_share()) {
      continue;
    }
    length += bytes_of(item);
    item.token.batch().report_output_length(item.target, length);
  }
}

void SinkRunner::settle_taken(bool written) {
  if (written) {
    events_.fetch_add(pending_events_, std::memory_order_relaxed);
    report_output_lengths();
    for (SinkItem& item : taken_) {
      if (item.token.holds_share()) {
        flushed_.push_back(std::move(item.token));
      }
    }
    sink_->flushed(flushed_);
    flushed_.clear();
  } else {
    undelivered_.fetch_add(pending_events_, std::memory_order_relaxed);
  }
  // Releases the shares (unresolved ones as not delivered): a batch whose last share this was
  // is settled and recycled here.
  taken_.clear();
  parts_.clear();
  pending_bytes_ = 0;
  pending_events_ = 0;
}

void SinkRunner::list_parts(bool with_header) {
  parts_.clear();
  if (with_header && !taken_.empty()) {
    header_.clear();
    const SinkItem& first = taken_.front();
    first.encoder->begin(header_);
    // Without a header known in advance, the one the first batch's data names (if any).
    std::string_view header =
        header_.empty() ? std::string_view(first.token.batch().encoded[first.target].header)
                        : std::string_view(header_);
    if (!header.empty()) {
      parts_.push_back(header);
    }
  }
  for (const SinkItem& item : taken_) {
    const Batch& batch = item.token.batch();
    const Batch::Output& out = batch.encoded[item.target];
    if (!out.bytes.empty()) {
      parts_.push_back(out.bytes);
    }
    for (Span range : out.text_ranges) {
      parts_.push_back(batch.str(range));
    }
  }
}

void SinkRunner::write_out() {
  if (taken_.empty()) {
    return;
  }
  std::span<std::string_view> rest;
  bool listed = false;
  auto backoff = std::chrono::milliseconds(50);
  std::string last_error;
  bool written_all = false;
  if (stall_) {
    heartbeat_.busy();
    stall_until(abort_);  // test fault switch (daemon/test_stall.h)
  }
  while (!abort_.load() && !broken_.load()) {
    heartbeat_.busy();
    Result<bool> new_output = sink_->prepare();
    Status s = new_output.ok() ? Status() : new_output.status();
    if (s.ok() && (new_output.value() || !listed)) {
      // A new output (the first, or one re-created after the last was removed) begins with the
      // header, then every batch taken, from its first byte: whatever an earlier attempt wrote
      // went into an output that is gone, so no batch may start half-way in the new one.
      list_parts(new_output.value());
      rest = std::span(parts_);
      listed = true;
    }
    if (s.ok()) {
      size_t written = 0;
      s = rest.empty() ? Status() : sink_->write(rest, written);
      // Step over what was written, so a retry starts at the first byte not yet written.
      while (!rest.empty() && written >= rest.front().size()) {
        written -= rest.front().size();
        rest = rest.subspan(1);
      }
      if (!rest.empty()) {
        rest.front().remove_prefix(written);
      }
    }
    if (s.ok()) {
      s = sink_->flush();
    }
    heartbeat_.not_busy();
    if (s.ok()) {
      written_all = true;
      break;
    }
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (sink_->broken()) {
      log_error("sink " + name_ + ": " + s.message() +
                "; the output is gone, so this sink stops and what it could not write is "
                "counted as undelivered");
      broken_.store(true);
      if (wakeup_ != nullptr) {
        wakeup_->notify();
      }
      break;
    }
    if (abort_.load()) {
      break;  // the write was interrupted because the run is being aborted
    }
    if (s.message() != last_error) {
      log_warning("sink " + name_ + ": " + s.message() + "; retrying");
      last_error = s.message();
    }
    sleep_unless_aborted(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  settle_taken(written_all);
}

}  // namespace sluice
