// MessageCursor: walks the messages of one batch's output for a sink that sends one message per
// event (Batch::Output::ends bounds them, in `bytes` or in the text ranges laid end to end), and
// gives each without its line end. Steps forward from any index; going back restarts the walk.
// Threading: one per sink thread; reads the batch, which its token keeps alive.
#pragma once

#include <cstddef>
#include <string_view>

#include "stages/batch.h"

namespace sluice {

class MessageCursor {
 public:
  // The index of the message whose bytes start at `data` (as at() gave them), for the rare
  // report that names a message by its bytes only. O(messages); ends.size() when none does.
  static size_t index_of(const Batch& batch, const Batch::Output& out, const void* data) {
    const char* p = static_cast<const char*>(data);
    size_t start = 0;  // where `p` is, counted as ends counts
    if (out.text_ranges.empty()) {
      start = static_cast<size_t>(p - out.bytes.data());
    } else {
      const size_t off = static_cast<size_t>(p - batch.text.data());
      for (const Span r : out.text_ranges) {
        if (off >= r.off && off < size_t{r.off} + r.len) {
          start += off - r.off;
          break;
        }
        start += r.len;
      }
    }
    for (size_t i = 0; i < out.ends.size(); ++i) {
      if ((i == 0 ? 0 : out.ends[i - 1]) == start) {
        return i;
      }
    }
    return out.ends.size();
  }

  // Message `index` of `out` (of `batch`), its line end ("\n") left out.
  std::string_view at(const Batch& batch, const Batch::Output& out, size_t index) {
    const size_t start = index == 0 ? 0 : out.ends[index - 1];
    const size_t end = out.ends[index];
    std::string_view message;
    if (out.text_ranges.empty()) {
      message = std::string_view(out.bytes).substr(start, end - start);
    } else {
      // Each message lies within one range: a range is a run of whole raw lines.
      if (index == 0 || start < range_start_) {
        range_ = 0;
        range_start_ = 0;
      }
      while (start >= range_start_ + out.text_ranges[range_].len) {
        range_start_ += out.text_ranges[range_].len;
        ++range_;
      }
      const Span r = out.text_ranges[range_];
      message = std::string_view(batch.text).substr(r.off + (start - range_start_), end - start);
    }
    if (!message.empty() && message.back() == '\n') {
      message.remove_suffix(1);
    }
    return message;
  }

 private:
  size_t range_ = 0;        // the text range the last message was in
  size_t range_start_ = 0;  // where range_ starts, counted over the ranges end to end
};

}  // namespace sluice
