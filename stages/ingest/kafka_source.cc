#include "stages/ingest/kafka_source.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stages/delivery/ack_inbox.h"
#include "stages/delivery/position_tracker.h"
#include "stages/ingest/kafka_pause_policy.h"
#include "stages/ingest/record_framer.h"
#include "stages/kafka_property.h"
#include "stages/log.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// How long a revoke waits for the in-flight batches of the partitions it takes away: well below
// session.timeout.ms (45 s by default), so that the group does not evict this member meanwhile.
// What has not finished by then is redelivered to the new owner (duplicates, never a loss).
constexpr auto kRevokeDrainLimit = std::chrono::seconds(5);
// While the pipeline is full, how long each wait for room lasts before the consumer is polled
// again (rebalances and heartbeats are served by the poll).
constexpr auto kPausedPoll = std::chrono::milliseconds(100);
// How long the pipeline must stay full before the partitions are paused (KafkaPausePolicy).
// Meanwhile nothing is polled, so a rebalance waits up to this long (far below the revoke
// drain limit and max.poll.interval.ms).
constexpr auto kPauseAfter = std::chrono::milliseconds(500);
// The longest a wake-up of the fetchers (a ListOffsets round trip) may hold the ingest thread,
// and how often an idle consumer with a known backlog may ask for one.
constexpr int kWakeTimeoutMs = 100;
constexpr auto kWakeInterval = std::chrono::milliseconds(20);
constexpr auto kLagRefresh = std::chrono::seconds(1);

std::string err_text(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

}  // namespace

uint64_t kafka_prefetch_bytes(uint64_t queue_max_bytes, uint64_t memory_limit) {
  return std::max<uint64_t>(std::min(queue_max_bytes / 2, memory_limit / 8), 2ull << 20);
}

KafkaConsumerBuffers kafka_consumer_buffers(const KafkaSourceOptions& options) {
  KafkaConsumerBuffers buffers;
  buffers.queue_kib =
      kafka_numeric_property(options.properties, "queued.max.messages.kbytes",
                             std::max<uint64_t>(options.prefetch_bytes / 2 / 1024, 1024));
  buffers.fetch_bytes =
      kafka_numeric_property(options.properties, "fetch.max.bytes",
                             std::max<uint64_t>(options.prefetch_bytes / 2, 1 << 20));
  return buffers;
}

namespace {

struct Partition {
  std::string topic;
  int32_t partition = 0;
  std::shared_ptr<const std::string> name;  // "topic:partition", the batches' `source`
  PositionTracker tracker;
  uint64_t generation = 0;  // which assignment this is; older acknowledgements are ignored
  int64_t stored = -1;      // the offset last given to rd_kafka_offsets_store
  bool reported_blocked = false;
};

using PartitionKey = std::pair<std::string, int32_t>;

struct InFlight {
  PartitionKey key;
  uint64_t generation;
  int64_t first;
  int64_t last;
};

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

// Messages librdkafka returned that no batch holds yet, in order: a vector with a read index,
// reserved once and filled a few hundred at a time, so that taking a message costs neither an
// allocation nor a trip through librdkafka's queue lock.
class HeldMessages {
 public:
  static constexpr size_t kFetch = 512;
  HeldMessages() { messages_.reserve(2 * kFetch); }
  ~HeldMessages() { clear(); }
  HeldMessages(const HeldMessages&) = delete;
  HeldMessages& operator=(const HeldMessages&) = delete;

  bool empty() const { return next_ == messages_.size(); }
  rd_kafka_message_t& front() const { return *messages_[next_]; }
  // Destroys the front message.
  void pop() {
    rd_kafka_message_destroy(messages_[next_++]);
    if (empty()) {
      messages_.clear();
      next_ = 0;
    }
  }
  void push(rd_kafka_message_t* m) { messages_.push_back(m); }
  // REQUIRES: empty(). Takes what the queue holds now (up to kFetch); how many.
  size_t fetch(rd_kafka_queue_t* queue) {
    messages_.resize(kFetch);
    ssize_t n = rd_kafka_consume_batch_queue(queue, 0, messages_.data(), kFetch);
    messages_.resize(n > 0 ? static_cast<size_t>(n) : 0);
    next_ = 0;
    return messages_.size();
  }
  // Destroys the messages `drop` selects, keeping the others in order.
  template <typename Pred>
  void drop_if(Pred drop) {
    size_t kept = next_;
    for (size_t i = next_; i < messages_.size(); ++i) {
      if (drop(*messages_[i])) {
        rd_kafka_message_destroy(messages_[i]);
      } else {
        messages_[kept++] = messages_[i];
      }
    }
    messages_.resize(kept);
  }
  void clear() {
    drop_if([](const rd_kafka_message_t&) { return true; });
    messages_.clear();
    next_ = 0;
  }

 private:
  std::vector<rd_kafka_message_t*> messages_;
  size_t next_ = 0;
};

// Keeps a handle that may not be destroyed (see ~Consumer) reachable until the process exits,
// so that a leak checker (LeakSanitizer in the test builds) does not report what is kept on
// purpose. Rare (a stop during a group join), so a lock is fine.
void keep_until_exit(rd_kafka_t* rk) {
  static std::mutex mu;
  static auto* kept = new std::vector<rd_kafka_t*>();
  std::lock_guard lock(mu);
  kept->push_back(rk);
}

}  // namespace

// One run of the source: the consumer handle and everything only the ingest thread touches.
class KafkaSource::Consumer {
 public:
  Consumer(KafkaSource& source, SourceContext& ctx) : source_(source), ctx_(ctx) {}
  ~Consumer() {
    held_.clear();
    drop_open();
    if (queue_ != nullptr) {
      rd_kafka_queue_destroy(queue_);
    }
    // librdkafka 2.0.2 asserts in rd_kafka_destroy when a cooperative-sticky consumer is
    // destroyed after a JoinGroup but before its first assignment (its assignor state is still
    // null; fixed in 2.1). Such a handle, already closed, is left to the process exit instead.
    if (rk_ != nullptr && (!cooperative_ || assigned_once_)) {
      rd_kafka_destroy(rk_);
    } else if (rk_ != nullptr) {
      keep_until_exit(rk_);
    }
  }

  Status start();
  Status run();
  // After ctx.stopping(): drain, commit, leave the group.
  Status stop();

 private:
  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  // librdkafka's own log lines, forwarded only when the user asked for them with `debug`.
  static void log_cb(const rd_kafka_t* /*rk*/, int /*level*/, const char* facility,
                     const char* line) {
    log_info(std::string("librdkafka ") + facility + ": " + line);
  }

  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void on_error(int err, const char* reason);
  void assign(rd_kafka_topic_partition_list_t* partitions);
  void revoke(rd_kafka_topic_partition_list_t* partitions);

  // Takes a message into the open batch (or drops one of a partition no longer assigned);
  // false when it must wait for room.
  bool take(const rd_kafka_message_t& m);
  void handle_message_error(const rd_kafka_message_t& m);
  // Closes the open batch and offers it to the pipeline; false when the pipeline is full (the
  // batch waits in ready_).
  bool flush_open();
  bool offer_ready();
  void drop_open();
  void settle(std::chrono::milliseconds wait);
  void store_offsets(bool commit_now);
  void pause(bool pause);
  // After a refusal (no room in the pipeline, or no memory for a batch of `batch_bytes`): waits
  // a moment for room, pausing the partitions once the pipeline has stayed full too long.
  void wait_for_room(size_t batch_bytes);
  void resume();
  // librdkafka 2.0.2's broker threads sleep up to a second when they have nothing to fetch (all
  // partitions paused, or the pre-fetch queue full), and neither a resume nor an emptied queue
  // wakes them. A request to each partition leader does: one ListOffsets round (which also
  // brings fresh high watermarks).
  void wake_fetchers(const rd_kafka_topic_partition_list_t& assigned);
  // Wakes the fetchers when nothing came although some partition is known to have more.
  void wake_if_starved();
  void refresh_lags(bool force);
  rd_kafka_message_t* poll(int timeout_ms);
  std::string describe() const;

  KafkaSource& source_;
  SourceContext& ctx_;
  rd_kafka_t* rk_ = nullptr;
  bool cooperative_ = true;
  bool closing_ = false;
  bool paused_ = false;
  bool assigned_once_ = false;
  bool reported_pause_ = false;
  bool reported_unreachable_ = false;
  KafkaPausePolicy pause_policy_{kPauseAfter};
  Clock::time_point next_wake_ = Clock::now();
  rd_kafka_resp_err_t last_warning_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::map<PartitionKey, Partition> partitions_;
  uint64_t generation_ = 0;
  std::unordered_map<uint64_t, InFlight> in_flight_;
  uint64_t next_cookie_ = 1;
  std::vector<AckInbox::Settled> settled_;  // reused
  rd_kafka_queue_t* queue_ = nullptr;       // the consumer queue
  HeldMessages held_;                       // returned by librdkafka, not yet in a batch
  std::vector<std::string> reported_topics_;

  // The batch being filled: one partition's messages [open_first_, open_last_].
  BatchPtr open_;
  Partition* open_partition_ = nullptr;
  int64_t open_first_ = -1;
  int64_t open_last_ = -1;
  bool ready_ = false;  // open_ is closed and waits for room in the pipeline
  Clock::time_point next_lag_refresh_ = Clock::now();
};

std::string KafkaSource::Consumer::describe() const {
  std::string topics;
  for (const std::string& t : source_.options_.topics) {
    topics += (topics.empty() ? "" : ",") + t;
  }
  return "kafka source (group " + source_.options_.group + ", topics " + topics + ")";
}

Status KafkaSource::Consumer::start() {
  const KafkaSourceOptions& o = source_.options_;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  const KafkaConsumerBuffers buffers = kafka_consumer_buffers(o);
  std::vector<std::pair<std::string, std::string>> settings{
      {"bootstrap.servers", o.brokers},
      {"group.id", o.group},
      {"auto.offset.reset", o.start_latest ? "latest" : "earliest"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.auto.commit", "true"},
      {"enable.auto.offset.store", "false"},
      // The pre-fetch bound, reserved from memory_limit: the consumer queue holds at most
      // queue_kib, and one fetch response (per broker) at most fetch_bytes.
      // queued.min.messages stays at librdkafka's default: its per-message bookkeeping is
      // outside the reservation (README, "Memory"). receive.message.max.bytes stays at
      // librdkafka's default: it is a sanity check, not a buffer, and a broker may answer a
      // little over fetch.max.bytes (the mock answers up to a partition's worth per partition);
      // a response over it would fail the connection again and again.
      {"queued.max.messages.kbytes", std::to_string(buffers.queue_kib)},
      {"fetch.max.bytes", std::to_string(buffers.fetch_bytes)},
      {"fetch.message.max.bytes", std::to_string(std::min<uint64_t>(buffers.fetch_bytes, 1 << 20))},
  };
  settings.insert(settings.end(), o.properties.begin(), o.properties.end());
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::error(describe() + ": librdkafka property '" + name + "': " + errstr);
    }
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  // librdkafka's own log lines (every failed connect, each retry) are not for operators:
  // error_cb turns what matters into one line each.
  const bool debug = std::any_of(o.properties.begin(), o.properties.end(),
                                 [](const auto& p) { return p.first == "debug"; });
  rd_kafka_conf_set_log_cb(
      conf, debug ? log_cb : [](const rd_kafka_t*, int, const char*, const char*) {});
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(describe() + ": " + errstr);
  }
  rd_kafka_poll_set_consumer(rk_);
  queue_ = rd_kafka_queue_get_consumer(rk_);
  cooperative_ = std::string_view(rd_kafka_rebalance_protocol(rk_)) != "EAGER";
  ListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(o.topics.size())));
  for (const std::string& t : o.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get()); err) {
    return Status::error(describe() + ": cannot subscribe: " + err_text(err));
  }
  log_info(describe() + ": joining the group at " + o.brokers);
  return Status();
}

void KafkaSource::Consumer::rebalance_cb(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                                         rd_kafka_topic_partition_list_t* partitions,
                                         void* opaque) {
  static_cast<Consumer*>(opaque)->on_rebalance(err, partitions);
}

void KafkaSource::Consumer::error_cb(rd_kafka_t* /*rk*/, int err, const char* reason,
                                     void* opaque) {
  static_cast<Consumer*>(opaque)->on_error(err, reason);
}

void KafkaSource::Consumer::on_error(int err, const char* reason) {
  auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__TRANSPORT) {
    return;  // one broker's connection; librdkafka reconnects, and ALL_BROKERS_DOWN says more
  }
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__RESOLVE) {
    if (!reported_unreachable_) {
      reported_unreachable_ = true;
      log_error(describe() + ": cannot reach the brokers " + source_.options_.brokers + " (" +
                reason + "); retrying");
    }
    return;
  }
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512] = "";
    rd_kafka_fatal_error(rk_, fatal, sizeof(fatal));
    log_error(describe() + ": " + fatal);
    return;
  }
  if (code != last_warning_) {  // a repeated error is said once until another one comes
    last_warning_ = code;
    log_warning(describe() + ": " + reason);
  }
}

void KafkaSource::Consumer::on_rebalance(rd_kafka_resp_err_t err,
                                         rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assigned_once_ = true;
    assign(partitions);
  } else {
    revoke(partitions);
  }
}

void KafkaSource::Consumer::assign(rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_error_t* error = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (cooperative_) {
    error = rd_kafka_incremental_assign(rk_, partitions);
  } else {
    err = rd_kafka_assign(rk_, partitions);
  }
  if (error != nullptr) {
    log_error(describe() + ": cannot take its partitions: " + rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return;
  }
  if (err) {
    log_error(describe() + ": cannot take its partitions: " + err_text(err));
    return;
  }
  std::string names;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    Partition& p = partitions_[PartitionKey(tp.topic, tp.partition)];
    p.topic = tp.topic;
    p.partition = tp.partition;
    p.name = std::make_shared<const std::string>(p.topic + ":" + std::to_string(p.partition));
    p.tracker.reset();
    p.generation = ++generation_;
    p.stored = -1;
    p.reported_blocked = false;
    names += (names.empty() ? "" : " ") + *p.name;
  }
  if (paused_) {
    rd_kafka_pause_partitions(rk_, partitions);  // the pipeline is still full
  }
  reported_unreachable_ = false;
  log_info(describe() + ": assigned " + names);
}

void KafkaSource::Consumer::revoke(rd_kafka_topic_partition_list_t* partitions) {
  auto revoked = [partitions](const std::string& topic, int32_t partition) {
    for (int i = 0; i < partitions->cnt; ++i) {
      if (partitions->elems[i].partition == partition && topic == partitions->elems[i].topic) {
        return true;
      }
    }
    return false;
  };
  // What was read but never handed to the pipeline is simply forgotten: the new owner reads it
  // again from the committed offset.
  if (open_partition_ != nullptr && revoked(open_partition_->topic, open_partition_->partition)) {
    drop_open();
  }
  held_.drop_if([&](const rd_kafka_message_t& m) {
    return m.rkt != nullptr && revoked(rd_kafka_topic_name(m.rkt), m.partition);
  });
  // A bounded drain of what is in flight for these partitions, so that the commit below covers
  // as much as possible and the new owner repeats little.
  if (!closing_) {
    const auto deadline = Clock::now() + kRevokeDrainLimit;
    for (;;) {
      size_t waiting = 0;
      for (const auto& [key, p] : partitions_) {
        if (revoked(key.first, key.second)) {
          waiting += p.tracker.in_flight();
        }
      }
      if (waiting == 0 || ctx_.aborted() || Clock::now() >= deadline) {
        break;
      }
      settle(std::chrono::milliseconds(20));
    }
  }
  settle(std::chrono::milliseconds(0));
  // Store and commit what finished, synchronously: the next owner starts from there.
  ListPtr commit(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    auto it = partitions_.find(PartitionKey(tp.topic, tp.partition));
    if (it == partitions_.end()) {
      continue;
    }
    if (auto next = it->second.tracker.committable(); next && *next > it->second.stored) {
      rd_kafka_topic_partition_list_add(commit.get(), tp.topic, tp.partition)->offset = *next;
    }
    partitions_.erase(it);
  }
  if (commit->cnt > 0) {
    if (rd_kafka_resp_err_t err = rd_kafka_commit(rk_, commit.get(), 0); err) {
      log_warning(describe() + ": committing the offsets of revoked partitions failed: " +
                  err_text(err) + " (their last events may be read again)");
    }
  }
  if (cooperative_) {
    if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk_, partitions)) {
      rd_kafka_error_destroy(error);
    }
  } else {
    rd_kafka_assign(rk_, nullptr);
  }
}

void KafkaSource::Consumer::settle(std::chrono::milliseconds wait) {
  source_.inbox_->take(settled_, wait);
  bool advanced = false;
  for (const AckInbox::Settled& s : settled_) {
    auto it = in_flight_.find(s.cookie);
    if (it == in_flight_.end()) {
      continue;
    }
    InFlight f = it->second;
    in_flight_.erase(it);
    auto p = partitions_.find(f.key);
    if (p == partitions_.end() || p->second.generation != f.generation) {
      continue;  // revoked meanwhile: its offsets are the new owner's business
    }
    Partition& part = p->second;
    if (s.delivered) {
      advanced |= part.tracker.complete(f.first) == PositionTracker::Change::kAdvanced;
    } else if (part.tracker.abandon(f.first) == PositionTracker::Change::kBlocked &&
               !part.reported_blocked) {
      part.reported_blocked = true;
      source_.blocked_partitions_.fetch_add(1);
      log_error(describe() + ": topic " + part.topic + " partition " +
                std::to_string(part.partition) + ": offsets " + std::to_string(f.first) + "-" +
                std::to_string(f.last) +
                " were not delivered by every sink nor dead-lettered; this partition's "
                "committed offset stays before " +
                std::to_string(f.first) + " until it is reassigned or sluice restarts");
    }
  }
  settled_.clear();
  if (advanced) {
    store_offsets(false);
  }
}

void KafkaSource::Consumer::store_offsets(bool commit_now) {
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size())));
  for (auto& [key, p] : partitions_) {
    if (auto next = p.tracker.committable(); next && *next > p.stored) {
      rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = *next;
      p.stored = *next;
    }
  }
  if (list->cnt > 0) {
    rd_kafka_offsets_store(rk_, list.get());
  }
  if (commit_now && !partitions_.empty()) {
    // Stored offsets of every assigned partition, synchronously.
    rd_kafka_resp_err_t err = rd_kafka_commit(rk_, nullptr, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      log_warning(describe() + ": committing offsets failed: " + err_text(err) +
                  " (the last events may be read again)");
    }
  }
}

void KafkaSource::Consumer::pause(bool pause) {
  if (pause == paused_) {
    return;
  }
  paused_ = pause;
  if (pause && !ctx_.stopping() && !reported_pause_) {
    // Once per run: under steady backpressure this happens many times a second.
    reported_pause_ = true;
    log_info(describe() + ": the pipeline is full; pausing its partitions until there is room");
  }
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(rk_, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return;
  }
  ListPtr owned(assigned);
  if (pause) {
    rd_kafka_pause_partitions(rk_, assigned);
  } else {
    rd_kafka_resume_partitions(rk_, assigned);
  }
}

void KafkaSource::Consumer::wait_for_room(size_t batch_bytes) {
  const auto now = Clock::now();
  pause_policy_.refused(now);
  if (!paused_ && !pause_policy_.pause_due(now)) {
    // Full for a moment, as while a backlog drains at the pipeline's own speed: wait without
    // polling, so no message piles up here and librdkafka keeps its (bounded) pre-fetch.
    ctx_.wait_for_room(batch_bytes, std::min<std::chrono::milliseconds>(
                                        kPausedPoll, std::chrono::ceil<std::chrono::milliseconds>(
                                                         pause_policy_.until_pause(now))));
    return;
  }
  // A stall: stop fetching, keep polling (the group must hear from us), and hold what was
  // already returned.
  pause(true);
  ctx_.wait_for_room(batch_bytes, kPausedPoll);
  if (rd_kafka_message_t* m = poll(0)) {
    held_.push(m);
  }
}

void KafkaSource::Consumer::resume() {
  pause(false);
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(rk_, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return;
  }
  ListPtr owned(assigned);
  wake_fetchers(*assigned);
}

void KafkaSource::Consumer::wake_fetchers(const rd_kafka_topic_partition_list_t& assigned) {
  if (assigned.cnt == 0) {
    return;
  }
  ListPtr query(rd_kafka_topic_partition_list_copy(&assigned));
  for (int i = 0; i < query->cnt; ++i) {
    query->elems[i].offset = RD_KAFKA_OFFSET_END;  // as a timestamp: the high watermark
  }
  rd_kafka_offsets_for_times(rk_, query.get(), kWakeTimeoutMs);
  next_wake_ = Clock::now() + kWakeInterval;
}

void KafkaSource::Consumer::wake_if_starved() {
  if (paused_ || partitions_.empty() || Clock::now() < next_wake_) {
    return;
  }
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(rk_, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return;
  }
  ListPtr owned(assigned);
  rd_kafka_position(rk_, assigned);
  for (int i = 0; i < assigned->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = assigned->elems[i];
    int64_t low = 0, high = -1;
    // The high watermark as of the last fetch response: no request.
    rd_kafka_get_watermark_offsets(rk_, tp.topic, tp.partition, &low, &high);
    if (tp.offset >= 0 && high > tp.offset) {
      wake_fetchers(*assigned);
      return;
    }
  }
  next_wake_ = Clock::now() + kWakeInterval;
}

rd_kafka_message_t* KafkaSource::Consumer::poll(int timeout_ms) {
  return rd_kafka_consumer_poll(rk_, timeout_ms);
}

void KafkaSource::Consumer::drop_open() {
  if (open_ != nullptr) {
    // Never emitted: its acknowledgement target must not hear of it.
    open_->set_ack(nullptr, 0);
    open_.reset();
  }
  open_partition_ = nullptr;
  ready_ = false;
}

bool KafkaSource::Consumer::offer_ready() {
  const uint64_t cookie = next_cookie_;
  open_->set_ack(source_.inbox_.get(), cookie);
  source_.inbox_->emitted();
  if (!ctx_.try_emit(open_)) {
    source_.inbox_->add_back_refused();
    return false;
  }
  ++next_cookie_;
  pause_policy_.progressed();
  // Acknowledgements are read on this thread only (settle), so registering after the hand-over
  // cannot miss one.
  open_partition_->tracker.emitted(open_first_, open_last_);
  in_flight_.emplace(cookie,
                     InFlight{PartitionKey(open_partition_->topic, open_partition_->partition),
                              open_partition_->generation, open_first_, open_last_});
  open_.reset();
  open_partition_ = nullptr;
  ready_ = false;
  return true;
}

bool KafkaSource::Consumer::flush_open() {
  if (open_ == nullptr) {
    return true;
  }
  open_->update_lease();
  ready_ = true;
  return offer_ready();
}

void KafkaSource::Consumer::handle_message_error(const rd_kafka_message_t& m) {
  if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    return;
  }
  const std::string topic = m.rkt != nullptr ? rd_kafka_topic_name(m.rkt) : "";
  if (m.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
      m.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
    if (std::find(reported_topics_.begin(), reported_topics_.end(), topic) ==
        reported_topics_.end()) {
      reported_topics_.push_back(topic);
      log_error(describe() + ": topic '" + topic +
                "' does not exist; waiting for it to be created");
    }
    return;
  }
  log_warning(describe() + ": " + (topic.empty() ? "" : "topic " + topic + ": ") +
              rd_kafka_message_errstr(&m));
}

bool KafkaSource::Consumer::take(const rd_kafka_message_t& m) {
  // Most messages continue the open batch's partition: no lookup for them.
  Partition* p = open_partition_;
  if (p == nullptr || m.partition != p->partition || p->topic != rd_kafka_topic_name(m.rkt)) {
    auto it = partitions_.find(PartitionKey(rd_kafka_topic_name(m.rkt), m.partition));
    if (it == partitions_.end()) {
      return true;  // from a partition no longer assigned: its new owner reads it
    }
    p = &it->second;
  }
  const char* payload = static_cast<const char*>(m.payload);
  size_t len = payload != nullptr ? m.len : 0;
  // A trailing line end is the producer's framing (`echo ... | kcat`), not part of the event.
  if (len > 0 && payload[len - 1] == '\n') {
    --len;
    if (len > 0 && payload[len - 1] == '\r') {
      --len;
    }
  }
  const bool oversized = len > source_.options_.max_event_bytes;
  const size_t stored_len = oversized ? kRejectedRawPrefix : len;
  if (open_ != nullptr &&
      (p != open_partition_ || open_->text.size() + stored_len + 128 > open_->text.capacity())) {
    if (!flush_open()) {
      return false;
    }
  }
  if (open_ == nullptr) {
    const size_t capacity = std::max(source_.options_.batch_bytes, stored_len + 256);
    open_ = ctx_.try_new_batch(capacity);
    if (open_ == nullptr) {
      return false;  // the memory budget is full: wait for room
    }
    open_->source = p->name;
    open_partition_ = p;
    open_first_ = m.offset;
  }
  open_last_ = m.offset;
  if (len > 0) {
    Event& e = open_->events.emplace_back();
    e.raw = open_->append(std::string_view(payload, stored_len));
    e.position = static_cast<uint64_t>(m.offset);
    if (oversized) {
      e.state = EventState::kParseError;
      e.error =
          open_->append("record longer than max_event_bytes (" +
                        std::to_string(source_.options_.max_event_bytes) + " bytes); truncated");
    }
  }
  return true;
}

void KafkaSource::Consumer::refresh_lags(bool force) {
  const auto now = Clock::now();
  if (!force && now < next_lag_refresh_) {
    return;
  }
  next_lag_refresh_ = now + kLagRefresh;
  std::vector<PartitionLag> lags;
  for (const auto& [key, p] : partitions_) {
    int64_t low = 0, high = -1;
    if (paused_) {
      // Paused partitions are not fetched, so the cached high watermark would stand still.
      rd_kafka_query_watermark_offsets(rk_, p.topic.c_str(), p.partition, &low, &high, 200);
    } else {
      rd_kafka_get_watermark_offsets(rk_, p.topic.c_str(), p.partition, &low, &high);
    }
    auto committed = p.tracker.committable();
    if (high < 0 || !committed) {
      continue;
    }
    lags.push_back(PartitionLag{p.topic, p.partition, std::max<int64_t>(0, high - *committed)});
  }
  std::lock_guard lock(source_.lag_mu_);
  source_.lags_.swap(lags);
}

Status KafkaSource::Consumer::run() {
  while (!ctx_.stopping()) {
    // Between batches only: acknowledgements arrive once per batch, and the inbox has a lock.
    if (open_ == nullptr || ready_) {
      settle(std::chrono::milliseconds(0));
      refresh_lags(false);
    }
    if (ready_ && !offer_ready()) {
      wait_for_room(0);  // the parse queue is full
      continue;
    }
    if (held_.empty() && held_.fetch(queue_) == 0) {
      // Nothing came within a moment: flush a partly filled batch rather than sit on it.
      rd_kafka_message_t* m = poll(open_ != nullptr ? 2 : 100);
      if (m == nullptr) {
        if (open_ != nullptr && !flush_open()) {
          continue;  // ready_: paused above on the next round
        }
        if (paused_ && !ready_) {
          resume();
        } else {
          wake_if_starved();
        }
        continue;
      }
      held_.push(m);
    }
    const rd_kafka_message_t& m = held_.front();
    if (m.err) {
      handle_message_error(m);
      held_.pop();
      continue;
    }
    if (!take(m)) {
      if (!ready_) {
        wait_for_room(source_.options_.batch_bytes);  // no memory for a new batch
      }
      continue;
    }
    held_.pop();
    pause_policy_.progressed();
    if (paused_ && !ready_ && held_.empty()) {
      resume();
    }
  }
  return stop();
}

Status KafkaSource::Consumer::stop() {
  // Fetch nothing more; what librdkafka returned but no batch holds is read again next time.
  pause(true);
  held_.clear();
  // A batch already read is still delivered if the pipeline takes it (emitting works while
  // stopping; only new batches are refused).
  if (open_ != nullptr && !ready_) {
    open_->update_lease();
    ready_ = true;
  }
  while (ready_ && !ctx_.aborted() && !offer_ready()) {
    ctx_.wait_for_room(0, kPausedPoll);
    if (rd_kafka_message_t* m = poll(0)) {
      rd_kafka_message_destroy(m);
    }
  }
  drop_open();
  // Every emitted batch ends acknowledged or abandoned; after an abort they die without a word
  // reaching the sinks, so the wait ends there too. Polling keeps the group membership alive.
  while (!in_flight_.empty() && !ctx_.aborted()) {
    settle(std::chrono::milliseconds(50));
    if (rd_kafka_message_t* m = poll(0)) {
      rd_kafka_message_destroy(m);
    }
  }
  settle(std::chrono::milliseconds(0));
  store_offsets(true);
  closing_ = true;
  if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_); err) {
    log_warning(describe() + ": leaving the group: " + err_text(err));
  }
  return Status();
}

KafkaSource::KafkaSource(KafkaSourceOptions options)
    : options_(std::move(options)), inbox_(std::make_shared<AckInbox>()) {}

KafkaSource::~KafkaSource() { AckInbox::outlive_batches(inbox_); }

Status KafkaSource::run(SourceContext& ctx) {
  Consumer consumer(*this, ctx);
  if (Status s = consumer.start(); !s.ok()) {
    return s;
  }
  return consumer.run();
}

void KafkaSource::partition_lags(std::vector<PartitionLag>& out) const {
  std::lock_guard lock(lag_mu_);
  out.insert(out.end(), lags_.begin(), lags_.end());
}

}  // namespace sluice
