// ByteWriter: appends to a caller-owned std::string through a raw pointer, so an encoder checks
// capacity once per value instead of once per append; SizeEstimate sizes its first room. Used
// inside one encode() call (one thread); the string is not valid to read until the writer is
// destroyed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice {

// memcpy for the short copies that dominate (keys, small values): fixed-size moves the compiler
// inlines instead of a libc call per field.
inline char* copy_bytes(char* dst, const void* src, size_t n) {
  const char* s = static_cast<const char*>(src);
  if (n >= 16) {
    std::memcpy(dst, s, n);
  } else if (n >= 8) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a;
    uint32_t b;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; ++i) {
      dst[i] = s[i];
    }
  }
  return dst + n;
}

// A fixed piece of text (a key with its quotes, a separator): copy_bytes of a string_view.
inline char* write_literal(std::string_view s, char* dst) {
  return copy_bytes(dst, s.data(), s.size());
}

class ByteWriter {
 public:
  // `expected`: a guess at how much will be written. resize() zero-fills, so a close guess saves
  // both that fill (for room never used) and regrowing.
  ByteWriter(std::string& out, size_t expected) : out_(out) {
    size_t used = out_.size();
    out_.resize(used + std::max(expected, kMinRoom));
    pos_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;
  ~ByteWriter() { out_.resize(static_cast<size_t>(pos_ - out_.data())); }

  // Makes room for at least n more bytes and returns where to write them; commit() afterwards.
  char* room(size_t n) {
    if (static_cast<size_t>(end_ - pos_) < n) {
      grow(n);
    }
    return pos_;
  }
  void commit(char* new_pos) { pos_ = new_pos; }
  // How long the string is so far (what it will be if nothing more is written).
  size_t size() const { return static_cast<size_t>(pos_ - out_.data()); }

  void put(char c) {
    room(1);
    *pos_++ = c;
  }
  void put(std::string_view s) {
    room(s.size());
    pos_ = copy_bytes(pos_, s.data(), s.size());
  }

 private:
  static constexpr size_t kMinRoom = 256;

  void grow(size_t n) {
    size_t used = static_cast<size_t>(pos_ - out_.data());
    out_.resize(std::max({used + n, out_.size() + out_.size() / 2, used + kMinRoom}));
    pos_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
  char* pos_;
  char* end_;
};

// Bytes per event written by the last batch, to size the next batch's room. Per encoder instance.
class SizeEstimate {
 public:
  size_t guess(size_t events) const { return events * per_event_ + events * per_event_ / 8; }
  void learn(size_t events, size_t bytes) {
    if (events > 0) {
      per_event_ = bytes / events + 1;
    }
  }

 private:
  size_t per_event_ = 256;
};

}  // namespace sluice
