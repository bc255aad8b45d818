// StreamReader: turns a byte stream (a file, stdin, a socket) into batches of whole records.
// Reads straight into the batch's own buffer (one read per batch, no copy), frames it, and carries
// the incomplete tail into the next batch. A record longer than max_event_bytes becomes a
// parse-error event (reason and the first KiB of it) and the rest of it is skipped.
// Memory: a batch is taken from the budget only when there is data to read into it, and handed
// on before the next is taken, so the reader never waits for budget it holds itself and an idle
// stream holds no batch (at most its incomplete last record, which rewind() gives back to a
// seekable file). One reader per stream, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "stages/ingest/record_framer.h"
#include "stages/ingest/source.h"

namespace sluice {

struct StreamReaderOptions {
  // Read size. 512 KiB measured best: fewer reads and hand-offs than 256 KiB (passthrough +5-8 %,
  // JSON +3-9 %), while 1 MiB slowed CSV (a batch's parsed fields outgrow the L2 cache).
  size_t batch_bytes = 1 << 19;
  size_t max_event_bytes = 1 << 20;  // longest record; a longer one is dead-lettered
  // The reader frames with at least this max_event_bytes (a smaller one is raised to it); the
  // configuration refuses smaller values (config/limits.h), so only tests meet the floor.
  static constexpr size_t kMinEventBytes = 4096;
};

class StreamReader {
 public:
  StreamReader(std::unique_ptr<RecordFramer> framer, std::shared_ptr<const std::string> name,
               StreamReaderOptions options);

  enum class Outcome {
    kEndOfData,  // read() returned 0: EOF for a file now (it may grow), end of stdin/socket
    kAgain,      // a non-blocking fd has no data now
    kStopped,    // the context is stopping
    kError,      // read failed: error() says why
    kReplaced,   // with verify_reads: the bytes before the read position changed (the file was
                 // truncated and rewritten); what was read from the new content was dropped
  };
  // Reads from `fd` until it has no more data, emitting batches as they fill.
  // `final`: at end of data the stream is over, so the last record needs no terminator.
  Outcome pump(int fd, SourceContext& ctx, bool final);
  // Emits the complete records read so far (a following file waits at EOF); with `final`, also
  // an unterminated last record. False when stopping.
  bool flush(SourceContext& ctx, bool final);
  // The stream starts again (truncation, a new file): pending bytes are dropped.
  void reset();
  // At a pause (EOF of a followed file): moves the file offset of `fd` back to the start of the
  // incomplete record held in memory, and frees it; it is read again when the file grows.
  // False when `fd` cannot seek (the record stays in memory).
  bool rewind(int fd);
  // Told of every batch just before it is emitted, with the stream offsets it covers, [first,
  // end), and the lines before `end`: a checkpointing source sets the batch's acknowledgement
  // here. Called on the reader's thread, once per batch.
  using EmitHook = std::function<void(Batch& batch, uint64_t first, uint64_t end, uint64_t lines)>;
  void set_emit_hook(EmitHook hook) { emit_hook_ = std::move(hook); }
  // For a file that may be truncated and rewritten under the reader: after every read, the bytes
  // just before it are read again and compared with what was read there, so a read that landed
  // in new content is dropped (kReplaced) instead of delivering a torn record.
  void set_verify_reads(bool verify) { verify_reads_ = verify; }
  // The stream continues at `offset` of `fd`, after `lines` lines; for a CSV header stream the
  // header is framed from the start of `fd` first (and not emitted). Positions `fd` at
  // `offset`. False when the header or the bytes before `offset` cannot be read.
  // `from_checkpoint`: `offset` is a delivered position. That is a record boundary (just after
  // a newline) except when it was saved while an over-long record was being skipped (its first
  // KiB went to the dead letter as soon as it was found too long): then the rest of that record
  // is skipped again, up to and with its newline, and the record after it is the next read.
  bool start_at(int fd, uint64_t offset, uint64_t lines, bool from_checkpoint);
  // True when `fd` still holds, just before the read position, the bytes read there.
  bool still_holds_read_bytes(int fd) const;
  // The stream offset of the next byte to read.
  uint64_t read_offset() const { return read_offset_; }

  // The largest read buffer this reader asks the memory budget for (a record of
  // max_event_bytes carried into a buffer twice its size); `validate` checks memory_limit
  // against it.
  size_t largest_read_buffer() const;
  // Bytes read but not yet framed into a batch: 0 when the stream is at a record boundary.
  size_t unframed_bytes() const { return carry_.size() + (batch_ ? used_ - framed_upto_ : 0); }

  const std::string& error() const { return error_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  // A batch from ctx with a `bytes`-long text to read into; null when stopping.
  BatchPtr new_read_batch(SourceContext& ctx, size_t bytes);
  bool ensure_batch(SourceContext& ctx);
  // Moves the incomplete record out of a batch without events and drops the batch.
  void park();
  bool emit_framed(SourceContext& ctx);
  void handle_oversized_record();
  // Turns every record of `batch` longer than max_event_bytes into a parse error whose `_raw` is
  // its first KiB.
  void truncate_oversized_records(Batch& batch) const;
  std::string oversized_reason() const;

  std::unique_ptr<RecordFramer> framer_;
  std::shared_ptr<const std::string> name_;
  StreamReaderOptions options_;
  BatchPtr batch_;
  std::string carry_;       // the incomplete record between two batches (no batch held meanwhile)
  size_t used_ = 0;         // bytes of batch_->text holding data
  size_t framed_upto_ = 0;  // bytes of batch_->text already framed into events
  bool skipping_ = false;   // discarding the rest of an oversized record, up to its newline
  uint64_t bytes_read_ = 0;
  uint64_t read_offset_ = 0;  // stream offset of the next byte read()
  uint64_t emitted_end_ = 0;  // stream offset just past the last emitted batch
  std::string recent_;        // with verify_reads_: the last bytes before read_offset_
  bool verify_reads_ = false;
  EmitHook emit_hook_;
  size_t last_batch_events_ = 0;  // events of the last batch emitted: the next one's estimate
  std::string error_;
};

}  // namespace sluice
