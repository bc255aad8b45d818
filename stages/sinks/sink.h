// Sink: where encoded events go. A sink is driven by one thread (its SinkRunner), so it needs no
// locking. write() may write part of the bytes and fail; the runner retries the rest later, so
// a failing output is backpressure, never loss. flush() returning OK is the acknowledgement
// point: after it, the batches written so far may be acknowledged to their sources.
#pragma once

#include <cstddef>
#include <string_view>

#include "stages/status.h"

namespace sluice {

class Sink {
 public:
  virtual ~Sink() = default;
  // Prepares the output (creates the file, connects). An error is one clear line.
  virtual Status open() = 0;
  // Writes bytes; `written` is how many were written before an error (all of them on OK).
  virtual Status write(std::string_view bytes, size_t& written) = 0;
  virtual Status flush() = 0;
  // True when the output is new and empty (a CSV header is due).
  virtual bool at_start() const { return false; }
};

}  // namespace sluice
