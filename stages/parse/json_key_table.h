// The JSON parser's key table: the names it knows (schema slots, declared types, the metadata
// names, keys learned from the input) and the lookup of a line's key among them, with one multiply
// and usually one probe, without a call or a pointer chase. Built once per parser; grows only
// between events (learn). One instance per parse worker; not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "stages/schema.h"

namespace sluice::json {

class KeyTable {
 public:
  // A name the configuration refers to: its slot (or -1 when only `types:` names it) and type;
  // or a metadata name; or a key learned from the input (slot -1, untyped).
  struct Name {
    std::string name;
    int32_t slot = -1;
    FieldType type = FieldType::kString;
    bool typed = false;
    uint64_t bit = 0;  // one of kNameBits, in the order added; 0 past the first kNameBits names
  };
  static constexpr size_t kNameBits = 64;

  // Building, before seal(): the name spelled `name`, added at the end when new. The reference
  // lasts until the next add().
  Name& add(std::string_view name);
  // Gives the first kNameBits names their bits and builds the lookup. Room is reserved for the
  // names learned later (up to kNameBits in all), so neither the table nor names() ever grows
  // while an event is parsed, and a Name* stays valid for the table's life.
  void seal();

  // The name spelled `key`, or nullptr. `readable`: 16 bytes from key.data() may be read (the key
  // is in the padded line), so it is loaded without a copy. `entry`: where the lookup ended (the
  // name's entry, or the empty one after the probe); entries never move during an event.
  [[gnu::always_inline]] const Name* find(std::string_view key, bool readable, size_t& entry) const;

  // Adds `key` as a name of its own, with a bit, while there are bits left; between events only.
  void learn(std::string_view key);

  const std::vector<Name>& names() const { return names_; }

 private:
  // A key's first 16 bytes (zero past its end) and its length pick its entry.
  struct Entry {
    uint64_t head[2] = {0, 0};
    uint32_t length = 0;  // 0: an empty entry (the empty name is never looked up)
    uint32_t name = 0;    // into names_
  };

  // The first 16 bytes of a key, zero past its end. `readable`: 16 bytes from p may be read.
  static void load_head(const char* p, size_t length, bool readable, uint64_t head[2]) {
    if (readable) {
      std::memcpy(head, p, 16);
    } else {
      char copy[16] = {};
      std::memcpy(copy, p, std::min<size_t>(length, 16));
      std::memcpy(head, copy, 16);
    }
    if (length < 16) {
      const size_t bits = length * 8;
      // Shifts stay below 64: the mask of a word the key does not reach is 0.
      head[0] &= bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
      head[1] &= bits <= 64 ? 0 : (uint64_t{1} << (bits - 64)) - 1;
    }
  }
  size_t entry_of(uint64_t head, size_t length) const {
    return static_cast<size_t>(((head ^ length) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  void insert(uint32_t name);

  std::vector<Name> names_;
  std::vector<Entry> entries_;  // a power of two in size, at most a quarter full
  uint32_t shift_ = 64;
};

inline const KeyTable::Name* KeyTable::find(std::string_view key, bool readable,
                                            size_t& entry) const {
  if (key.empty()) {
    entry = 0;
    return nullptr;
  }
  uint64_t head[2];
  load_head(key.data(), key.size(), readable, head);
  for (entry = entry_of(head[0], key.size());; entry = (entry + 1) & (entries_.size() - 1)) {
    const Entry& e = entries_[entry];
    if (e.length == 0) {
      return nullptr;
    }
    if (e.length == key.size() && e.head[0] == head[0] && e.head[1] == head[1] &&
        (key.size() <= 16 ||
         std::memcmp(names_[e.name].name.data() + 16, key.data() + 16, key.size() - 16) == 0)) {
      return &names_[e.name];
    }
  }
}

}  // namespace sluice::json
