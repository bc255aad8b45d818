// NoneParser: the whole line is one field, `message` (converted when `types:` declares it).
// One instance per parse worker; not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "stages/batch.h"
#include "stages/parse/parser.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

class NoneParser final : public Parser {
 public:
  NoneParser(const ParseOptions& options, const Schema& schema);

  void parse(Batch& batch) override;

 private:
  const Schema& schema_;
  std::shared_ptr<const Layout> layout_;
  std::string message_;  // reused per error
};

// Never fails; Result for symmetry with the other formats.
Result<std::unique_ptr<Parser>> make_none_parser(const ParseOptions& options, const Schema& schema);

}  // namespace sluice
