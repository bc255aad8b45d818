// Standard streams: makes sure descriptors 0, 1 and 2 are open before sluice creates anything.
// A process started with one of them closed (`sluice run -c C >&-`, a careless supervisor) would
// otherwise hand that number to its first open(), eventfd() or socket(): stdout sink output would
// go into the runtime's eventfd, or log lines into a sink's file. A closed one is opened to
// /dev/null, and remembered, so a stdin source or stdout sink that would read or write the
// placeholder is refused with a clear error instead of running on /dev/null.
//
// Thread-safety: ensure_standard_streams() runs once, first thing in main(), before any thread;
// the other functions only read what it recorded.
#pragma once

#include "config/config.h"
#include "stages/status.h"

namespace sluice {

// Opens /dev/null on each of descriptors 0, 1, 2 that is closed. An error means /dev/null could
// not be opened; the caller should then stop, since the next descriptor would land on 0, 1 or 2.
Status ensure_standard_streams();

// Whether descriptor `fd` (0, 1 or 2) was closed when ensure_standard_streams() ran.
bool standard_stream_was_closed(int fd);

// An error naming the first stdin source or stdout sink of `config` whose stream was closed when
// sluice started; OK otherwise. Every declared stdout sink counts, routed or not: a config that
// names stdout expects one, and the check stays a plain look at the config.
Status check_standard_streams(const Config& config);

}  // namespace sluice
