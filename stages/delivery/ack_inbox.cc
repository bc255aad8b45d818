#include "stages/delivery/ack_inbox.h"

namespace sluice {

void AckInbox::take(std::vector<Settled>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (settled_.empty() && timeout.count() > 0) {
    cv_.wait_for(lock, timeout, [this] { return !settled_.empty(); });
  }
  out.swap(settled_);
  settled_.clear();
}

void AckInbox::outlive_batches(const std::shared_ptr<AckInbox>& inbox) {
  if (inbox != nullptr && inbox->outstanding() > 0) {
    new std::shared_ptr<AckInbox>(inbox);  // NOLINT: deliberately never freed, see the header
  }
}

void AckInbox::add(uint64_t cookie, bool delivered) noexcept {
  outstanding_.fetch_sub(1);
  {
    std::lock_guard lock(mu_);
    settled_.push_back(Settled{cookie, delivered});
  }
  cv_.notify_one();
}

}  // namespace sluice
