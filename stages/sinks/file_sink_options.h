// FileSinkOptions: what a `type: file` sink is configured with; the file sink's own options
// struct, loaded by its row of config/sink_kinds.cc. Plain data.
#pragma once

#include <string>

namespace sluice {

struct FileSinkOptions {
  std::string path;  // appended to (O_APPEND), created with its directories when missing
};

}  // namespace sluice
