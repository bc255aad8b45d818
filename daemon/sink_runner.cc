#include "daemon/sink_runner.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "stages/log.h"

namespace sluice {
namespace {
constexpr size_t kWriteChunk = 1 << 20;  // write once this much is pending
constexpr auto kPendingWait = std::chrono::milliseconds(20);
// Bounds how late an idle sink notices abort() (shutdown_timeout reached).
constexpr auto kIdleWait = std::chrono::milliseconds(200);
}  // namespace

SinkRunner::SinkRunner(std::string name, std::unique_ptr<Sink> sink, size_t queue_bytes)
    : name_(std::move(name)), sink_(std::move(sink)), queue_(queue_bytes) {}

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
  size_t bytes = item.batch->bytes();
  return queue_.push(std::move(item), bytes, abort, blocked_ns);
}

void SinkRunner::start() {
  if (producers_.load() == 0) {
    queue_.close();
  }
  thread_ = std::thread([this] { run(); });
  std::string thread_name = ("sink:" + name_).substr(0, 15);
  pthread_setname_np(thread_.native_handle(), thread_name.c_str());
}

void SinkRunner::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void SinkRunner::run() {
  while (!abort_.load()) {
    SinkItem item;
    // With bytes pending, wait briefly so a trickle is written within 20 ms; with nothing
    // pending, sleep longer (close() and new batches wake the thread at once anyway).
    const bool idle = pending_.empty() && unacknowledged_.empty();
    if (!queue_.pop(item, idle ? kIdleWait : kPendingWait)) {
      if (!pending_.empty() || !unacknowledged_.empty()) {
        write_out();
      }
      if (queue_.closed_and_empty()) {
        break;
      }
      continue;
    }
    if (!started_output_) {
      started_output_ = true;
      if (sink_->at_start()) {
        item.encoder->begin(header_);
        if (!header_.empty()) {
          pending_.push_back(header_);
          pending_bytes_ += header_.size();
        }
      }
    }
    const Batch& batch = *item.batch;
    const Batch::Output& out = batch.encoded[item.target];
    events_.fetch_add(batch.targets[item.target].size(), std::memory_order_relaxed);
    if (!out.bytes.empty()) {
      pending_.push_back(out.bytes);
      pending_bytes_ += out.bytes.size();
    }
    for (Span range : out.text_ranges) {
      pending_.push_back(batch.str(range));
      pending_bytes_ += range.len;
    }
    unacknowledged_.push_back(std::move(item.batch));
    if (pending_bytes_ >= kWriteChunk) {
      write_out();
    }
  }
  if (!abort_.load()) {
    write_out();
  } else {
    // Shutdown timed out: whatever was not written stays unacknowledged, so sources that
    // checkpoint will read it again on the next start.
    for (auto& b : unacknowledged_) {
      b->abandon();
    }
    unacknowledged_.clear();
  }
  finished_.store(true);
  if (wakeup_ != nullptr) {
    wakeup_->notify();
  }
}

void SinkRunner::write_out() {
  std::span<std::string_view> rest(pending_);
  auto backoff = std::chrono::milliseconds(50);
  std::string last_error;
  while (!abort_.load()) {
    size_t written = 0;
    Status s = rest.empty() ? Status() : sink_->write(rest, written);
    // Step over what was written, so a retry starts at the first byte not yet written.
    while (!rest.empty() && written >= rest.front().size()) {
      written -= rest.front().size();
      rest = rest.subspan(1);
    }
    if (!rest.empty()) {
      rest.front().remove_prefix(written);
    }
    if (s.ok()) {
      s = sink_->flush();
    }
    if (s.ok()) {
      break;
    }
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (s.message() != last_error) {
      log_warning("sink " + name_ + ": " + s.message() + "; retrying");
      last_error = s.message();
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  if (abort_.load() && !rest.empty()) {
    return;  // run() abandons the unacknowledged batches
  }
  pending_.clear();
  pending_bytes_ = 0;
  unacknowledged_.clear();  // the last reference to each batch: this acknowledges them
}

}  // namespace sluice
