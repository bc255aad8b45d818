#include "config/encoding_loader.h"

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace sluice {
namespace {

// Indexes match EncoderOptions::Kind.
constexpr std::array<std::string_view, 3> kEncodings{"json", "csv", "raw"};
constexpr std::array<std::string_view, 5> kEncodingMapKeys{"codec", "fields", "columns", "header",
                                                           "delimiter"};

}  // namespace

void load_encoding(YamlReader& reader, const MapView& sink, EncoderOptions& options,
                   EncodingCheck& check) {
  const MapView::Entry* encoding = sink.entry("encoding");
  std::optional<MapView> nested;
  const YAML::Node* codec = nullptr;
  std::string codec_path = sink.path_of("encoding");
  if (encoding != nullptr) {
    check.at = reader.position(encoding->value);
    check.path = sink.path_of("encoding");
    if (encoding->value.IsMap()) {
      nested.emplace(reader, encoding->value, sink.path_of("encoding"),
                     reader.position(encoding->key_node));
      nested->check_keys(kEncodingMapKeys);
      codec = nested->require("codec");
      codec_path = nested->path_of("codec");
    } else {
      codec = &encoding->value;
    }
  }
  if (codec != nullptr) {
    if (auto v = reader.choice(*codec, codec_path, kEncodings)) {
      options.kind = static_cast<EncoderOptions::Kind>(*v);
    } else {
      return;
    }
  }
  const std::string_view kind = kEncodings[static_cast<size_t>(options.kind)];
  // An option may sit in the sink or in the encoding mapping, not in both.
  auto option = [&](std::string_view key) -> std::pair<const MapView::Entry*, std::string> {
    const MapView::Entry* outer = sink.entry(key);
    const MapView::Entry* inner = nested ? nested->entry(key) : nullptr;
    if (outer != nullptr && inner != nullptr) {
      reader.report(reader.position(inner->key_node),
                    nested->path() + ": '" + std::string(key) +
                        "' is also set in the sink; set it in one place");
    }
    if (inner != nullptr) {
      return {inner, nested->path_of(key)};
    }
    return {outer, sink.path_of(key)};
  };
  auto only_for_csv = [&](const MapView::Entry* e, const std::string& path) {
    if (options.kind != EncoderOptions::Kind::kCsv) {
      reader.report(reader.position(e->key_node),
                    path + ": only applies to encoding csv, not " + std::string(kind));
      return false;
    }
    return true;
  };
  if (auto [e, path] = option("fields"); e != nullptr) {
    if (options.kind == EncoderOptions::Kind::kRaw) {
      reader.report(reader.position(e->key_node),
                    path + ": does not apply to encoding raw (it writes _raw unchanged)");
    } else if (auto v = reader.string_list(e->value, path, false, false)) {
      options.fields = std::move(*v);
    }
  }
  if (auto [e, path] = option("columns"); e != nullptr && only_for_csv(e, path)) {
    if (auto v = reader.string_list(e->value, path, false, false)) {
      options.columns = std::move(*v);
    }
  }
  if (auto [e, path] = option("header"); e != nullptr && only_for_csv(e, path)) {
    if (auto v = reader.boolean(e->value, path)) {
      options.header = *v;
    }
  }
  if (auto [e, path] = option("delimiter"); e != nullptr && only_for_csv(e, path)) {
    if (auto v = reader.single_byte(e->value, path)) {
      options.delimiter = *v;
    }
  }
}

}  // namespace sluice
