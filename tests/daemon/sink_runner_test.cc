// SinkRunner: writes the bytes workers encoded per batch, in order, gathered into few writes;
// a failing write is retried from the first byte not written; batches are acknowledged only
// after their bytes are written.
#include "daemon/sink_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stages/memory_budget.h"

namespace sluice {
namespace {

// Fails its first `failures` writes after writing `partial` bytes of them; then writes all.
class FlakySink : public Sink {
 public:
  FlakySink(int failures, size_t partial) : failures_(failures), partial_(partial) {}
  Status open() override { return Status(); }
  Status write(std::span<const std::string_view> parts, size_t& written) override {
    std::lock_guard lock(mu_);
    written = 0;
    size_t budget = failures_ > 0 ? partial_ : SIZE_MAX;
    for (std::string_view p : parts) {
      std::string_view take = p.substr(0, budget - written);
      out_.append(take);
      written += take.size();
      if (written == budget) {
        break;
      }
    }
    ++calls_;
    if (failures_ > 0) {
      --failures_;
      return Status::error("disk full");
    }
    return Status();
  }
  Status flush() override { return Status(); }
  // One output, new until something is written to it.
  Result<bool> prepare() override {
    std::lock_guard lock(mu_);
    return out_.empty();
  }

  std::string out() {
    std::lock_guard lock(mu_);
    return out_;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  int failures_;
  size_t partial_;
  std::string out_;
  int calls_ = 0;
};

class CountingAcknowledger : public Acknowledger {
 public:
  void acknowledge(uint64_t cookie) noexcept override {
    (void)cookie;
    acked.fetch_add(1);
  }
  std::atomic<int> acked{0};
};

class HeaderEncoder : public Encoder {
 public:
  void encode_lines(const Batch&, std::span<const uint32_t>, std::string&,
                    std::vector<uint32_t>&) override {}
  void begin(std::string& out) override { out.append("header\n"); }
};

// A batch whose one target has `bytes` encoded for `events` events, shared with one sink.
DeliveryToken encoded_batch(const std::string& bytes, uint32_t events, Acknowledger* ack,
                            const std::shared_ptr<DeliveryCounters>& outcomes = nullptr,
                            MemoryLease lease = {}) {
  auto batch = std::make_unique<Batch>();
  batch->lease = std::move(lease);
  batch->targets.resize(1);
  for (uint32_t i = 0; i < events; ++i) {
    batch->targets[0].push_back(i);
  }
  batch->encoded.push_back(Batch::Output{bytes, {}});
  batch->outcomes = outcomes;
  batch->routed = batch->pending = events;
  batch->set_ack(ack, 0);
  return std::move(Batch::share(std::move(batch), 1).front());
}

struct RunResult {
  std::string out;
  uint64_t events = 0;
  uint64_t errors = 0;
  int write_calls = 0;
};

// Runs the batches of `chunks` (two events each) through a SinkRunner over a FlakySink.
RunResult run_batches(int failures, size_t partial, const std::vector<std::string>& chunks,
                      CountingAcknowledger& ack) {
  auto owned = std::make_unique<FlakySink>(failures, partial);
  FlakySink& sink = *owned;
  SinkRunner runner("test", std::move(owned), 1 << 20);
  HeaderEncoder header;
  runner.add_producer();
  EXPECT_TRUE(runner.start().ok());
  std::atomic<bool> abort{false};
  for (const std::string& c : chunks) {
    EXPECT_TRUE(runner.push(SinkItem{encoded_batch(c, 2, &ack), &header, 0}, abort, nullptr));
  }
  runner.producer_done();
  runner.join();
  return RunResult{sink.out(), runner.events_total(), runner.errors_total(), sink.calls()};
}

TEST(SinkRunner, WritesEncodedBatchesInOrderAfterHeaderAndAcknowledgesThem) {
  CountingAcknowledger ack;
  RunResult r = run_batches(0, 0, {"a1\na2\n", "", "b1\nb2\n", "c1\nc2\n"}, ack);
  EXPECT_EQ(r.out, "header\na1\na2\nb1\nb2\nc1\nc2\n");
  EXPECT_EQ(r.events, 8u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(ack.acked.load(), 4);
}

TEST(SinkRunner, RetriesAFailedWriteFromTheFirstByteNotWritten) {
  CountingAcknowledger ack;
  // Each failed write gets 5 bytes out, ending inside a part: the retry must neither repeat
  // nor skip a byte.
  RunResult r = run_batches(4, 5, {"first-batch\n", "second\n", "third-batch-line\n"}, ack);
  EXPECT_EQ(r.out, "header\nfirst-batch\nsecond\nthird-batch-line\n");
  EXPECT_EQ(r.errors, 4u);
  EXPECT_EQ(ack.acked.load(), 3);
  EXPECT_GE(r.write_calls, 5);
}

// Writes its first `good` writes, then fails every write for good, like stdout after EPIPE.
class BreakingSink : public Sink {
 public:
  explicit BreakingSink(int good) : good_(good) {}
  Status open() override { return Status(); }
  Status write(std::span<const std::string_view> parts, size_t& written) override {
    written = 0;
    if (good_-- > 0) {
      for (std::string_view p : parts) {
        written += p.size();
      }
      return Status();
    }
    broken_ = true;
    return Status::error("cannot write stdout: Broken pipe");
  }
  Status flush() override { return Status(); }
  bool broken() const override { return broken_; }

 private:
  int good_;
  bool broken_ = false;
};

TEST(SinkRunner, ABrokenOutputAnswersEveryLaterBatchAsNotWrittenWithoutRetrying) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  SinkRunner runner("out", std::make_unique<BreakingSink>(1), 64);  // tiny queue: one batch
  HeaderEncoder header;
  runner.add_producer();
  ASSERT_TRUE(runner.start().ok());
  std::atomic<bool> abort{false};
  for (int i = 0; i < 20; ++i) {
    // 1 MiB each: one write each. Never blocks for long: a broken sink keeps taking batches and
    // releasing their tokens.
    ASSERT_TRUE(runner.push(
        SinkItem{encoded_batch(std::string(1 << 20, 'x'), 3, &ack, outcomes), &header, 0}, abort,
        nullptr));
  }
  runner.producer_done();
  runner.join();
  EXPECT_TRUE(runner.broken());
  EXPECT_EQ(ack.acked.load(), 1) << "only the batch written before the break";
  EXPECT_EQ(outcomes->delivered.load(), 3u);
  EXPECT_EQ(outcomes->undelivered.load(), 57u);
  EXPECT_EQ(runner.events_total(), 3u);
  EXPECT_EQ(runner.undelivered_total(), 57u);
  EXPECT_EQ(runner.errors_total(), 1u) << "no retries of a broken output";
}

TEST(SinkRunner, AbortAnswersWhatWasTakenAndWhatIsQueuedAsNotWritten) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  // Fails every write: the runner retries until aborted.
  SinkRunner runner("out", std::make_unique<FlakySink>(1 << 30, 0), 1 << 30);
  HeaderEncoder header;
  runner.add_producer();
  ASSERT_TRUE(runner.start().ok());
  std::atomic<bool> abort{false};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(runner.push(
        SinkItem{encoded_batch(std::string(1 << 20, 'y'), 2, &ack, outcomes), &header, 0}, abort,
        nullptr));
  }
  for (int i = 0; i < 400 && runner.errors_total() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(runner.errors_total(), 1u);
  runner.abort();
  runner.join();
  runner.discard_queued();
  EXPECT_EQ(ack.acked.load(), 0);
  EXPECT_EQ(outcomes->delivered.load(), 0u);
  EXPECT_EQ(outcomes->undelivered.load(), 10u);
  EXPECT_EQ(runner.events_total(), 0u);
}

// Shares each of `batches` batches (two events, a few bytes each) with two runners: one over
// `first`, one over `second`; returns when both have finished.
void share_with_two_sinks(std::unique_ptr<Sink> first, std::unique_ptr<Sink> second, int batches,
                          Acknowledger& ack, const std::shared_ptr<DeliveryCounters>& outcomes) {
  SinkRunner a("a", std::move(first), 1 << 20);
  SinkRunner b("b", std::move(second), 1 << 20);
  HeaderEncoder header;
  for (SinkRunner* r : {&a, &b}) {
    r->add_producer();
    ASSERT_TRUE(r->start().ok());
  }
  std::atomic<bool> abort{false};
  for (int i = 0; i < batches; ++i) {
    auto batch = std::make_unique<Batch>();
    batch->targets = {{0, 1}, {0, 1}};
    batch->encoded = {Batch::Output{"a\nb\n", {}}, Batch::Output{"a\nb\n", {}}};
    batch->outcomes = outcomes;
    batch->routed = batch->pending = 2;
    batch->set_ack(&ack, static_cast<uint64_t>(i));
    std::vector<DeliveryToken> tokens = Batch::share(std::move(batch), 2);
    ASSERT_TRUE(a.push(SinkItem{std::move(tokens[0]), &header, 0}, abort, nullptr));
    ASSERT_TRUE(b.push(SinkItem{std::move(tokens[1]), &header, 1}, abort, nullptr));
  }
  for (SinkRunner* r : {&a, &b}) {
    r->producer_done();
    r->join();
  }
}

TEST(SinkRunner, EverySinkWritesEachBatchIsAcknowledgedOnce) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  share_with_two_sinks(std::make_unique<FlakySink>(0, 0), std::make_unique<FlakySink>(2, 1), 30,
                       ack, outcomes);
  EXPECT_EQ(ack.acked.load(), 30);
  EXPECT_EQ(outcomes->delivered.load(), 60u);
  EXPECT_EQ(outcomes->undelivered.load(), 0u);
}

TEST(SinkRunner, OneSinkFailsAndAnotherWritesNoBatchIsAcknowledged) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  // The second sink's output is gone from the start (EPIPE): it writes nothing.
  share_with_two_sinks(std::make_unique<FlakySink>(0, 0), std::make_unique<BreakingSink>(0), 30,
                       ack, outcomes);
  EXPECT_EQ(ack.acked.load(), 0);
  EXPECT_EQ(outcomes->delivered.load(), 0u);
  EXPECT_EQ(outcomes->undelivered.load(), 60u) << "judged per batch: every event is owed again";
}

TEST(SinkRunner, APushRefusedOnAbortLeavesTheBatchUndelivered) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  MemoryBudget budget(1 << 30);
  std::atomic<bool> abort{false};
  // Not started: nothing drains the queue, which holds one 4 KiB batch.
  SinkRunner runner("out", std::make_unique<FlakySink>(0, 0), 4096);
  HeaderEncoder header;
  auto leased = [&](uint32_t events) {
    EXPECT_TRUE(budget.acquire(4096, abort));
    return encoded_batch("x\n", events, &ack, outcomes, MemoryLease(&budget, 4096));
  };
  ASSERT_TRUE(runner.push(SinkItem{leased(1), &header, 0}, abort, nullptr));
  abort = true;
  EXPECT_FALSE(runner.push(SinkItem{leased(4), &header, 0}, abort, nullptr));
  EXPECT_EQ(outcomes->undelivered.load(), 4u) << "the refused token died unresolved";
  runner.discard_queued();
  EXPECT_EQ(outcomes->undelivered.load(), 5u);
  EXPECT_EQ(ack.acked.load(), 0);
}

// Writes everything, and keeps the tokens it is handed after a flush, as a sink that learns of
// delivery later (a Kafka delivery report) does.
class DeferringSink : public FlakySink {
 public:
  DeferringSink() : FlakySink(0, 0) {}
  void flushed(std::span<DeliveryToken> tokens) override {
    for (DeliveryToken& t : tokens) {
      kept.push_back(std::move(t));
    }
  }
  std::vector<DeliveryToken> kept;  // read after the runner's thread is joined
};

TEST(SinkRunner, ASinkThatLearnsOfDeliveryLaterResolvesTheTokensItKeptWhenItKnows) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  auto owned = std::make_unique<DeferringSink>();
  DeferringSink& sink = *owned;
  SinkRunner runner("kafka", std::move(owned), 1 << 20);
  HeaderEncoder header;
  runner.add_producer();
  std::atomic<bool> abort{false};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        runner.push(SinkItem{encoded_batch("m\n", 2, &ack, outcomes), &header, 0}, abort, nullptr));
  }
  runner.producer_done();
  ASSERT_TRUE(runner.start().ok());
  runner.join();
  ASSERT_EQ(sink.kept.size(), 3u);
  EXPECT_EQ(ack.acked.load(), 0) << "written is not yet delivered for this sink";
  sink.kept[0].resolve(DeliveryOutcome::kDelivered);
  sink.kept[1].resolve(DeliveryOutcome::kDeadLettered);
  sink.kept[2] = DeliveryToken();  // the broker refused it: not delivered
  EXPECT_EQ(ack.acked.load(), 2);
  EXPECT_EQ(outcomes->delivered.load(), 2u);
  EXPECT_EQ(outcomes->dead_lettered.load(), 2u);
  EXPECT_EQ(outcomes->undelivered.load(), 2u);
}

// A sink that sends messages: each send() takes at most `room` messages (a small producer
// queue), and flush() plays the delivery reports: it resolves every token taken so far.
class MessageSink : public Sink {
 public:
  explicit MessageSink(size_t room) : room_(room) {}
  Status open() override { return Status(); }
  Status write(std::span<const std::string_view>, size_t& written) override {
    written = 0;
    return Status::error("no byte stream");
  }
  bool sends_messages() const override { return true; }
  size_t send(DeliveryToken& token, uint32_t target, size_t from, DeadLetter*) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (token.holds_share()) {  // the batch's first call
      sending_ = std::move(token);
    }
    const Batch::Output& out = sending_.batch().encoded[target];
    const size_t to = std::min(out.ends.size(), from + room_);
    for (size_t i = from; i < to; ++i) {
      const size_t start = i == 0 ? 0 : out.ends[i - 1];
      sent_.push_back(out.bytes.substr(start, out.ends[i] - start - 1));
    }
    if (to == out.ends.size()) {
      delivered_ += sending_.batch().targets[target].size();
      taken_.push_back(std::move(sending_));
    }
    return to;
  }
  void abandon_send() override {
    std::lock_guard lock(mu_);
    ++abandoned_;
    sending_ = DeliveryToken();
  }
  Status flush() override {
    std::lock_guard lock(mu_);
    if (hold_reports_) {
      return Status::error("reports outstanding");
    }
    for (DeliveryToken& t : taken_) {
      t.resolve(DeliveryOutcome::kDelivered);
    }
    taken_.clear();
    return Status();
  }
  uint64_t delivered_events() const override {
    std::lock_guard lock(mu_);
    return delivered_;
  }
  void hold_reports(bool hold) {
    std::lock_guard lock(mu_);
    hold_reports_ = hold;
  }
  std::vector<std::string> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int abandoned() {
    std::lock_guard lock(mu_);
    return abandoned_;
  }

 private:
  mutable std::mutex mu_;
  size_t room_;
  DeliveryToken sending_;
  std::vector<DeliveryToken> taken_;
  std::vector<std::string> sent_;
  uint64_t delivered_ = 0;
  bool hold_reports_ = false;
  int calls_ = 0;
  int abandoned_ = 0;
};

TEST(SinkRunner, AMessageSinkGetsEveryMessageOnceThroughRepeatedSendsAndReportsAtTheEnd) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  auto owned = std::make_unique<MessageSink>(2);  // two messages per call: backpressure
  MessageSink& sink = *owned;
  sink.hold_reports(true);
  SinkRunner runner("kafka", std::move(owned), 1 << 20);
  HeaderEncoder header;
  runner.add_producer();
  ASSERT_TRUE(runner.start().ok());
  std::atomic<bool> abort{false};
  for (int b = 0; b < 3; ++b) {
    std::string bytes;
    for (int i = 0; i < 5; ++i) {
      bytes += std::to_string(b * 5 + i) + "\n";
    }
    auto token = encoded_batch(bytes, 5, &ack, outcomes);
    Batch& batch = const_cast<Batch&>(token.batch());
    for (uint32_t i = 0, end = 0; i < 5; ++i) {
      end = static_cast<uint32_t>(bytes.find('\n', end) + 1);
      batch.encoded[0].ends.push_back(end);
    }
    ASSERT_TRUE(runner.push(SinkItem{std::move(token), &header, 0}, abort, nullptr));
  }
  runner.producer_done();
  // Everything is produced, but the runner does not finish while reports are outstanding.
  for (int i = 0; i < 400 && sink.sent().size() < 15; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(sink.sent().size(), 15u);
  EXPECT_FALSE(runner.finished());
  EXPECT_EQ(ack.acked.load(), 0);
  sink.hold_reports(false);
  runner.join();
  std::vector<std::string> expected;
  for (int i = 0; i < 15; ++i) {
    expected.push_back(std::to_string(i));
  }
  EXPECT_EQ(sink.sent(), expected);
  EXPECT_GE(sink.calls(), 9) << "three calls per batch of five, two at a time";
  EXPECT_EQ(ack.acked.load(), 3);
  EXPECT_EQ(outcomes->delivered.load(), 15u);
  EXPECT_EQ(runner.events_total(), 15u);
}

TEST(SinkRunner, AbortWhileTheProducerQueueIsFullAbandonsTheBatchAsUndelivered) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  auto owned = std::make_unique<MessageSink>(0);  // the producer queue never has room
  MessageSink& sink = *owned;
  SinkRunner runner("kafka", std::move(owned), 1 << 20);
  HeaderEncoder header;
  runner.add_producer();
  ASSERT_TRUE(runner.start().ok());
  std::atomic<bool> abort{false};
  auto token = encoded_batch("a\nb\n", 2, &ack, outcomes);
  const_cast<Batch&>(token.batch()).encoded[0].ends = {2, 4};
  ASSERT_TRUE(runner.push(SinkItem{std::move(token), &header, 0}, abort, nullptr));
  for (int i = 0; i < 400 && sink.calls() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(sink.calls(), 3) << "the runner keeps offering the batch, never drops it";
  runner.abort();
  runner.join();
  EXPECT_EQ(sink.abandoned(), 1);
  EXPECT_EQ(ack.acked.load(), 0);
  EXPECT_EQ(outcomes->undelivered.load(), 2u);
  EXPECT_EQ(runner.undelivered_total(), 2u);
}

// Outputs the test replaces, as an operator deletes a file the sink then re-creates: prepare()
// reports a new output until something is written to it. Optionally one write fails after
// `fail_after` bytes, and the output is replaced right then (the full disk's file deleted).
class ReplaceableSink : public Sink {
 public:
  explicit ReplaceableSink(size_t fail_after = SIZE_MAX) : fail_after_(fail_after) {}
  Status open() override { return Status(); }
  Result<bool> prepare() override {
    std::lock_guard lock(mu_);
    return outputs_.back().empty();
  }
  Status write(std::span<const std::string_view> parts, size_t& written) override {
    std::lock_guard lock(mu_);
    written = 0;
    for (std::string_view p : parts) {
      std::string_view take = p.substr(0, fail_after_ - written);
      outputs_.back().append(take);
      written += take.size();
      if (written == fail_after_) {
        fail_after_ = SIZE_MAX;
        outputs_.emplace_back();
        return Status::error("disk full");
      }
    }
    return Status();
  }
  Status flush() override { return Status(); }

  void replace() {
    std::lock_guard lock(mu_);
    outputs_.emplace_back();
  }
  std::vector<std::string> outputs() {
    std::lock_guard lock(mu_);
    return outputs_;
  }

 private:
  std::mutex mu_;
  size_t fail_after_;
  std::vector<std::string> outputs_{std::string()};
};

// Bounded: polls up to 2 s for `done`.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 400 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// A runner over a ReplaceableSink, fed batches of two events.
class SinkRunnerOutputs : public ::testing::Test {
 protected:
  void make_runner(size_t fail_after = SIZE_MAX) {
    auto owned = std::make_unique<ReplaceableSink>(fail_after);
    sink_ = owned.get();
    runner_ = std::make_unique<SinkRunner>("out", std::move(owned), 1 << 20);
    runner_->add_producer();
  }
  void start() { ASSERT_TRUE(runner_->start().ok()); }
  void push(const std::string& bytes) {
    ASSERT_TRUE(
        runner_->push(SinkItem{encoded_batch(bytes, 2, &ack_), &header_, 0}, abort_, nullptr));
  }
  void finish() {
    runner_->producer_done();
    runner_->join();
  }

  CountingAcknowledger ack_;
  HeaderEncoder header_;
  std::atomic<bool> abort_{false};
  ReplaceableSink* sink_ = nullptr;
  std::unique_ptr<SinkRunner> runner_;
};

TEST_F(SinkRunnerOutputs, EachNewOutputTheSinkReportsStartsWithTheHeader) {
  make_runner();
  start();
  push("a1\na2\n");
  ASSERT_TRUE(eventually([&] { return ack_.acked.load() == 1; }));
  sink_->replace();
  push("b1\nb2\n");
  ASSERT_TRUE(eventually([&] { return ack_.acked.load() == 2; }));
  push("c1\nc2\n");
  finish();
  EXPECT_EQ(sink_->outputs(),
            (std::vector<std::string>{"header\na1\na2\n", "header\nb1\nb2\nc1\nc2\n"}));
  EXPECT_EQ(ack_.acked.load(), 3);
}

TEST_F(SinkRunnerOutputs, AHeaderCutShortInAnOutputThatIsThenReplacedIsWrittenWholeInTheNewOne) {
  make_runner(3);
  start();
  push("c1\nc2\n");
  finish();
  EXPECT_EQ(sink_->outputs(), (std::vector<std::string>{"hea", "header\nc1\nc2\n"}));
  EXPECT_EQ(ack_.acked.load(), 1);
}

TEST_F(SinkRunnerOutputs, ABatchCutShortInAnOutputThatIsThenReplacedIsWrittenWholeInTheNewOne) {
  // Both batches are taken before the first write: neither may begin half-way in the new output.
  make_runner(17);
  push("first-batch\n");
  push("second\n");
  start();
  finish();
  EXPECT_EQ(sink_->outputs(),
            (std::vector<std::string>{"header\nfirst-batc", "header\nfirst-batch\nsecond\n"}));
  EXPECT_EQ(ack_.acked.load(), 2);
}

}  // namespace
}  // namespace sluice
