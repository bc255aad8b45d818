#include "stages/ingest/checkpoint_saver.h"

#include <utility>

#include "stages/delivery/sink_file_length.h"

namespace sluice {

Status save_durably(const FileCheckpointStore& store, const CheckpointSave& save) {
  // The bytes the record counts are durable before it is: a crash after the rename never finds
  // a sink file shorter than its record.
  std::vector<SinkFileLength> sinks;
  sinks.reserve(save.sinks.size());
  for (const CheckpointSave::Sink& sink : save.sinks) {
    Result<SinkFileLength> synced = sync_sink_file(sink.path, sink.length);
    if (!synced.ok()) {
      return synced.status();
    }
    sinks.push_back(std::move(synced.value()));
  }
  return store.save(save.entries, sinks);
}

CheckpointSaver::CheckpointSaver(SaveFunction save) : save_(std::move(save)) {
  thread_ = std::thread([this] { loop(); });
}

CheckpointSaver::~CheckpointSaver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

uint64_t CheckpointSaver::submit(CheckpointSave save) {
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = next_seq_++;
    save.seq = seq;
    pending_ = std::move(save);  // a save still waiting is replaced: it was older
  }
  wake_.notify_one();
  return seq;
}

void CheckpointSaver::take_completions(std::vector<Completion>& out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Completion& c : completions_) {
    out.push_back(std::move(c));
  }
  completions_.clear();
  has_completions_.store(false, std::memory_order_release);
}

void CheckpointSaver::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return !pending_ && !running_; });
}

void CheckpointSaver::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return pending_ || stopping_; });
    if (!pending_) {
      return;  // stopping, nothing left to save
    }
    CheckpointSave save = std::move(*pending_);
    pending_.reset();
    running_ = true;
    lock.unlock();
    Status status = save_(save);
    lock.lock();
    running_ = false;
    completions_.push_back(Completion{save.seq, std::move(status)});
    has_completions_.store(true, std::memory_order_release);
    idle_.notify_all();
  }
}

}  // namespace sluice
