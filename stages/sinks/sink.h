// Sink: where encoded events go. A sink is driven by one thread (its SinkRunner), so it needs no
// locking. Before each write the runner calls prepare(), which says when a new output starts (a
// file created or re-created), so each new output begins with what the encoding starts with (a
// CSV header). write() takes several buffers at once (a batch's encoded bytes each, written
// without copying them together); it may write part of them and fail; the runner retries the
// rest later, so a failing output is backpressure, never loss. Once flush() returns OK, the
// runner hands the sink the delivery tokens of the batches written (flushed()), and the sink
// resolves each when it knows the batch is delivered: at once for a file, on the delivery
// report for a sink that sends messages (Batch::Output::ends gives their boundaries).
// A sink that sends one message per event (Kafka) opts out of the byte stream instead: it says
// sends_messages(), and the runner calls send() per batch and never write()/prepare()/flushed().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "stages/delivery_token.h"
#include "stages/sinks/dead_letter.h"
#include "stages/status.h"

namespace sluice {

class Sink {
 public:
  virtual ~Sink() = default;
  // Prepares the output (creates the file, connects). An error is one clear line.
  virtual Status open() = 0;
  // Called before each write: makes the output ready to take bytes (a file sink re-creates a file
  // that was removed or replaced under it, and reopens one a failed write closed). True when the
  // next write begins a new, empty output, so a CSV header is due: the runner then writes the
  // header and, after it, every batch it has not resolved yet, from its first byte. An error is
  // retried like a failed write.
  virtual Result<bool> prepare() { return false; }
  // Writes the parts in order; `written` is how many bytes were written before an error (all of
  // them on OK).
  virtual Status write(std::span<const std::string_view> parts, size_t& written) = 0;
  virtual Status flush() = 0;
  // After flush() returned OK: the tokens of the batches it covered, in order. The default
  // resolves each as delivered (written and flushed is delivered for files and stdout); a sink
  // that learns later moves the tokens it waits on out of `tokens` and resolves them when it
  // knows. A token left in `tokens` unresolved is released: not delivered.
  virtual void flushed(std::span<DeliveryToken> tokens) {
    for (DeliveryToken& token : tokens) {
      token.resolve(DeliveryOutcome::kDelivered);
    }
  }
  // After a write and flush that returned OK: the length of the output file now, for
  // delivery: exactly_once (Batch::report_output_length). nullopt: not a file, or unknown.
  virtual std::optional<uint64_t> output_length() const { return std::nullopt; }
  // True once the output is gone for good (the reader of stdout went away: EPIPE). The runner
  // then stops writing; what was not written is counted as undelivered and the run fails.
  virtual bool broken() const { return false; }
  // Nothing has been written for a while, or the disk is full for some sink: give back what is
  // held ahead of need (the file sink's disk reserve), so an idle sink never starves a busy one.
  virtual void idle() {}
  // No more writes will come: give back everything (the sink may still be destroyed later).
  // A message sink releases what still waits for a delivery report unresolved (not delivered).
  virtual void close() {}

  // The message path. A sink that sends one message per event returns true here; the runner then
  // drives it with send() and flush() only.
  virtual bool sends_messages() const { return false; }
  // Produces the messages of output `target` of the token's batch (one per event, bounded by
  // Batch::Output::ends, keyed by Output::keys when present) from message `from` on, and returns
  // the index of the first message it did not produce: all of them (ends.size()) when done. Fewer
  // means its producer queue is full: that is backpressure; the runner waits briefly and calls
  // again with `from` = the returned index (0 again when nothing was taken) and the emptied
  // token, and makes no other send() meanwhile. On the first call for a batch the sink takes the
  // token (moves it out): from then on it owns it and resolves it once every message's delivery
  // report is in (delivered when all are), or releases it unresolved when one failed for good. A
  // message refused for good at once (too large) counts as produced and makes the batch fail. Must
  // not block.
  // `dead_letter` (null when the pipeline has none) takes the events of the batch that fail for
  // good, and then settles the token (DeadLetter::reject).
  virtual size_t send(DeliveryToken& token, uint32_t target, size_t from, DeadLetter* dead_letter) {
    (void)token;
    (void)target;
    (void)dead_letter;
    return from;
  }
  // The runner gives up the batch whose send() returned fewer than all (the run is aborted): the
  // rest is never produced, so the batch is not delivered.
  virtual void abandon_send() {}
  // (For a message sink, flush() waits a little, about 100 ms at most, for outstanding delivery
  // reports and returns OK once none is outstanding; after the last send() the runner calls it
  // until then, or until the run is aborted, and then close().)

  // Events whose delivery the sink confirmed (message sinks; the runner counts the others), and
  // the sink's own failures (messages refused or failed for good). Any thread.
  virtual uint64_t delivered_events() const { return 0; }
  virtual uint64_t errors() const { return 0; }
};

}  // namespace sluice
