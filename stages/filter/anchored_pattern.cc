#include "stages/filter/anchored_pattern.h"

#include <cstring>

namespace sluice {
namespace {

bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }
bool is_punct(char c) {
  return is_ascii(c) && std::strchr("\\^$.|?*+()[]{}-/ ,:;=_\"'#%&<>@!~`", c);
}

}  // namespace

std::optional<AnchoredPattern> AnchoredPattern::compile(std::string_view p) {
  if (p.empty() || p[0] != '^') {
    return std::nullopt;
  }
  AnchoredPattern out;
  // Adds what `\x` stands for (inside or outside a class); false for escapes not handled here.
  auto add_escape = [](char c, ByteSet& set) {
    switch (c) {
      case 'd':
        for (char d = '0'; d <= '9'; ++d) {
          set.add(static_cast<unsigned char>(d));
        }
        return true;
      case 'w':
        for (int b = 0; b < 128; ++b) {
          if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
              b == '_') {
            set.add(static_cast<unsigned char>(b));
          }
        }
        return true;
      case 's':
        for (char s : {' ', '\t', '\n', '\f', '\r'}) {
          set.add(static_cast<unsigned char>(s));
        }
        return true;
      case 'n':
        set.add('\n');
        return true;
      case 't':
        set.add('\t');
        return true;
      case 'r':
        set.add('\r');
        return true;
      default:
        if (is_punct(c)) {
          set.add(static_cast<unsigned char>(c));
          return true;
        }
        return false;
    }
  };

  size_t i = 1;
  while (i < p.size()) {
    char c = p[i];
    Atom atom;
    if (!is_ascii(c)) {
      return std::nullopt;
    }
    if (c == '$' && i + 1 == p.size()) {
      out.anchored_end_ = true;
      break;
    }
    if (c == '\\') {
      if (i + 1 >= p.size() || !add_escape(p[i + 1], atom.set)) {
        return std::nullopt;
      }
      i += 2;
    } else if (c == '[') {
      size_t j = i + 1;
      bool negated = j < p.size() && p[j] == '^';
      j += negated ? 1 : 0;
      if (j < p.size() && p[j] == ']') {
        return std::nullopt;  // `[]a]`: rare, and easy to read wrongly
      }
      bool closed = false;
      while (j < p.size()) {
        char m = p[j];
        if (m == ']') {
          closed = true;
          ++j;
          break;
        }
        if (!is_ascii(m) || m == '[') {
          return std::nullopt;  // non-ASCII members, POSIX classes like [:alpha:]
        }
        if (m == '\\') {
          if (j + 1 >= p.size() || !add_escape(p[j + 1], atom.set)) {
            return std::nullopt;
          }
          j += 2;
          continue;
        }
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          char hi = p[j + 2];
          if (!is_ascii(hi) || hi == '\\' || hi == '[' || hi < m) {
            return std::nullopt;
          }
          for (int b = m; b <= hi; ++b) {
            atom.set.add(static_cast<unsigned char>(b));
          }
          j += 3;
          continue;
        }
        atom.set.add(static_cast<unsigned char>(m));
        ++j;
      }
      if (!closed) {
        return std::nullopt;
      }
      if (negated) {
        atom.set.bits = {~atom.set.bits[0], ~atom.set.bits[1]};
      }
      i = j;
    } else if (std::strchr(".()|?{}*+^$]", c) != nullptr) {
      return std::nullopt;
    } else {
      atom.set.add(static_cast<unsigned char>(c));
      ++i;
    }
    if (i < p.size() && (p[i] == '+' || p[i] == '*')) {
      atom.repeat = p[i] == '+' ? Repeat::kOneOrMore : Repeat::kZeroOrMore;
      ++i;
    }
    if (i < p.size() && std::strchr("?*+{", p[i]) != nullptr) {
      return std::nullopt;  // `?`, `{n,m}`, lazy and doubled quantifiers
    }
    out.atoms_.push_back(atom);
  }

  // Greedy runs are exact only when the next atom is one byte the run cannot take.
  for (size_t a = 0; a + 1 < out.atoms_.size(); ++a) {
    const Atom& run = out.atoms_[a];
    const Atom& next = out.atoms_[a + 1];
    if (run.repeat == Repeat::kOnce) {
      continue;
    }
    if (next.repeat != Repeat::kOnce || (run.set.bits[0] & next.set.bits[0]) != 0 ||
        (run.set.bits[1] & next.set.bits[1]) != 0) {
      return std::nullopt;
    }
  }
  // Merge runs of single literal bytes (an unrepeated set of one member) into literal atoms.
  std::vector<Atom> merged;
  for (const Atom& atom : out.atoms_) {
    int members = __builtin_popcountll(atom.set.bits[0]) + __builtin_popcountll(atom.set.bits[1]);
    if (atom.repeat != Repeat::kOnce || members != 1) {
      merged.push_back(atom);
      continue;
    }
    unsigned char byte = 0;
    while (!atom.set.has(byte)) {
      ++byte;
    }
    if (merged.empty() || merged.back().literal.empty()) {
      merged.emplace_back();
    }
    merged.back().literal.push_back(static_cast<char>(byte));
  }
  for (Atom& atom : merged) {
    if (!atom.literal.empty() && atom.literal.size() <= sizeof(uint64_t)) {
      const std::string ones(atom.literal.size(), '\xff');
      std::memcpy(&atom.literal_word, atom.literal.data(), atom.literal.size());
      std::memcpy(&atom.literal_mask, ones.data(), ones.size());
    }
  }
  out.atoms_ = std::move(merged);
  return out;
}

AnchoredPattern::Outcome AnchoredPattern::match(std::string_view text) const {
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t pos = 0;
  for (const Atom& atom : atoms_) {
    if (!atom.literal.empty()) {
      const size_t len = atom.literal.size();
      if (n - pos < len) {
        return Outcome::kNoMatch;
      }
      if (atom.literal_mask != 0 && n - pos >= sizeof(uint64_t)) {
        uint64_t word;
        std::memcpy(&word, t + pos, sizeof(word));
        if (((word ^ atom.literal_word) & atom.literal_mask) != 0) {
          return Outcome::kNoMatch;
        }
      } else if (std::memcmp(t + pos, atom.literal.data(), len) != 0) {
        return Outcome::kNoMatch;
      }
      pos += len;
      continue;
    }
    if (atom.repeat == Repeat::kOnce) {
      if (pos == n) {
        return Outcome::kNoMatch;
      }
      if (t[pos] >= 0x80) {
        return Outcome::kUndecided;  // RE2 reads a UTF-8 character here, not a byte
      }
      if (!atom.set.has(t[pos])) {
        return Outcome::kNoMatch;
      }
      ++pos;
      continue;
    }
    size_t start = pos;
    while (pos < n && t[pos] < 0x80 && atom.set.has(t[pos])) {
      ++pos;
    }
    if (pos < n && t[pos] >= 0x80) {
      return Outcome::kUndecided;
    }
    if (atom.repeat == Repeat::kOneOrMore && pos == start) {
      return Outcome::kNoMatch;
    }
  }
  if (anchored_end_ && pos != n) {
    return pos < n && t[pos] >= 0x80 ? Outcome::kUndecided : Outcome::kNoMatch;
  }
  return Outcome::kMatch;
}

}  // namespace sluice
