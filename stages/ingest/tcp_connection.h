// TcpConnection: one accepted connection of a TCP source: its socket, its peer's name (each
// batch's `_source` stream, "tcp:127.0.0.1:54321"), its framing and its incomplete last record,
// which is never mixed with another connection's bytes. serve() never blocks: it reads what the
// socket holds into batches from the memory budget, frames them and offers them to the parse
// queue, and says when the budget or the queue refused, so the source stops reading (the sender
// feels TCP backpressure) and serves this connection first once there is room again.
// Memory: a batch is held only while serving, or while the queue refuses it; between turns a
// connection holds its incomplete last record (at most max_event_bytes) and nothing else.
// A record longer than max_event_bytes becomes a parse error (its first KiB) and the connection
// goes on; when the peer closes in the middle of a record, the fragment becomes a parse error
// ("connection closed in the middle of a record"): nothing torn is delivered as an event.
// Used by the source's thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "stages/ingest/record_framer.h"
#include "stages/ingest/source.h"
#include "stages/ingest/stream_reader.h"

namespace sluice {

enum class TcpFraming {
  kNewline,        // one record per line (CSV: per CSV record)
  kOctetCounting,  // RFC 6587 "LENGTH SP MESSAGE"
  kAuto,           // per connection: octet counting when it starts with digits and a space
};

class TcpConnection {
 public:
  // Builds a stream's framer: octet counting, or the parse format's own (lines, CSV records).
  using FramerFactory = std::function<std::unique_ptr<RecordFramer>(bool octet_counting)>;

  // Takes ownership of `fd`, a connected non-blocking socket.
  TcpConnection(int fd, std::shared_ptr<const std::string> peer, TcpFraming framing,
                const FramerFactory& make_framer, StreamReaderOptions options);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  enum class Step {
    kDrained,  // read all the socket had for now (or this turn's share); batches handed on
    kRefused,  // the memory budget or the parse queue has no room: call serve() again later
    kClosed,   // the peer closed (or the socket failed) and everything read was handed on
  };
  // Reads up to about `turn_bytes` (a turn's share, so one busy sender cannot starve the
  // others), frames and emits. After kRefused, nothing was lost: the next call goes on.
  Step serve(SourceContext& ctx, size_t turn_bytes);
  // At shutdown: hands on a batch the queue refused (blocking; false on abort) and drops the
  // incomplete last record, returning its length (0 when the connection was at a record end).
  size_t finish(SourceContext& ctx);

  // The read buffer the next turn asks the memory budget for: what the socket holds now (at
  // least 16 KiB, at most batch_bytes) after the incomplete record, which it always fits.
  size_t next_batch_bytes() const;

  int fd() const { return fd_; }
  const std::string& peer() const { return *peer_; }
  // Bytes read but not handed on as events: the incomplete last record.
  size_t unframed_bytes() const { return carry_.size(); }
  // Incomplete records this connection turned into parse errors when its peer closed.
  uint64_t torn_records() const { return torn_records_; }
  // Where the socket's read error, if it ended with one, says why.
  const std::string& error() const { return error_; }

  // Position in the source's list, kept by the source for O(1) removal.
  size_t index = 0;
  std::chrono::steady_clock::time_point last_read;

 private:
  bool take_batch(SourceContext& ctx);
  // Decides the framing of an `auto` connection from its first bytes; false while it cannot.
  bool choose_framing();
  // Moves the incomplete record out of the batch and offers the framed rest to the queue (or
  // drops a batch without events). False when the queue refused: the batch waits in pending_.
  bool hand_on(SourceContext& ctx);
  // The buffer is full and holds only one record's start, already max_event_bytes long: it
  // becomes a parse error and the rest of the record is skipped up to its line end.
  void cut_oversized_record();
  // Drops bytes of an oversized record up to its line end; false while the end is not read yet.
  bool skip_oversized_rest();
  // The peer is gone: its incomplete record becomes a parse error in the batch.
  void tear_fragment();
  // Turns each framed record longer than max_event_bytes into a parse error (its first KiB).
  void cut_long_records();
  void close_socket();

  int fd_;
  std::shared_ptr<const std::string> peer_;
  TcpFraming framing_;
  const FramerFactory& make_framer_;
  StreamReaderOptions options_;
  std::unique_ptr<RecordFramer> framer_;  // null while an `auto` connection is undecided
  BatchPtr batch_;                        // the batch being read into (only while serving)
  BatchPtr pending_;                      // a framed batch the queue refused
  size_t read_size_ = 0;                  // bytes of batch_->text given to read()
  size_t used_ = 0;                       // bytes of batch_->text holding data
  size_t framed_ = 0;                     // bytes of batch_->text framed into events
  // Bytes of batch_->text the framer has looked at: [framed_, scanned_) holds no record end, so
  // the next read's framing resumes there instead of rescanning a long record from its start.
  size_t scanned_ = 0;
  std::string carry_;         // the incomplete record between two batches
  size_t carry_scanned_ = 0;  // of carry_, the bytes already scanned (scanned_ across batches)
  bool skipping_ = false;     // discarding the rest of an oversized record
  bool closed_ = false;       // the peer closed; only pending_ may remain
  uint64_t torn_records_ = 0;
  std::string error_;
};

}  // namespace sluice
