// Byte masks: where given byte values occur in a chunk of input, as one bit per byte in one
// 64-bit word per 64-byte block (bit i of word k = byte 64k + i). The framers find record ends by
// walking the set bits of a chunk's newline (and quote) masks instead of calling memchr per line
// and per quote; the masks come from one vector pass over the chunk, with AVX2 where the CPU has
// it (checked once at run time), SSE2 (part of x86-64) otherwise, and a plain loop elsewhere.
// Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice {

inline constexpr size_t kMaskBlockBytes = 64;
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
}  // namespace byte_masks_detail

}  // namespace sluice
