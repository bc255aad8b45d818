// Byte masks: where given byte values occur in input, as one bit per byte in one 64-bit word per
// 64-byte block (bit i of word k = byte 64k + i). The framers find record ends by walking the set
// bits of a chunk's newline (and quote) masks instead of calling memchr per line and per quote;
// the masks come from one vector pass over the chunk, with AVX2 where the CPU has it (checked once
// at run time), SSE2 (part of x86-64) otherwise, and a plain loop elsewhere. The parsers, which
// look at one block of a record at a time where it lies, use the inline one-block masks below.
// Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice {

inline constexpr size_t kMaskBlockBytes = 64;
inline constexpr size_t kMaskLaneBytes = 16;
// Bytes matched per call: the masks (64 words per byte value) and the chunk stay in L1 between
// the vector pass and the walk over the bits.
inline constexpr size_t kMaskChunkBlocks = 64;
inline constexpr size_t kMaskChunkBytes = kMaskChunkBlocks * kMaskBlockBytes;

// Masks of `a` in p[0, n) and of `b` in p[0, n), n <= kMaskChunkBytes, into the first
// ceil(n / 64) words of in_a and in_b; bits past n are clear. No byte past p[n - 1] is read.
void match_bytes(const char* p, size_t n, char a, char b, uint64_t* in_a, uint64_t* in_b);
// Mask of `a` alone, the same way.
void match_bytes(const char* p, size_t n, char a, uint64_t* in_a);

// Each implementation, for tests; match_bytes() picks the fastest the CPU runs.
namespace byte_masks_detail {
void match_portable(const char* p, size_t n, char a, char b, uint64_t* in_a, uint64_t* in_b);
void match_portable(const char* p, size_t n, char a, uint64_t* in_a);
#if defined(__x86_64__)
void match_sse2(const char* p, size_t n, char a, char b, uint64_t* in_a, uint64_t* in_b);
void match_sse2(const char* p, size_t n, char a, uint64_t* in_a);
bool cpu_has_avx2();
// `in_b` null: only `a` is looked for.
void match_avx2(const char* p, size_t n, char a, char b, uint64_t* in_a, uint64_t* in_b);
#endif

// The one-block and one-lane masks, one namespace per implementation (the same three names in
// each); the ones the build targets are brought into `sluice` below.
namespace portable {
inline uint64_t block_mask(const char* block, char c) {
  uint64_t mask = 0;
  for (size_t i = 0; i < kMaskBlockBytes; ++i) {
    mask |= static_cast<uint64_t>(block[i] == c) << i;
  }
  return mask;
}
inline uint64_t block_mask_control_or_high(const char* block, char also) {
  uint64_t mask = 0;
  for (size_t i = 0; i < kMaskBlockBytes; ++i) {
    const auto c = static_cast<unsigned char>(block[i]);
    mask |= static_cast<uint64_t>(c < 0x20 || c >= 0x80 || block[i] == also) << i;
  }
  return mask;
}
inline uint32_t lane_mask(const char* lane, char c) {
  uint32_t mask = 0;
  for (size_t i = 0; i < kMaskLaneBytes; ++i) {
    mask |= static_cast<uint32_t>(lane[i] == c) << i;
  }
  return mask;
}
}  // namespace portable

#if defined(__SSE2__)
namespace sse2 {
// The 64 bits of four 16-byte lanes, each turned into a compare result by `compare`.
template <typename Compare>
inline uint64_t lanes(const char* block, Compare compare) {
  uint64_t mask = 0;
  for (size_t lane = 0; lane < kMaskBlockBytes / kMaskLaneBytes; ++lane) {
    const __m128i bytes =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + kMaskLaneBytes * lane));
    mask |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(compare(bytes))))
            << (kMaskLaneBytes * lane);
  }
  return mask;
}
inline uint64_t block_mask(const char* block, char c) {
  const __m128i wanted = _mm_set1_epi8(c);
  return lanes(block, [wanted](__m128i bytes) { return _mm_cmpeq_epi8(bytes, wanted); });
}
inline uint64_t block_mask_control_or_high(const char* block, char also) {
  // A signed compare with 0x20 catches control characters and every byte >= 0x80 at once; one
  // movemask per lane for all three kinds.
  const __m128i wanted = _mm_set1_epi8(also);
  return lanes(block, [wanted](__m128i bytes) {
    return _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(bytes, wanted));
  });
}
inline uint32_t lane_mask(const char* lane, char c) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lane));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(c))));
}
}  // namespace sse2
#endif
}  // namespace byte_masks_detail

// For parsers, which look at one block of a record at a time where it lies: inline, so that the
// compares stay in the caller's registers (an out-of-line call per block costs more).
//   block_mask(block, c): the mask of `c` in block[0, 64), all 64 bytes readable.
//   block_mask_control_or_high(block, also): bytes < 0x20 (control), >= 0x80 (not ASCII), or
//     equal to `also` (one mask for "any byte a fast path must leave to the slow one").
//   lane_mask(lane, c): the mask of `c` in one 16-byte lane, all readable, for short values.
#if defined(__SSE2__)
using byte_masks_detail::sse2::block_mask;
using byte_masks_detail::sse2::block_mask_control_or_high;
using byte_masks_detail::sse2::lane_mask;
#else
using byte_masks_detail::portable::block_mask;
using byte_masks_detail::portable::block_mask_control_or_high;
using byte_masks_detail::portable::lane_mask;
#endif

}  // namespace sluice
