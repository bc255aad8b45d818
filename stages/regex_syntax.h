// Regex syntax shared by everything that compiles user patterns with RE2 (the regex parser and
// `=~` in expressions): Debian 12's RE2 rejects the `(?<name>...)` group syntax most users write,
// so patterns are rewritten to `(?P<name>...)` before compiling.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

// Rewrites `(?<name>` to `(?P<name>`. Leaves escaped parentheses (`\(?<`), character classes
// (including `[]...]`, `[^]...]`, `[:alpha:]`), `\Q...\E` literals and lookbehinds alone.
std::string rewrite_named_groups(std::string_view pattern);

}  // namespace sluice
