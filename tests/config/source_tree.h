// The source tree and its files, for tests that read the configurations it ships (config/,
// tests/fuzz/corpus/config/). Header-only: used by the config and the daemon test binaries.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice {

inline std::filesystem::path source_dir() {
  if (const char* dir = std::getenv("SLUICE_SOURCE_DIR")) {
    return dir;
  }
  // Run directly rather than through ctest: the source tree is two levels above this file.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace sluice
