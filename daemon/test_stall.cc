#include "daemon/test_stall.h"

#include <chrono>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "stages/log.h"

namespace sluice {
namespace {

StallStage read_stall_stage() {
  const char* value = std::getenv("SLUICE_TEST_STALL_STAGE");
  if (value == nullptr) {
    return StallStage::kNone;
  }
  const std::string_view name(value);
  StallStage stage = name == "parse"   ? StallStage::kParse
                     : name == "route" ? StallStage::kRoute
                     : name == "sink"  ? StallStage::kSink
                                       : StallStage::kNone;
  // Said out loud: a daemon that stalls on purpose must never look like a mystery.
  log_warning("SLUICE_TEST_STALL_STAGE=" + std::string(name) +
              (stage == StallStage::kNone ? ": unknown stage (parse, route, sink); ignored"
                                          : ": test fault switch on, that stage will stall"));
  return stage;
}

}  // namespace

StallStage test_stall_stage() {
  static const StallStage stage = read_stall_stage();
  return stage;
}

void stall_until(const std::atomic<bool>& release) {
  while (!release.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace sluice
