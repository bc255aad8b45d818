#include "stages/ingest/tcp_connection.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "stages/ingest/octet_counting_framer.h"

namespace sluice {
namespace {

// The smallest read: a connection that sends little gets a small batch, not a full read buffer.
constexpr size_t kMinReadBytes = 16 << 10;
// Room past max_event_bytes for an octet-counting header, so that a message of max_event_bytes
// fits one buffer with its header.
constexpr size_t kHeaderSlack = 32;

}  // namespace

TcpConnection::TcpConnection(int fd, std::shared_ptr<const std::string> peer, TcpFraming framing,
                             const FramerFactory& make_framer, StreamReaderOptions options)
    : last_read(std::chrono::steady_clock::now()),
      fd_(fd),
      peer_(std::move(peer)),
      framing_(framing),
      make_framer_(make_framer),
      options_(options) {
  options_.max_event_bytes =
      std::max(options_.max_event_bytes, StreamReaderOptions::kMinEventBytes);
  if (framing_ != TcpFraming::kAuto) {
    framer_ = make_framer_(framing_ == TcpFraming::kOctetCounting);
  }
}

TcpConnection::~TcpConnection() { close_socket(); }

void TcpConnection::close_socket() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

size_t TcpConnection::next_batch_bytes() const {
  // Sized by what the socket holds now: many quiet connections make small batches.
  int queued = 0;
  if (fd_ < 0 || ::ioctl(fd_, FIONREAD, &queued) != 0 || queued < 0) {
    queued = 0;
  }
  const size_t fresh = std::max(static_cast<size_t>(queued), kMinReadBytes);
  return std::min(carry_.size() + fresh,
                  std::max(options_.batch_bytes, carry_.size() + kMinReadBytes));
}

bool TcpConnection::take_batch(SourceContext& ctx) {
  const size_t bytes = next_batch_bytes();
  batch_ = ctx.try_new_read_batch(bytes);
  if (!batch_) {
    return false;
  }
  batch_->source = peer_;
  std::memcpy(batch_->text.data(), carry_.data(), carry_.size());
  read_size_ = bytes;
  used_ = carry_.size();
  framed_ = 0;
  scanned_ = carry_scanned_;
  carry_.clear();
  return true;
}

bool TcpConnection::choose_framing() {
  if (framer_) {
    return true;
  }
  auto octet = looks_octet_counted(std::string_view(batch_->text.data(), used_));
  if (!octet && !closed_) {
    return false;
  }
  framer_ = make_framer_(octet.value_or(false));
  return true;
}

TcpConnection::Step TcpConnection::serve(SourceContext& ctx, size_t turn_bytes) {
  if (pending_) {
    if (!ctx.try_emit(pending_)) {
      return Step::kRefused;
    }
    pending_.reset();
  }
  if (closed_) {
    return Step::kClosed;
  }
  size_t taken = 0;
  while (true) {
    if (!batch_ && !take_batch(ctx)) {
      return Step::kRefused;
    }
    if (used_ == read_size_) {
      if (framed_ > 0) {
        if (!hand_on(ctx)) {
          return Step::kRefused;
        }
        continue;
      }
      // One record fills the buffer: let it grow up to max_event_bytes, then cut it.
      if (read_size_ < options_.max_event_bytes + kHeaderSlack) {
        read_size_ = std::min(read_size_ * 2, options_.max_event_bytes + kHeaderSlack);
        batch_->text.resize(read_size_);
        batch_->update_lease();
        continue;
      }
      cut_oversized_record();
      if (!hand_on(ctx)) {
        return Step::kRefused;
      }
      continue;
    }
    const size_t want = read_size_ - used_;
    ssize_t n = ::read(fd_, batch_->text.data() + used_, want);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return hand_on(ctx) ? Step::kDrained : Step::kRefused;
      }
      error_ = std::strerror(errno);  // a reset by the peer ends the stream like a close
      n = 0;
    }
    if (n == 0) {
      closed_ = true;
      close_socket();
      tear_fragment();
      return hand_on(ctx) ? Step::kClosed : Step::kRefused;
    }
    last_read = std::chrono::steady_clock::now();
    used_ += static_cast<size_t>(n);
    taken += static_cast<size_t>(n);
    const bool short_read = static_cast<size_t>(n) < want;
    if ((!skipping_ || skip_oversized_rest()) && choose_framing()) {
      framed_ =
          framer_->frame_resuming(*batch_, framed_, std::max(scanned_, framed_), used_, false);
      scanned_ = used_;
    }
    if (short_read || taken >= turn_bytes) {
      return hand_on(ctx) ? Step::kDrained : Step::kRefused;
    }
  }
}

bool TcpConnection::hand_on(SourceContext& ctx) {
  if (!batch_) {
    return true;
  }
  std::string& text = batch_->text;
  carry_.assign(text.data() + framed_, used_ - framed_);
  carry_scanned_ = scanned_ > framed_ ? std::min(scanned_, used_) - framed_ : 0;
  // Cut the buffer back to the framed records, keeping the reasons framing appended after it.
  const size_t gap = read_size_ - framed_;
  if (text.size() > read_size_) {
    text.erase(framed_, gap);
    for (Event& e : batch_->events) {
      if (e.error.len > 0 && e.error.off >= read_size_) {
        e.error.off -= static_cast<uint32_t>(gap);
      }
    }
  } else {
    text.resize(framed_);
  }
  // No record is longer than the framed bytes: in a buffer no longer than max_event_bytes (the
  // usual case), there is nothing to cut and the per-event pass is skipped.
  const bool may_hold_long_records = framed_ > options_.max_event_bytes;
  read_size_ = used_ = framed_ = scanned_ = 0;
  if (batch_->events.empty()) {
    batch_.reset();
    if (carry_.empty()) {
      carry_.shrink_to_fit();  // an idle connection holds no buffer
    }
    return true;
  }
  if (may_hold_long_records) {
    cut_long_records();
  }
  batch_->update_lease();
  if (!ctx.try_emit(batch_)) {
    pending_ = std::move(batch_);
    return false;
  }
  batch_.reset();
  return true;
}

void TcpConnection::cut_oversized_record() {
  Batch& batch = *batch_;
  Event& e = batch.events.emplace_back();
  e.raw = Span{0, static_cast<uint32_t>(std::min(kRejectedRawPrefix, used_))};
  e.state = EventState::kParseError;
  e.position = framer_->lines_framed() + 1;
  e.error = batch.append("record longer than max_event_bytes (" +
                         std::to_string(options_.max_event_bytes) + " bytes); truncated");
  used_ = framed_ = scanned_ = e.raw.len;
  skipping_ = true;
}

bool TcpConnection::skip_oversized_rest() {
  char* from = batch_->text.data() + framed_;
  auto* nl = static_cast<char*>(std::memchr(from, '\n', used_ - framed_));
  if (nl == nullptr) {
    used_ = framed_;
    return false;
  }
  const size_t drop = static_cast<size_t>(nl + 1 - from);
  std::memmove(from, nl + 1, used_ - framed_ - drop);
  used_ -= drop;
  scanned_ = framed_;  // the bytes after the oversized record are new to the framer
  skipping_ = false;
  framer_->skip_lines(1);  // the oversized record's line
  return true;
}

void TcpConnection::tear_fragment() {
  if (skipping_ || used_ == framed_ || !choose_framing()) {
    return;  // at a record end, or inside an oversized record already reported
  }
  Batch& batch = *batch_;
  const size_t length = used_ - framed_;
  Event& e = batch.events.emplace_back();
  e.raw = Span{static_cast<uint32_t>(framed_),
               static_cast<uint32_t>(std::min(kRejectedRawPrefix, length))};
  e.state = EventState::kParseError;
  e.position = framer_->lines_framed() + 1;
  e.error = batch.append("connection closed in the middle of a record (" + std::to_string(length) +
                         " bytes); the fragment is not an event");
  framed_ = used_;
  ++torn_records_;
}

void TcpConnection::cut_long_records() {
  Span reason{};  // appended once, shared by every long record of the batch
  for (Event& e : batch_->events) {
    if (e.raw.len > options_.max_event_bytes && e.state != EventState::kParseError) {
      if (reason.len == 0) {
        reason = batch_->append("record longer than max_event_bytes (" +
                                std::to_string(options_.max_event_bytes) + " bytes); truncated");
      }
      e.raw.len = static_cast<uint32_t>(kRejectedRawPrefix);
      e.state = EventState::kParseError;
      e.error = reason;
    }
  }
}

size_t TcpConnection::finish(SourceContext& ctx) {
  if (pending_) {
    BatchPtr batch = std::move(pending_);
    ctx.emit(std::move(batch));
  }
  const size_t dropped = carry_.size() + (batch_ ? used_ - framed_ : 0);
  batch_.reset();
  carry_.clear();
  carry_scanned_ = 0;
  close_socket();
  return dropped;
}

}  // namespace sluice
