#include "stages/byte_masks.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sluice {
namespace byte_masks_detail {
namespace {

// Bits of the bytes of a block that hold data: a short last block is matched in a padded copy,
// since the buffer past the data may be unallocated or never written.
inline uint64_t valid_bits(size_t n) {
  return n >= kMaskBlockBytes ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}

// Runs `match_block(block, index)` on each full block of p[0, n), then on a zero-padded copy of
// the short last one, whose mask words it then clears past n.
template <typename MatchBlock>
inline void for_each_block(const char* p, size_t n, MatchBlock match_block, uint64_t* in_a,
                           uint64_t* in_b) {
  size_t block = 0;
  for (; (block + 1) * kMaskBlockBytes <= n; ++block) {
    match_block(p + block * kMaskBlockBytes, block);
  }
  const size_t rest = n - block * kMaskBlockBytes;
  if (rest > 0) {
    alignas(kMaskBlockBytes) char padded[kMaskBlockBytes] = {};
    std::memcpy(padded, p + block * kMaskBlockBytes, rest);
    match_block(padded, block);
    in_a[block] &= valid_bits(rest);
    if (in_b != nullptr) {
      in_b[block] &= valid_bits(rest);
    }
  }
}

}  // namespace

void match_portable(const char* p, size_t n, char a, char b, uint64_t* in_a, uint64_t* in_b) {
  for (size_t block = 0; block * kMaskBlockBytes < n; ++block) {
    uint64_t mask_a = 0;
    uint64_t mask_b = 0;
    const size_t from = block * kMaskBlockBytes;
    const size_t count = n - from < kMaskBlockBytes ? n - from : kMaskBlockBytes;
    for (size_t i = 0; i < count; ++i) {
      mask_a |= static_cast<uint64_t>(p[from + i] == a) << i;
      mask_b |= static_cast<uint64_t>(p[from + i] == b) << i;
    }
    in_a[block] = mask_a;
    in_b[block] = mask_b;
  }
}

void match_portable(const char* p, size_t n, char a, uint64_t* in_a) {
  for (size_t block = 0; block * kMaskBlockBytes < n; ++block) {
    uint64_t mask_a = 0;
    const size_t from = block * kMaskBlockBytes;
    const size_t count = n - from < kMaskBlockBytes ? n - from : kMaskBlockBytes;
    for (size_t i = 0; i < count; ++i) {
      mask_a |= static_cast<uint64_t>(p[from + i] == a) << i;
    }
    in_a[block] = mask_a;
  }
}

#if defined(__x86_64__)

namespace {

__attribute__((target("avx2"))) inline uint64_t avx2_mask(__m256i low, __m256i high,
                                                          __m256i wanted) {
  const uint32_t low_bits =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(low, wanted)));
  const uint32_t high_bits =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(high, wanted)));
  return low_bits | (static_cast<uint64_t>(high_bits) << 32);
}

}  // namespace

void match_sse2(const char* p, size_t n, char a, char b, uint64_t* in_a, uint64_t* in_b) {
  for_each_block(
      p, n,
      [&](const char* block, size_t index) {
        in_a[index] = sse2::block_mask(block, a);
        in_b[index] = sse2::block_mask(block, b);
      },
      in_a, in_b);
}

void match_sse2(const char* p, size_t n, char a, uint64_t* in_a) {
  for_each_block(
      p, n, [&](const char* block, size_t index) { in_a[index] = sse2::block_mask(block, a); },
      in_a, nullptr);
}

bool cpu_has_avx2() {
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  return has_avx2;
}

// The block loops are written out here, not shared through for_each_block: a lambda does not
// inherit its function's target, and AVX2 code must not be inlined into code built for x86-64.
// One or two needles (`in_b` null for one): the branch on it is taken the same way every block.
__attribute__((target("avx2"))) void match_avx2(const char* p, size_t n, char a, char b,
                                                uint64_t* in_a, uint64_t* in_b) {
  const __m256i va = _mm256_set1_epi8(a);
  const __m256i vb = _mm256_set1_epi8(b);
  size_t block = 0;
  for (; (block + 1) * kMaskBlockBytes <= n; ++block) {
    const char* at = p + block * kMaskBlockBytes;
    const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
    const __m256i high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 32));
    in_a[block] = avx2_mask(low, high, va);
    if (in_b != nullptr) {
      in_b[block] = avx2_mask(low, high, vb);
    }
  }
  const size_t rest = n - block * kMaskBlockBytes;
  if (rest > 0) {
    alignas(kMaskBlockBytes) char padded[kMaskBlockBytes] = {};
    std::memcpy(padded, p + block * kMaskBlockBytes, rest);
    const __m256i low = _mm256_load_si256(reinterpret_cast<const __m256i*>(padded));
    const __m256i high = _mm256_load_si256(reinterpret_cast<const __m256i*>(padded + 32));
    in_a[block] = avx2_mask(low, high, va) & valid_bits(rest);
    if (in_b != nullptr) {
      in_b[block] = avx2_mask(low, high, vb) & valid_bits(rest);
    }
  }
}

#endif  // __x86_64__

}  // namespace byte_masks_detail

void match_bytes(const char* p, size_t n, char a, char b, uint64_t* in_a, uint64_t* in_b) {
#if defined(__x86_64__)
  if (byte_masks_detail::cpu_has_avx2()) {
    byte_masks_detail::match_avx2(p, n, a, b, in_a, in_b);
  } else {
    byte_masks_detail::match_sse2(p, n, a, b, in_a, in_b);
  }
#else
  byte_masks_detail::match_portable(p, n, a, b, in_a, in_b);
#endif
}

void match_bytes(const char* p, size_t n, char a, uint64_t* in_a) {
#if defined(__x86_64__)
  if (byte_masks_detail::cpu_has_avx2()) {
    byte_masks_detail::match_avx2(p, n, a, a, in_a, nullptr);
  } else {
    byte_masks_detail::match_sse2(p, n, a, in_a);
  }
#else
  byte_masks_detail::match_portable(p, n, a, in_a);
#endif
}

}  // namespace sluice
