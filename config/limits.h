// The bounds the configuration accepts, in one place (as leveldb's SanitizeOptions): each is the
// effective floor of what the daemon builds, so a value below it is refused with the reason
// instead of being raised silently later. The loader checks them; the builders assert them.
#pragma once

#include <cstdint>

#include "stages/ingest/stream_reader.h"

namespace sluice {

// max_event_bytes: the stream reader never frames with less.
inline constexpr uint64_t kMinEventBytes = StreamReaderOptions::kMinEventBytes;

// queue.max_bytes is split over a pipeline's two queues (to the workers, to the route thread),
// and each must hold at least one batch of this size (a read of 512 KiB plus its events).
inline constexpr uint64_t kMinQueueShareBytes = 1 << 20;
inline constexpr int kPipelineQueues = 2;
inline constexpr uint64_t kMinQueueBytes = kMinQueueShareBytes * kPipelineQueues;

// memory_limit: at least one read buffer of the smallest size (see check_memory_limit).
inline constexpr uint64_t kMinMemoryLimit = 1 << 20;

// A file source's poll_interval (its safety rescan, or all of its polling without inotify):
// below 10 ms the rescans of many sources would keep a core busy; above an hour what inotify does
// not report (lines added to a file rotated out of the globs) would wait too long.
inline constexpr int64_t kMinPollIntervalMs = 10;
inline constexpr int64_t kMaxPollIntervalMs = 3600 * 1000;

}  // namespace sluice
