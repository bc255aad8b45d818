#include "daemon/sink_runner.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "stages/log.h"

namespace sluice {
namespace {
constexpr size_t kWriteChunk = 1 << 20;  // write once this much is encoded
}

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
  std::string buffer;
  buffer.reserve(kWriteChunk * 2);
  while (!abort_.load()) {
    SinkItem item;
    if (!queue_.pop(item, std::chrono::milliseconds(20))) {
      if (!buffer.empty() || !unacknowledged_.empty()) {
        write_out(buffer);
      }
      if (queue_.closed_and_empty()) {
        break;
      }
      continue;
    }
    if (!started_output_) {
      started_output_ = true;
      if (sink_->at_start()) {
        item.encoder->begin(buffer);
      }
    }
    const auto& events = item.batch->targets[item.target];
    item.encoder->encode(*item.batch, events, buffer);
    events_.fetch_add(events.size(), std::memory_order_relaxed);
    unacknowledged_.push_back(std::move(item.batch));
    if (buffer.size() >= kWriteChunk) {
      write_out(buffer);
    }
  }
  if (!abort_.load()) {
    write_out(buffer);
  } else {
    // Shutdown timed out: whatever was not written stays unacknowledged, so sources that
    // checkpoint will read it again on the next start.
    for (auto& b : unacknowledged_) {
      b->abandon();
    }
    unacknowledged_.clear();
  }
  finished_.store(true);
}

void SinkRunner::write_out(std::string& buffer) {
  std::string_view rest(buffer);
  auto backoff = std::chrono::milliseconds(50);
  std::string last_error;
  while (!abort_.load()) {
    size_t written = 0;
    Status s = rest.empty() ? Status() : sink_->write(rest, written);
    rest.remove_prefix(written);
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
  buffer.clear();
  unacknowledged_.clear();  // the last reference to each batch: this acknowledges them
}

}  // namespace sluice
