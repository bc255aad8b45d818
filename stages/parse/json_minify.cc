#include "stages/parse/json_minify.h"

#include "stages/parse/json_scan.h"

namespace sluice::json {

namespace od = simdjson::ondemand;

simdjson::error_code write_minified(od::value& value, std::string& out) {
  if (value.current_depth() >= kMaxDepth) {
    return simdjson::DEPTH_ERROR;
  }
  od::json_type type;
  if (auto error = value.type().get(type)) {
    return error;
  }
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) {
        return error;
      }
      out.push_back('{');
      bool first = true;
      for (auto result : object) {
        if (auto error = result.error()) {
          return error;
        }
        od::field& field = result.value_unsafe();  // a copy would cost a store-forwarding stall
        bool escaped = false;
        const std::string_view key = raw_key(field.key().raw(), escaped);
        std::string_view unescaped;
        if (escaped) {
          if (auto error = field.unescaped_key().get(unescaped)) {
            return error;  // a bad escape
          }
        }
        if (!first) {
          out.push_back(',');
        }
        first = false;
        out.push_back('"');
        out.append(key);
        out.append("\":");
        if (auto error = write_minified(field.value(), out)) {
          return error;
        }
      }
      out.push_back('}');
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) {
        return error;
      }
      out.push_back('[');
      bool first = true;
      for (auto result : array) {
        if (auto error = result.error()) {
          return error;
        }
        od::value& element = result.value_unsafe();
        if (!first) {
          out.push_back(',');
        }
        first = false;
        if (auto error = write_minified(element, out)) {
          return error;
        }
      }
      out.push_back(']');
      return simdjson::SUCCESS;
    }
    default:
      break;
  }
  const std::string_view token = trim_right(value.raw_json_token());
  simdjson::error_code error = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::string: {
      if (!has_backslash(token.substr(1, token.size() - 2))) {
        error = value.get_raw_json_string().error();  // read past, without get_string's copy
        break;
      }
      std::string_view s;
      error = value.get_string().get(s);  // checks the escapes
      break;
    }
    case od::json_type::number: {
      od::number n;
      error = value.get_number().get(n);
      break;
    }
    case od::json_type::boolean: {
      bool b;
      error = value.get_bool().get(b);
      break;
    }
    case od::json_type::null: {
      error = read_null(value);
      break;
    }
    default:
      error = simdjson::TAPE_ERROR;
      break;
  }
  if (error) {
    return scalar_error(type, token, error);
  }
  out.append(token);
  return simdjson::SUCCESS;
}

}  // namespace sluice::json
