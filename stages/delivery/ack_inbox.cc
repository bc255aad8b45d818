#include "stages/delivery/ack_inbox.h"

namespace sluice {

void AckInbox::take(std::vector<Settled>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (settled_.empty() && timeout.count() > 0) {
    cv_.wait_for(lock, timeout, [this] { return !settled_.empty(); });
  }
  out.swap(settled_);
  settled_.clear();
  lengths_.clear();
}

void AckInbox::take(std::vector<Settled>& out, std::vector<OutputLength>& lengths,
                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (settled_.empty() && timeout.count() > 0) {
    cv_.wait_for(lock, timeout, [this] { return !settled_.empty(); });
  }
  out.swap(settled_);
  settled_.clear();
  lengths.swap(lengths_);
  lengths_.clear();
}

void AckInbox::output_written(uint64_t cookie, uint32_t target, uint64_t length) noexcept {
  // No notify: a length alone moves nothing; the batch's settlement that follows wakes take().
  std::lock_guard lock(mu_);
  lengths_.push_back(OutputLength{cookie, target, length});
}

void AckInbox::outlive_batches(const std::shared_ptr<AckInbox>& inbox) {
  if (inbox == nullptr) {
    return;
  }
  // Read under the lock: a sink thread that settled the last batch has then left add() entirely
  // (its unlock came before this lock), so nothing touches the inbox once it is freed.
  int64_t outstanding = 0;
  {
    std::lock_guard lock(inbox->mu_);
    outstanding = inbox->outstanding();
  }
  if (outstanding > 0) {
    new std::shared_ptr<AckInbox>(inbox);  // NOLINT: deliberately never freed, see the header
  }
}

void AckInbox::add(uint64_t cookie, bool delivered) noexcept {
  // All of it under the lock, the count last: once outlive_batches() reads no batch
  // outstanding, this thread is done with the inbox, and the source may free it (a reload that
  // replaces the pipeline). Counting first let the inbox be freed under a notify in progress.
  std::lock_guard lock(mu_);
  settled_.push_back(Settled{cookie, delivered});
  outstanding_.fetch_sub(1);
  cv_.notify_one();
}

}  // namespace sluice
