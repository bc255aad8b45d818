// Fast conversion of plain decimal text ("-?digits" and "-?digits.digits") to int64 and double,
// used by type conversion before the general std::from_chars path. Pure functions, thread-safe.
// A false return means "not handled here", never "invalid": the caller must then use from_chars.
#pragma once

#include <cstdint>

namespace sluice {

// Handles `-?[0-9]{1,18}` (no overflow possible); sets `out` exactly as from_chars would.
// `readable_end`, when given, is how far the caller's buffer may be read: with 32 readable bytes
// from `begin`, a value of at most 16 bytes is converted without a loop over its digits (no branch
// to mispredict on its length). Bytes past `end` never change the result.
bool parse_plain_int(const char* begin, const char* end, int64_t& out,
                     const char* readable_end = nullptr);

// Handles `-?[0-9]+(\.[0-9]+)?` whose digits, leading zeros included, form an integer of at most
// 2^53 with at most 22 digits after the point: then mantissa / 10^k is one correctly rounded IEEE
// division (Clinger's fast path), so `out` is bit for bit what from_chars gives.
bool parse_plain_double(const char* begin, const char* end, double& out,
                        const char* readable_end = nullptr);

}  // namespace sluice
