// Sink: where encoded events go. A sink is driven by one thread (its SinkRunner), so it needs no
// locking. Before each write the runner calls prepare(), which says when a new output starts (a
// file created or re-created), so each new output begins with what the encoding starts with (a
// CSV header). write() takes several buffers at once (a batch's encoded bytes each, written
// without copying them together); it may write part of them and fail; the runner retries the
// rest later, so a failing output is backpressure, never loss. Once flush() returns OK, the
// runner hands the sink the delivery tokens of the batches written (flushed()), and the sink
// resolves each when it knows the batch is delivered: at once for a file, on the delivery
// report for a sink that sends messages (Batch::Output::ends gives their boundaries).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "stages/delivery_token.h"
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
  // True once the output is gone for good (the reader of stdout went away: EPIPE). The runner
  // then stops writing; what was not written is counted as undelivered and the run fails.
  virtual bool broken() const { return false; }
  // Nothing has been written for a while, or the disk is full for some sink: give back what is
  // held ahead of need (the file sink's disk reserve), so an idle sink never starves a busy one.
  virtual void idle() {}
  // No more writes will come: give back everything (the sink may still be destroyed later).
  virtual void close() {}
};

}  // namespace sluice
