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
  size_t last_batch_events_ = 0;  // events of the last batch emitted: the next one's estimate
  std::string error_;
};

}  // namespace sluice
