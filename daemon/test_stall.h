// A fault switch for tests, not an operator setting: SLUICE_TEST_STALL_STAGE=parse|route|sink
// makes that stage's threads hold the first batch they take, unprocessed, until the pipeline is
// asked to stop (or, for a sink, aborted): "a stage stuck with work in hand", which the systemd
// watchdog must notice (tests/e2e/systemd_notify_test.cc). It is read once, when the runtime is
// built; the stage threads then test a plain bool per batch, never per event.
#pragma once

#include <atomic>

namespace sluice {

enum class StallStage { kNone, kParse, kRoute, kSink };

// The stage named by SLUICE_TEST_STALL_STAGE (kNone when unset or unknown); read once.
StallStage test_stall_stage();

// Sleeps (in 20 ms slices: `release` is a flag, not a notification) until `release` is true.
void stall_until(const std::atomic<bool>& release);

}  // namespace sluice
