#include "stages/parse/regex_parser.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "stages/parse/type_conversion.h"
#include "stages/regex_syntax.h"

namespace sluice {
namespace {

Result<std::unique_ptr<const RE2>> compile(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error travels as a Status, not to stderr
  auto re = std::make_unique<const RE2>(rewrite_named_groups(pattern), options);
  if (!re->ok()) {
    return Status::error("invalid regex pattern: " + re->error());
  }
  if (re->CapturingGroupNames().empty()) {
    return Status::error("regex pattern has no named group; name the fields with (?P<name>...)");
  }
  // RE2 accepts a group name twice (and keeps one of them in NamedCapturingGroups); the names are
  // configuration, so a repeated or metadata name is reported at load (the rule in parser.h).
  std::vector<std::string> names;
  for (const auto& [index, name] : re->CapturingGroupNames()) {
    names.push_back(name);
  }
  if (Status s = check_configured_names(names, "regex pattern"); !s.ok()) {
    return s;
  }
  return std::unique_ptr<const RE2>(std::move(re));
}

}  // namespace

Result<std::vector<std::string>> regex_field_names(const std::string& pattern) {
  auto re = compile(pattern);
  if (!re.ok()) {
    return re.status();
  }
  std::vector<std::string> names;
  for (const auto& [index, name] : re.value()->CapturingGroupNames()) {
    names.push_back(name);
  }
  return names;
}

RegexParser::RegexParser(const ParseOptions& options, const Schema& schema,
                         std::unique_ptr<const RE2> re)
    : schema_(schema), re_(std::move(re)), splitter_(RegexSplitter::compile(*re_)) {
  std::vector<std::string> names;
  int max_group = 0;
  for (const auto& [index, name] : re_->CapturingGroupNames()) {
    names.push_back(name);
    group_of_column_.push_back(index);
    max_group = std::max(max_group, index);
  }
  layout_ = make_layout(std::move(names), options, schema);
  submatches_.resize(static_cast<size_t>(max_group) + 1);
  field_of_column_.assign(group_of_column_.size(), -1);
}

void RegexParser::parse(Batch& batch) {
  batch.layout = layout_;
  const size_t slots = schema_.size();
  const size_t columns = group_of_column_.size();
  const int nsub = static_cast<int>(submatches_.size());
  for (Event& event : batch.events) {
    if (event.state != EventState::kFramed) {
      continue;
    }
    start_event(batch, event, slots);

    // The view is valid until batch.text grows, which happens only in fail_event().
    const std::string_view line = batch.str(event.raw);
    const re2::StringPiece text(line.data(), line.size());
    // The splitter's "no match" and "unsure" both go to RE2, which has the final word.
    const bool split = splitter_ != nullptr && splitter_->match(line, submatches_.data(), nsub) ==
                                                   RegexSplitter::Outcome::kMatch;
    if (!split && !re_->Match(text, 0, text.size(), RE2::UNANCHORED, submatches_.data(), nsub)) {
      fail_event(batch, event, "does not match pattern");
      continue;
    }
    bool ok = true;
    for (size_t c = 0; c < columns; ++c) {
      const re2::StringPiece& piece = submatches_[static_cast<size_t>(group_of_column_[c])];
      if (piece.data() == nullptr) {  // the group did not take part in the match
        field_of_column_[c] = -1;
        continue;
      }
      Field field;
      field.name = Span{static_cast<uint32_t>(c), 0};
      field.flags = Field::kNameInLayout;
      field.value = Span{event.raw.off + static_cast<uint32_t>(piece.data() - line.data()),
                         static_cast<uint32_t>(piece.size())};
      const FieldType type = layout_->column_types[c];
      const std::string_view value(piece.data(), piece.size());
      if (type != FieldType::kString && !convert_field(value, type, field)) {
        conversion_error(layout_->names[c], value, type, message_);
        ok = false;
        break;
      }
      field_of_column_[c] = static_cast<int32_t>(batch.fields.size());
      batch.fields.push_back(field);
    }
    if (!ok) {
      fail_event(batch, event, message_);
      continue;
    }
    finish_event(batch, event, *layout_, field_of_column_.data());
  }
}

Result<std::unique_ptr<Parser>> make_regex_parser(const ParseOptions& options,
                                                  const Schema& schema) {
  auto re = compile(options.pattern);
  if (!re.ok()) {
    return re.status();
  }
  return std::unique_ptr<Parser>(
      std::make_unique<RegexParser>(options, schema, std::move(re.value())));
}

}  // namespace sluice
