#include "stages/parse/json_key_table.h"

#include <bit>

namespace sluice::json {

KeyTable::Name& KeyTable::add(std::string_view name) {
  for (Name& n : names_) {
    if (n.name == name) {
      return n;
    }
  }
  names_.push_back(Name{std::string(name)});
  return names_.back();
}

void KeyTable::seal() {
  for (size_t i = 0; i < names_.size() && i < kNameBits; ++i) {
    names_[i].bit = uint64_t{1} << i;
  }
  // A table of at least 256 entries also spreads the keys it does not know over many empty
  // entries, whose bits (the parser's KeysSeen) then rarely collide.
  const size_t most_names = std::max(names_.size(), kNameBits);
  names_.reserve(most_names);
  size_t table_size = 4;
  while (table_size < most_names * 4) {
    table_size *= 2;
  }
  entries_.assign(table_size, Entry{});
  shift_ = static_cast<uint32_t>(64 - std::countr_zero(table_size));
  for (uint32_t i = 0; i < names_.size(); ++i) {
    if (!names_[i].name.empty()) {
      insert(i);
    }
  }
}

void KeyTable::insert(uint32_t name) {
  const std::string& text = names_[name].name;
  Entry entry;
  load_head(text.data(), text.size(), false, entry.head);
  entry.length = static_cast<uint32_t>(text.size());
  entry.name = name;
  size_t at = entry_of(entry.head[0], text.size());
  while (entries_[at].length != 0) {
    at = (at + 1) & (entries_.size() - 1);
  }
  entries_[at] = entry;
}

// At most once per colliding key of the stream and kNameBits names in all, so off the hot path.
void KeyTable::learn(std::string_view key) {
  if (key.empty() || names_.size() >= kNameBits) {
    return;  // "" has no entry (length 0 marks an empty one); past the bits, names are compared
  }
  size_t entry;
  if (find(key, false, entry) != nullptr) {
    return;
  }
  names_.push_back(Name{std::string(key)});  // within the capacity reserved: no Name* moves
  names_.back().bit = uint64_t{1} << (names_.size() - 1);
  insert(static_cast<uint32_t>(names_.size() - 1));
}

}  // namespace sluice::json
