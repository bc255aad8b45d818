// No stage allocates per event: the whole runtime (file source, parse, filter, route, encode,
// file sink) runs each benchmark workload over N and over 2N events while this binary's
// operator new counts; the difference divided by N is what one more event costs in allocations.
// Per batch (about 2,000 events) a few allocations remain (buffers beyond what the recycler
// pools), so the per-event figure is a few thousandths; one allocation per event, or even per
// kept event, would be hundreds of times more.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <ostream>
#include <string>

#include "config/config_loader.h"
#include "daemon/runtime.h"
#include "stages/ingest/event_generator.h"
#include "stages/log.h"

namespace {
std::atomic<uint64_t> g_allocations{0};

// Not inlined, so the compiler never sees malloc and free meet `new` and `delete` at a call
// site (GCC's -Wmismatched-new-delete would).
[[gnu::noinline]] void* counted_allocation(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  return p;
}
[[gnu::noinline]] void release(void* p) noexcept { std::free(p); }
}  // namespace

// The nothrow forms too: libstdc++'s call the plain ones, but a sanitizer runtime brings its own,
// whose memory would then reach the free() below (ASan: alloc-dealloc-mismatch, seen with
// std::stable_sort's temporary buffer).
void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }

namespace sluice {
namespace {

struct Workload {
  const char* name;
  EventGenerator::Format input;
  const char* parse;  // the `parse:` block, indented for the pipeline
  const char* filter;
  const char* encoding;
};

void PrintTo(const Workload& w, std::ostream* os) { *os << w.name; }

// The end-to-end benchmark's workloads (bench/run_e2e.sh), at test scale.
const Workload kWorkloads[] = {
    {"csv_filter_json", EventGenerator::Format::kCsv,
     "      format: csv\n"
     "      columns: [ts, host, method, path, status, bytes, latency_ms, agent]\n"
     "      types: { status: int, bytes: int, latency_ms: float }\n",
     R"(status >= 500 or path =~ "^/api/v[0-9]+/orders")", "json"},
    {"regex_filter_json", EventGenerator::Format::kText,
     "      format: regex\n"
     "      pattern: '^(?P<remote_addr>\\S+) - (?P<remote_user>\\S+) \\[(?P<time_local>[^\\]]+)\\] "
     "\"(?P<method>[A-Z]+) (?P<path>[^ \"]*)(?: (?P<protocol>[^\"]*))?\" (?P<status>\\d{3}) "
     "(?P<bytes>\\d+) \"(?P<referer>[^\"]*)\" \"(?P<agent>[^\"]*)\"'\n"
     "      types: { status: int, bytes: int }\n",
     R"(status >= 500 or path =~ "^/api/v[0-9]+/orders")", "json"},
    {"none_raw", EventGenerator::Format::kText, "      format: none\n", "", "raw"},
    {"json_filter_json", EventGenerator::Format::kJson,
     "      format: json\n"
     "      types: { status: int, bytes: int, latency_ms: float }\n",
     R"(status >= 500 or path =~ "^/api/v[0-9]+/orders")", "json"},
};

class AllocationTest : public ::testing::TestWithParam<Workload> {
 protected:
  void SetUp() override {
    std::string pattern = std::filesystem::temp_directory_path() / "sluice-alloc-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    set_log_quiet(true);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the workload over `events` events read from a file; returns the allocations made from
  // building the runtime to its end, or 0 after a failure (reported by the gtest macros).
  uint64_t allocations_for(const Workload& w, int events) {
    std::string input = dir_ + "/in-" + std::to_string(events);
    {
      EventGenerator gen(w.input, 1);
      std::string text;
      for (int i = 0; i < events; ++i) {
        gen.append_event(text);
      }
      std::ofstream(input, std::ios::binary) << text;
    }
    std::string yaml =
        "data_dir: " + dir_ + "/data-" + std::to_string(events) +
        "\n"
        "pipelines:\n"
        "  p:\n"
        "    source: { type: file, paths: [" +
        input +
        "], read_from: beginning, follow: false }\n"
        "    parse:\n" +
        w.parse + (*w.filter != 0 ? "    filter: '" + std::string(w.filter) + "'\n" : "") +
        "    routes:\n"
        "      - to: out\n"
        "    threads: { parse: 2 }\n"
        // Small queues, so batches are recycled after the first few, as in a long run.
        "    queue: { max_bytes: 4MiB }\n"
        "sinks:\n"
        "  out: { type: file, path: " +
        dir_ + "/out-" + std::to_string(events) + ", encoding: " + w.encoding + " }\n";
    LoadedConfig loaded = load_config(yaml, process_environment());
    EXPECT_TRUE(loaded.ok()) << format_problems(loaded.problems, "<test>") << yaml;
    if (!loaded.ok()) {
      return 0;
    }
    const uint64_t before = g_allocations.load();
    {
      auto runtime = Runtime::build(loaded.config);
      EXPECT_TRUE(runtime.ok()) << runtime.status().message();
      if (!runtime.ok()) {
        return 0;
      }
      Status started = runtime.value()->start();
      EXPECT_TRUE(started.ok()) << started.message();
      EXPECT_EQ(runtime.value()->shutdown(std::chrono::seconds(120), -1),
                Runtime::Shutdown::kDrained);
      EXPECT_NE(runtime.value()->summary().find(" in=" + std::to_string(events) + " "),
                std::string::npos)
          << runtime.value()->summary();
    }
    return g_allocations.load() - before;
  }

  std::string dir_;
};

TEST_P(AllocationTest, OneMoreEventCostsFarLessThanOneAllocation) {
  const Workload& w = GetParam();
  constexpr int kEvents = 100000;
  const uint64_t once = allocations_for(w, kEvents);
  const uint64_t twice = allocations_for(w, 2 * kEvents);
  ASSERT_GT(once, 0u);
  const double per_event =
      (static_cast<double>(twice) - static_cast<double>(once)) / static_cast<double>(kEvents);
  RecordProperty("allocations_per_event", std::to_string(per_event));
  EXPECT_LT(per_event, 0.02) << w.name << ": " << once << " allocations for " << kEvents
                             << " events, " << twice << " for " << 2 * kEvents;
}

INSTANTIATE_TEST_SUITE_P(BenchmarkWorkloads, AllocationTest, ::testing::ValuesIn(kWorkloads),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sluice
