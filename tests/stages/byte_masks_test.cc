// Byte masks: each implementation (portable, SSE2, AVX2 where the CPU has it) against a scalar
// loop, for every length of a short block, block and lane edges, whole chunks, and no match
// from bytes past the end; the parsers' one-block and one-lane masks likewise.
#include "stages/byte_masks.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

using MatchTwo = void (*)(const char*, size_t, char, char, uint64_t*, uint64_t*);
using MatchOne = void (*)(const char*, size_t, char, uint64_t*);

struct Implementation {
  const char* name;
  MatchTwo two;
  MatchOne one;
};

std::vector<Implementation> implementations() {
  std::vector<Implementation> out{
      {"dispatch", match_bytes, match_bytes},
      {"portable", byte_masks_detail::match_portable, byte_masks_detail::match_portable}};
#if defined(__x86_64__)
  out.push_back({"sse2", byte_masks_detail::match_sse2, byte_masks_detail::match_sse2});
  if (byte_masks_detail::cpu_has_avx2()) {
    out.push_back({"avx2", byte_masks_detail::match_avx2,
                   [](const char* p, size_t n, char a, uint64_t* in_a) {
                     byte_masks_detail::match_avx2(p, n, a, a, in_a, nullptr);
                   }});
  }
#endif
  return out;
}

std::vector<uint64_t> scalar_masks(const std::string& data, size_t n, char c) {
  std::vector<uint64_t> masks((n + kMaskBlockBytes - 1) / kMaskBlockBytes, 0);
  for (size_t i = 0; i < n; ++i) {
    if (data[i] == c) {
      masks[i / kMaskBlockBytes] |= uint64_t{1} << (i % kMaskBlockBytes);
    }
  }
  return masks;
}

// Runs both forms of `impl` on data[0, n) and checks them against the scalar loop.
void expect_matches(const Implementation& impl, const std::string& data, size_t n, char a, char b) {
  const size_t words = (n + kMaskBlockBytes - 1) / kMaskBlockBytes;
  // Words past the used ones must stay untouched: sentinels.
  std::vector<uint64_t> in_a(kMaskChunkBlocks + 1, 0xDEAD);
  std::vector<uint64_t> in_b(kMaskChunkBlocks + 1, 0xDEAD);
  std::vector<uint64_t> alone(kMaskChunkBlocks + 1, 0xDEAD);
  impl.two(data.data(), n, a, b, in_a.data(), in_b.data());
  impl.one(data.data(), n, a, alone.data());
  EXPECT_EQ(std::vector<uint64_t>(in_a.begin(), in_a.begin() + words), scalar_masks(data, n, a))
      << impl.name << " n=" << n;
  EXPECT_EQ(std::vector<uint64_t>(in_b.begin(), in_b.begin() + words), scalar_masks(data, n, b))
      << impl.name << " n=" << n;
  EXPECT_EQ(std::vector<uint64_t>(alone.begin(), alone.begin() + words), scalar_masks(data, n, a))
      << impl.name << " n=" << n;
  EXPECT_EQ(in_a[words], 0xDEADu) << impl.name << " n=" << n;
  EXPECT_EQ(in_b[words], 0xDEADu) << impl.name << " n=" << n;
  EXPECT_EQ(alone[words], 0xDEADu) << impl.name << " n=" << n;
}

TEST(ByteMasks, EveryPositionOfABlock) {
  for (const Implementation& impl : implementations()) {
    for (size_t at = 0; at < kMaskBlockBytes; ++at) {
      std::string data(kMaskBlockBytes, 'x');
      data[at] = '\n';
      data[kMaskBlockBytes - 1 - at] = '"';
      expect_matches(impl, data, data.size(), '\n', '"');
    }
  }
}

TEST(ByteMasks, ShortInputsIgnoreBytesPastTheirEnd) {
  // Every byte after the input is a match: none of them may show up in the masks.
  for (const Implementation& impl : implementations()) {
    for (size_t n = 0; n <= 3 * kMaskBlockBytes; ++n) {
      std::string data(4 * kMaskBlockBytes, '\n');
      for (size_t i = 0; i < n; ++i) {
        data[i] = i % 3 == 0 ? '\n' : 'a';
      }
      expect_matches(impl, data, n, '\n', '"');
    }
  }
}

TEST(ByteMasks, PaddingOfAShortBlockMatchesNoZeroByte) {
  std::string data(10, '\0');
  for (const Implementation& impl : implementations()) {
    expect_matches(impl, data, 5, '\0', 'x');
  }
}

TEST(ByteMasks, HighBytesAreNotConfusedWithLowOnes) {
  std::string data;
  for (int c = 0; c < 256; ++c) {
    data.push_back(static_cast<char>(c));
  }
  for (const Implementation& impl : implementations()) {
    for (char wanted : {'\n', '"', '\x80', '\x8A', '\xFF'}) {
      expect_matches(impl, data, data.size(), wanted, '\0');
    }
  }
}

TEST(ByteMasks, RandomChunksOfEveryLength) {
  std::mt19937 rng(42);
  const char alphabet[] = {'a', '\n', '"', ',', '\r', '\x80', '\xFF', '\0'};
  for (const Implementation& impl : implementations()) {
    for (int round = 0; round < 300; ++round) {
      std::string data(kMaskChunkBytes, ' ');
      for (char& c : data) {
        c = alphabet[rng() % sizeof(alphabet)];
      }
      size_t n = round < 2 ? kMaskChunkBytes * round : rng() % (kMaskChunkBytes + 1);
      expect_matches(impl, data, n, alphabet[rng() % sizeof(alphabet)],
                     alphabet[rng() % sizeof(alphabet)]);
    }
  }
}

// The one-block masks the parsers use, each implementation against a scalar loop on one block.
struct BlockImplementation {
  const char* name;
  uint64_t (*equal)(const char*, char);
  uint64_t (*control_or_high)(const char*, char);
  uint32_t (*lane)(const char*, char);
};

std::vector<BlockImplementation> block_implementations() {
  std::vector<BlockImplementation> out{
      {"inline", block_mask, block_mask_control_or_high, lane_mask},
      {"portable", byte_masks_detail::portable::block_mask,
       byte_masks_detail::portable::block_mask_control_or_high,
       byte_masks_detail::portable::lane_mask}};
#if defined(__SSE2__)
  out.push_back({"sse2", byte_masks_detail::sse2::block_mask,
                 byte_masks_detail::sse2::block_mask_control_or_high,
                 byte_masks_detail::sse2::lane_mask});
#endif
  return out;
}

void expect_block_matches(const BlockImplementation& impl, const std::string& block, char c) {
  ASSERT_EQ(block.size(), kMaskBlockBytes);
  uint64_t equal = 0;
  uint64_t control_or_high = 0;
  for (size_t i = 0; i < kMaskBlockBytes; ++i) {
    const auto byte = static_cast<unsigned char>(block[i]);
    equal |= static_cast<uint64_t>(block[i] == c) << i;
    control_or_high |= static_cast<uint64_t>(byte < 0x20 || byte >= 0x80 || block[i] == c) << i;
  }
  EXPECT_EQ(impl.equal(block.data(), c), equal) << impl.name;
  EXPECT_EQ(impl.control_or_high(block.data(), c), control_or_high) << impl.name;
  for (size_t lane = 0; lane < kMaskBlockBytes; lane += kMaskLaneBytes) {
    EXPECT_EQ(impl.lane(block.data() + lane, c), (equal >> lane) & 0xFFFF)
        << impl.name << " lane at " << lane;
  }
}

TEST(BlockMasks, EveryPositionOfABlock) {
  for (const BlockImplementation& impl : block_implementations()) {
    for (size_t at = 0; at < kMaskBlockBytes; ++at) {
      std::string block(kMaskBlockBytes, 'x');
      block[at] = '"';
      block[kMaskBlockBytes - 1 - at] = '\x01';
      expect_block_matches(impl, block, '"');
    }
  }
}

// The control-or-high mask rests on a signed compare: 0x1F and 0x80 are in, 0x20 and 0x7F out.
TEST(BlockMasks, EveryByteValue) {
  for (const BlockImplementation& impl : block_implementations()) {
    for (int first = 0; first < 256; first += kMaskBlockBytes) {
      std::string block;
      for (int c = first; c < first + static_cast<int>(kMaskBlockBytes); ++c) {
        block.push_back(static_cast<char>(c));
      }
      for (char wanted : {'"', '\\', '\0', '\x7F', '\x80', '\xFF'}) {
        expect_block_matches(impl, block, wanted);
      }
    }
  }
}

}  // namespace
}  // namespace sluice
