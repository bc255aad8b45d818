#include "stages/stage_counters.h"

namespace sluice {

const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kFiltered:
      return "filtered";
    case DropReason::kParseError:
      return "parse_error";
    case DropReason::kQueueFull:
      return "queue_full";
    case DropReason::kUnrouted:
      return "unrouted";
    case DropReason::kUdpOverflow:
      return "udp_overflow";
    case DropReason::kIncompleteRecord:
      return "incomplete_record";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace sluice
