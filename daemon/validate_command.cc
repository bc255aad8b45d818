#include "daemon/commands.h"
#include "daemon/config_file.h"

namespace sluice {

int validate_command(const std::string& config_path) {
  return build_config_file(config_path) != nullptr ? kExitOk : kExitConfig;
}

}  // namespace sluice
