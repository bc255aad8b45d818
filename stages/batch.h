// Batch: the only thing that crosses a queue. A batch owns one contiguous text buffer (the input
// bytes a source read, followed by any bytes a parser had to produce, such as unescaped values);
// its events and fields refer to that buffer by offset, so no stage copies event data.
// A batch is owned by exactly one stage at a time (moved through queues) until the route thread
// shares it read-only with the sinks it is routed to (share): each sink gets a DeliveryToken and
// resolves it with an outcome. The batch settles when the last token is released, with the worst
// outcome: only if every sink said delivered or dead-lettered is it acknowledged to its source.
// A batch destroyed before it was shared (dropped from a queue on abort, from the route thread's
// reorder map) or a token destroyed unresolved counts its events as undelivered.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "stages/delivery_token.h"
#include "stages/memory_budget.h"
#include "stages/schema.h"
#include "stages/stage_counters.h"

namespace sluice {

struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
};

struct Field {
  enum Flags : uint8_t {
    kNameInLayout = 1,  // name.off is a column index into Batch::layout->names
    kHidden = 2,        // reachable by slot (a dotted JSON path) but not a top-level field to write
  };
  Span name;   // bytes in Batch::text unless kNameInLayout
  Span value;  // bytes in Batch::text: the original text, or the unescaped copy
  FieldType type = FieldType::kString;
  uint8_t flags = 0;
  union {
    int64_t i;  // kInt, kBool (0/1), kTimestamp (ns since epoch)
    double f;   // kFloat
  } num{0};
};

enum class EventState : uint8_t {
  kFramed,      // raw text known, not parsed yet
  kParsed,      // fields filled
  kParseError,  // Event::error says why; goes to the dead letter or is dropped
  kFiltered,    // failed the pipeline filter
};

struct Event {
  Span raw;                  // the original record text
  Span error;                // kParseError: the reason, in Batch::text
  uint32_t first_field = 0;  // into Batch::fields
  uint32_t field_count = 0;
  uint32_t slot_base = 0;                  // into Batch::slot_fields; Schema::size() entries
  EventState state = EventState::kFramed;  // here, in slot_base's padding: 40 bytes, not 48
  uint64_t position = 0;  // 1-based line number of the record's first line (files, stdin)
};
static_assert(sizeof(Event) == 40, "every framed line writes one Event; keep it small");

// Column names of a stream whose fields are fixed: CSV (header or `columns`), regex groups, none.
// Built once per stream (for CSV headers) or once at load, shared by every batch of the stream.
struct Layout {
  std::vector<std::string> names;
  std::vector<FieldType> column_types;  // declared type per column
  std::vector<int32_t> slot_to_column;  // per schema slot: the column, or -1
};

class BatchRecycler;
class LatencyHistogram;

class Batch {
 public:
  Batch() = default;
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  ~Batch();

  // The text buffer: input bytes first, then parser output. Offsets into it stay valid when it
  // grows; pointers and string_views do not, so take views only after parsing is done.
  std::string text;
  std::vector<Event> events;
  std::vector<Field> fields;
  std::vector<int32_t> slot_fields;           // per event, per slot: index into `fields`, or -1
  std::shared_ptr<const Layout> layout;       // null for formats with per-event keys (json)
  std::shared_ptr<const std::string> source;  // file path, "stdin", "generate", ...
  // Set by a source whose events in one batch come from different senders (UDP): each event's
  // `position` then says where in `text` its origin is (origin_position), and its `_source` is
  // that text alone ("udp:127.0.0.1:5514") instead of `source:position`.
  bool position_is_origin = false;
  static uint64_t origin_position(Span origin) { return (uint64_t{origin.off} << 32) | origin.len; }
  static Span origin(const Event& e) {
    return Span{static_cast<uint32_t>(e.position >> 32), static_cast<uint32_t>(e.position)};
  }
  uint64_t sequence = 0;  // per pipeline, from ingest: restores order after parallel parse
  std::chrono::steady_clock::time_point created = std::chrono::steady_clock::now();

  // Set by the router: for each route target of the pipeline, the events it receives.
  std::vector<std::vector<uint32_t>> targets;
  // Set after routing: per target, its events already encoded for the target's sink, so a sink
  // thread only writes bytes and encoding runs in parallel on the pipeline's workers.
  struct Output {
    std::string bytes;
    // Instead of `bytes`, when the encoding equals input text as it stands (raw lines): the
    // ranges of `text` to write, so passthrough output is never copied.
    std::vector<Span> text_ranges;
    // Per event written, in order: where its message ends (exclusive, its line end included),
    // counted in `bytes`, or else in the text ranges laid end to end. Event i's message is
    // [ends[i - 1], ends[i]), from 0 for the first: the boundaries a sink that sends one message
    // per event (Kafka) needs.
    std::vector<uint32_t> ends;
    // Per event, only when the sink names a `key` field: that field's bytes in `text`, or kNoKey
    // when the event has none.
    std::vector<Span> keys;
    static constexpr Span kNoKey{UINT32_MAX, 0};
    // Only for a csv sink with `header: true` but no `columns`: the header line this batch's
    // data names, for a new output that starts with this batch. Written here by the worker,
    // because the parsed fields that name it are gone by the time the sink writes.
    std::string header;

    // Its buffers, listed once, as Batch::buffers() lists the batch's.
    auto buffers() { return std::tie(bytes, text_ranges, ends, keys, header); }
    // Empties the output, keeping its buffers' capacity for the next batch.
    void clear() {
      std::apply([](auto&... buffer) { (buffer.clear(), ...); }, buffers());
    }
  };
  std::vector<Output> encoded;

  // Acknowledgement: told once, when the batch settles as delivered (see Acknowledger). With
  // `output_lengths`, each sink that writes it to a file also reports the file's length after
  // it (Acknowledger::output_written): delivery: exactly_once records those with the positions.
  void set_ack(Acknowledger* target, uint64_t cookie, bool output_lengths = false) {
    ack_target_ = target;
    ack_cookie_ = cookie;
    wants_output_lengths_ = output_lengths;
  }
  bool wants_output_lengths() const { return wants_output_lengths_; }
  // Sink thread: the length of target `target`'s file right after this batch's bytes.
  void report_output_length(uint32_t target, uint64_t length) const {
    if (ack_target_ != nullptr) {
      ack_target_->output_written(ack_cookie_, target, length);
    }
  }

  // Delivery accounting. `pending` is how many of the events still wait for an outcome: all of
  // them when the source emits the batch; after routing, those routed to a sink or the dead
  // letter (the others were filtered or dropped, and counted there). Whatever is pending when the
  // batch settles undelivered, or dies unshared, is counted in `outcomes->undelivered`.
  std::shared_ptr<DeliveryCounters> outcomes;
  uint32_t pending = 0;
  uint32_t routed = 0;        // of `pending`: events routed to ordinary sinks
  uint32_t dead_letters = 0;  // of `pending`: parse errors routed to the dead letter
  // Where ingest-to-acknowledgement latency is recorded, for the pending events, when the batch
  // settles delivered (on the thread of the last resolve(), not in a destructor).
  std::shared_ptr<LatencyHistogram> latency;

  // Route thread: hands the batch to `sinks` sinks, one token each; the batch lives until every
  // token is released. With none (everything filtered or dropped), the batch settles at once as
  // delivered, on this thread, and is destroyed.
  static std::vector<DeliveryToken> share(std::unique_ptr<Batch> batch, uint32_t sinks);
  // True once every share was released and the outcome counted (and acknowledged).
  bool settled() const { return settled_.load(std::memory_order_acquire); }

  // Where the buffers go when the batch is destroyed, for the pipeline's next batch.
  std::shared_ptr<BatchRecycler> recycler;

  // Memory accounting: the bytes this batch holds against the process budget.
  MemoryLease lease;
  // Re-measures what the batch holds and adjusts its lease (never blocks).
  void update_lease();
  // Every buffer whose capacity outlives the events in it, listed once: update_lease measures
  // them and BatchRecycler pools them, so a buffer added here is counted and reused alike.
  auto buffers() { return std::tie(text, events, fields, slot_fields, targets, encoded); }
  size_t bytes() const { return lease.bytes(); }

  std::string_view str(Span s) const { return std::string_view(text).substr(s.off, s.len); }
  // Appends bytes to the text buffer and returns where they are.
  Span append(std::string_view bytes);

  // The field in `slot` of event `e`, or nullptr when the event has none.
  const Field* field(const Event& e, Slot slot) const {
    int32_t index = slot_fields[e.slot_base + slot];
    return index < 0 ? nullptr : &fields[static_cast<size_t>(index)];
  }
  std::string_view field_name(const Field& f) const {
    return (f.flags & Field::kNameInLayout) ? std::string_view(layout->names[f.name.off])
                                            : str(f.name);
  }
  // Writes `_source` of `e` (e.g. "/var/log/a.csv:17") to out.
  void append_source(const Event& e, std::string& out) const;

 private:
  friend class DeliveryToken;
  // Sink threads, concurrently, once per token: the last release settles the batch.
  void release_share(DeliveryOutcome outcome);
  void settle(DeliveryOutcome worst);

  Acknowledger* ack_target_ = nullptr;
  uint64_t ack_cookie_ = 0;
  bool wants_output_lengths_ = false;
  std::atomic<uint32_t> unreleased_shares_{0};
  std::atomic<uint8_t> outcomes_seen_{0};  // bit (1 << outcome) for each outcome reported
  std::atomic<bool> settled_{false};
  // Events some sink dead-lettered while delivering the rest of its share (counted exactly);
  // 0 when a sink dead-lettered its whole share.
  std::atomic<uint32_t> sink_dead_letters_{0};
};

using BatchPtr = std::unique_ptr<Batch>;

}  // namespace sluice
