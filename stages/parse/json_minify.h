// JSON minifying: a nested value (object or array) of a line written as compact text, validated
// on the way, for the JSON parser's kJson fields; and the error a malformed scalar is reported
// with (inline: the parser calls it on every scalar's error check). Runs on the calling parse
// worker's simdjson values; no state of its own.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::json {

// The walk that writes nested values recurses, so it needs a bound; simdjson's parser keeps
// per-depth state up to its own limit (DEFAULT_MAX_DEPTH), which the walk must stay under.
inline constexpr int32_t kMaxDepth = simdjson::DEFAULT_MAX_DEPTH - 2;

// A scalar getter reports a malformed literal, number or string as INCORRECT_TYPE, which reads
// as if the caller had asked for the wrong type; name the malformed token instead.
inline simdjson::error_code scalar_error(simdjson::ondemand::json_type type, std::string_view token,
                                         simdjson::error_code error) {
  if (error != simdjson::INCORRECT_TYPE) {
    return error;
  }
  switch (type) {
    case simdjson::ondemand::json_type::boolean:
      return !token.empty() && token[0] == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
    case simdjson::ondemand::json_type::null:
      return simdjson::N_ATOM_ERROR;
    case simdjson::ondemand::json_type::number:
      return simdjson::NUMBER_ERROR;
    case simdjson::ondemand::json_type::string:
      return simdjson::STRING_ERROR;
    default:
      return error;
  }
}

// Reads a null: is_null() answers a malformed `nul` or `nulx` with false, not with an error.
inline simdjson::error_code read_null(simdjson::ondemand::value& value) {
  bool is_null = false;
  const simdjson::error_code error = value.is_null().get(is_null);
  return !error && !is_null ? simdjson::N_ATOM_ERROR : error;
}

// Writes `value` to `out` without insignificant whitespace, validating it on the way (On Demand
// only checks what is read). Strings, numbers and keys keep their original spelling.
simdjson::error_code write_minified(simdjson::ondemand::value& value, std::string& out);

}  // namespace sluice::json
