#include "stages/ingest/stream_reader.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace sluice {
namespace {
// Bytes kept of what was read last, to tell whether a file still holds them.
constexpr size_t kRecentBytes = 32;

// Reads `length` bytes of `fd` at `from` into `out`; false when fewer could be read.
bool read_exactly_at(int fd, uint64_t from, size_t length, std::string& out) {
  out.resize(length);
  ssize_t n = ::pread(fd, out.data(), length, static_cast<off_t>(from));
  return n >= 0 && static_cast<size_t>(n) == length;
}
}  // namespace

StreamReader::StreamReader(std::unique_ptr<RecordFramer> framer,
                           std::shared_ptr<const std::string> name, StreamReaderOptions options)
    : framer_(std::move(framer)), name_(std::move(name)), options_(options) {
  options_.max_event_bytes =
      std::max(options_.max_event_bytes, StreamReaderOptions::kMinEventBytes);
}

BatchPtr StreamReader::new_read_batch(SourceContext& ctx, size_t bytes) {
  BatchPtr batch = ctx.new_read_batch(bytes);
  if (!batch) {
    return nullptr;
  }
  batch->source = name_;
  // A fresh batch (none recycled yet) would otherwise grow its events by doubling, copying them.
  batch->events.reserve(last_batch_events_ + last_batch_events_ / 4);
  return batch;
}

size_t StreamReader::largest_read_buffer() const {
  return std::max(options_.batch_bytes, 2 * options_.max_event_bytes);
}

bool StreamReader::ensure_batch(SourceContext& ctx) {
  if (batch_) {
    return true;
  }
  // The carried record gets room to grow: twice its size, so a long record is not re-read
  // many times; never more than largest_read_buffer(), which `validate` checks memory_limit
  // against.
  const size_t bytes =
      std::min(std::max(options_.batch_bytes, carry_.size() * 2), largest_read_buffer());
  batch_ = new_read_batch(ctx, bytes);
  if (!batch_) {
    return false;
  }
  std::memcpy(batch_->text.data(), carry_.data(), carry_.size());
  used_ = carry_.size();
  framed_upto_ = 0;
  carry_.clear();
  return true;
}

void StreamReader::park() {
  // Called with no events in the batch: only an incomplete record, or nothing.
  carry_.assign(batch_->text.data() + framed_upto_, used_ - framed_upto_);
  batch_.reset();
  used_ = framed_upto_ = 0;
}

StreamReader::Outcome StreamReader::pump(int fd, SourceContext& ctx, bool final) {
  while (true) {
    if (ctx.stopping()) {
      return Outcome::kStopped;
    }
    if (batch_ && used_ == batch_->text.size()) {
      std::string& text = batch_->text;
      if (framed_upto_ > 0) {
        if (!emit_framed(ctx)) {
          return Outcome::kStopped;
        }
        continue;
      }
      if (text.size() < options_.max_event_bytes) {
        text.resize(std::min(text.size() * 2, options_.max_event_bytes));
        batch_->update_lease();
        continue;
      }
      handle_oversized_record();
      if (!emit_framed(ctx)) {
        return Outcome::kStopped;
      }
      continue;
    }
    // Wait for data in slices, so a blocking stdin or socket still notices a stop request.
    // No batch is taken from the memory budget before there is data to put into it: an idle
    // stream holds none.
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, 100);
    if (ready == 0) {
      // Nothing more is coming right now: hand on what is complete, for latency.
      if (batch_ && framed_upto_ > 0) {
        if (!emit_framed(ctx)) {
          return Outcome::kStopped;
        }
      } else if (batch_) {
        park();
      }
      continue;
    }
    if (!ensure_batch(ctx)) {
      return Outcome::kStopped;
    }
    std::string& text = batch_->text;
    size_t want = text.size() - used_;
    ssize_t n = ::read(fd, text.data() + used_, want);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return Outcome::kAgain;
      }
      error_ = std::strerror(errno);
      return Outcome::kError;
    }
    if (n == 0) {
      return flush(ctx, final) ? Outcome::kEndOfData : Outcome::kStopped;
    }
    if (verify_reads_ && !recent_.empty() && !still_holds_read_bytes(fd)) {
      // The file changed under this read: what it returned belongs to new content. What was
      // framed before it is still the old content's and goes on; the rest is dropped.
      if (framed_upto_ > 0 && !emit_framed(ctx)) {
        return Outcome::kStopped;
      }
      return Outcome::kReplaced;
    }
    if (verify_reads_) {
      const size_t keep = std::min<size_t>(kRecentBytes, static_cast<size_t>(n));
      recent_.append(text.data() + used_ + static_cast<size_t>(n) - keep, keep);
      if (recent_.size() > kRecentBytes) {
        recent_.erase(0, recent_.size() - kRecentBytes);
      }
    }
    used_ += static_cast<size_t>(n);
    bytes_read_ += static_cast<uint64_t>(n);
    read_offset_ += static_cast<uint64_t>(n);
    if (skipping_) {
      char* from = text.data() + framed_upto_;
      auto* nl = static_cast<char*>(std::memchr(from, '\n', used_ - framed_upto_));
      if (nl == nullptr) {
        used_ = framed_upto_;
        continue;
      }
      size_t drop = static_cast<size_t>(nl + 1 - from);
      std::memmove(from, nl + 1, used_ - framed_upto_ - drop);
      used_ -= drop;
      skipping_ = false;
      framer_->skip_lines(1);  // the oversized record's line
    }
    framed_upto_ = framer_->frame(*batch_, framed_upto_, used_, false);
    if (static_cast<size_t>(n) < want && framed_upto_ > 0) {
      // A short read: the stream has no more for now, so don't wait to fill the batch.
      if (!emit_framed(ctx)) {
        return Outcome::kStopped;
      }
    }
  }
}

bool StreamReader::flush(SourceContext& ctx, bool final) {
  if (!batch_) {
    return true;
  }
  if (final) {
    // At the end, the framer may append text (the reason for an unterminated record) after the
    // data, so the buffer must end where the data ends and keep what the framer adds.
    batch_->text.resize(used_);
    if (!skipping_) {
      framer_->frame(*batch_, framed_upto_, used_, true);
    }
    skipping_ = false;
    used_ = framed_upto_ = batch_->text.size();
  }
  if (batch_->events.empty()) {
    park();
    return true;
  }
  return emit_framed(ctx);
}

bool StreamReader::rewind(int fd) {
  if (carry_.empty()) {
    carry_.shrink_to_fit();
    return true;
  }
  const auto back = static_cast<off_t>(carry_.size());
  if (::lseek(fd, -back, SEEK_CUR) < 0) {
    return false;  // not seekable (a pipe): the carry stays in memory
  }
  bytes_read_ -= static_cast<uint64_t>(back);
  read_offset_ -= static_cast<uint64_t>(back);
  carry_.clear();
  carry_.shrink_to_fit();
  if (verify_reads_) {
    // The bytes before the new position were read moments ago.
    const size_t keep = std::min<uint64_t>(kRecentBytes, read_offset_);
    if (!read_exactly_at(fd, read_offset_ - keep, keep, recent_)) {
      recent_.clear();
    }
  }
  return true;
}

bool StreamReader::still_holds_read_bytes(int fd) const {
  if (recent_.empty()) {
    return true;
  }
  std::string now;
  return read_exactly_at(fd, read_offset_ - recent_.size(), recent_.size(), now) && now == recent_;
}

bool StreamReader::start_at(int fd, uint64_t offset, uint64_t lines, bool from_checkpoint) {
  reset();
  if (offset > 0 && framer_->awaits_header()) {
    // The header is framed again from the start of the file, into a scratch batch whose events
    // are dropped: they are before `offset`, delivered already.
    Batch scratch;
    scratch.source = name_;
    uint64_t length = std::min<uint64_t>(offset, 4096);
    for (;;) {
      if (!read_exactly_at(fd, 0, length, scratch.text)) {
        return false;
      }
      scratch.events.clear();
      framer_->reset();
      framer_->frame(scratch, 0, length, length == offset);
      if (!framer_->awaits_header() || length == offset || length >= options_.max_event_bytes) {
        break;
      }
      length = std::min<uint64_t>(offset, length * 2);
    }
  }
  framer_->resume_after_lines(lines);
  read_offset_ = emitted_end_ = offset;
  if (from_checkpoint && offset > 0) {
    char before = 0;
    if (::pread(fd, &before, 1, static_cast<off_t>(offset - 1)) != 1) {
      return false;
    }
    skipping_ = before != '\n';
  }
  if (verify_reads_) {
    const size_t keep = std::min<uint64_t>(kRecentBytes, offset);
    if (!read_exactly_at(fd, offset - keep, keep, recent_)) {
      return false;
    }
  }
  return ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) == static_cast<off_t>(offset);
}

bool StreamReader::emit_framed(SourceContext& ctx) {
  // The incomplete record after the last framed one moves out of the batch first, so the batch
  // is handed on before the next one is taken from the memory budget: a reader never waits for
  // budget that it holds itself.
  carry_.assign(batch_->text.data() + framed_upto_, used_ - framed_upto_);
  batch_->text.resize(framed_upto_);
  if (framed_upto_ > options_.max_event_bytes) {
    // A record can be longer than max_event_bytes and still fit the read buffer when the limit
    // is set below the read size: it is cut here like one that overflows the buffer.
    truncate_oversized_records(*batch_);
  }
  BatchPtr done = std::move(batch_);
  used_ = 0;
  framed_upto_ = 0;
  if (done->events.empty()) {
    return true;
  }
  last_batch_events_ = done->events.size();
  done->update_lease();
  const uint64_t end = read_offset_ - carry_.size();
  if (emit_hook_) {
    emit_hook_(*done, emitted_end_, end, framer_->lines_framed());
  }
  emitted_end_ = end;
  return ctx.emit(std::move(done));
}

void StreamReader::handle_oversized_record() {
  // The whole buffer is one record and it is already max_event_bytes long: keep its first KiB as
  // the dead letter's `_raw`, then discard the rest of it up to the next newline.
  std::string& text = batch_->text;
  size_t total = used_;
  text.resize(std::min(kRejectedRawPrefix, total));
  Event e;
  e.raw = Span{0, static_cast<uint32_t>(text.size())};
  e.state = EventState::kParseError;
  e.position = framer_->lines_framed() + 1;
  e.error = batch_->append(oversized_reason());
  batch_->events.push_back(e);
  used_ = text.size();
  framed_upto_ = used_;
  skipping_ = true;
}

std::string StreamReader::oversized_reason() const {
  return "record longer than max_event_bytes (" + std::to_string(options_.max_event_bytes) +
         " bytes); truncated";
}

void StreamReader::truncate_oversized_records(Batch& batch) const {
  Span reason{};  // appended once, shared by every oversized record of the batch
  for (Event& e : batch.events) {
    if (e.raw.len > options_.max_event_bytes && e.state != EventState::kParseError) {
      if (reason.len == 0) {
        reason = batch.append(oversized_reason());
      }
      e.raw.len = static_cast<uint32_t>(kRejectedRawPrefix);
      e.state = EventState::kParseError;
      e.error = reason;
    }
  }
}

void StreamReader::reset() {
  if (batch_) {
    batch_->events.clear();
    batch_->fields.clear();
    batch_->slot_fields.clear();
  }
  carry_.clear();
  used_ = 0;
  framed_upto_ = 0;
  skipping_ = false;
  read_offset_ = emitted_end_ = 0;
  recent_.clear();
  framer_->reset();
}

}  // namespace sluice
