// TcpConnection: one connection's records over a real socket pair, written in pieces, framed by
// lines or octet counting, with refusals, oversized records and closes in the middle of a record.
#include "stages/ingest/tcp_connection.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "stages/ingest/octet_counting_framer.h"
#include "tests/stages/ingest/fake_source_context.h"

namespace sluice {
namespace {

using Step = TcpConnection::Step;

// A fake whose parse queue can be made to refuse, and which keeps each event's state and reason.
class QueueContext : public FakeSourceContext {
 public:
  bool try_emit(BatchPtr& batch) override {
    if (queue_full) {
      return false;
    }
    return emit(std::move(batch));
  }
  bool emit(BatchPtr batch) override {
    for (const Event& e : batch->events) {
      errors.push_back(e.state == EventState::kParseError ? std::string(batch->str(e.error)) : "");
    }
    return FakeSourceContext::emit(std::move(batch));
  }
  bool queue_full = false;
  std::vector<std::string> errors;  // per record: its parse error, or empty
};

class TcpConnectionTest : public ::testing::Test {
 protected:
  // A connection reading one end of a fresh socket pair; the test writes the other end.
  TcpConnection& connect(TcpFraming framing, const std::string& peer = "tcp:peer:1") {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    writers_.push_back(fds[1]);
    conns_.push_back(std::make_unique<TcpConnection>(
        fds[0], std::make_shared<const std::string>(peer), framing, make_framer_, options_));
    return *conns_.back();
  }
  void send(size_t which, const std::string& data) {
    ASSERT_EQ(::write(writers_[which], data.data(), data.size()),
              static_cast<ssize_t>(data.size()));
  }
  // Serves until the connection reports the close (a short read returns kDrained first; epoll
  // would report the end of the stream on the next round).
  Step serve_to_close(TcpConnection& conn) {
    Step step = Step::kDrained;
    for (int i = 0; i < 10 && step == Step::kDrained; ++i) {
      step = conn.serve(ctx_, 1 << 20);
    }
    return step;
  }
  void hang_up(size_t which) {
    ::close(writers_[which]);
    writers_[which] = -1;
  }
  void TearDown() override {
    for (int fd : writers_) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }

  ParseOptions parse_;
  Schema schema_;
  StreamReaderOptions options_;
  TcpConnection::FramerFactory make_framer_ = [this](bool octet) -> std::unique_ptr<RecordFramer> {
    if (octet) {
      return std::make_unique<OctetCountingFramer>(parse_, schema_, options_.max_event_bytes);
    }
    return make_framer(parse_, schema_);
  };
  QueueContext ctx_;
  std::vector<int> writers_;
  std::vector<std::unique_ptr<TcpConnection>> conns_;
};

TEST_F(TcpConnectionTest, RecordsSplitAtEveryByteBoundaryComeOutWhole) {
  for (TcpFraming framing : {TcpFraming::kNewline, TcpFraming::kOctetCounting}) {
    const bool octet = framing == TcpFraming::kOctetCounting;
    const std::string input = octet ? "3 one3 two11 three\nthree" : "one\ntwo\nthree\r\nthree\n";
    const std::vector<std::string> want =
        octet ? std::vector<std::string>{"one", "two", "three\nthree"}
              : std::vector<std::string>{"one", "two", "three", "three"};
    for (size_t cut = 0; cut <= input.size(); ++cut) {
      ctx_.records.clear();
      TcpConnection& conn = connect(framing);
      send(writers_.size() - 1, input.substr(0, cut));
      EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
      send(writers_.size() - 1, input.substr(cut));
      EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
      hang_up(writers_.size() - 1);
      EXPECT_EQ(serve_to_close(conn), Step::kClosed);
      EXPECT_EQ(ctx_.texts_of("tcp:peer:1"), want) << "cut at " << cut;
      EXPECT_EQ(conn.torn_records(), 0u);
    }
  }
}

TEST_F(TcpConnectionTest, PartialLinesOfTwoConnectionsAreNeverMixed) {
  TcpConnection& a = connect(TcpFraming::kNewline, "tcp:a:1");
  TcpConnection& b = connect(TcpFraming::kNewline, "tcp:b:2");
  send(0, "hello wo");
  send(1, "foo b");
  EXPECT_EQ(a.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(b.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(a.unframed_bytes(), 8u);
  send(1, "ar\n");
  send(0, "rld\n");
  EXPECT_EQ(b.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(a.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(ctx_.texts_of("tcp:a:1"), std::vector<std::string>{"hello world"});
  EXPECT_EQ(ctx_.texts_of("tcp:b:2"), std::vector<std::string>{"foo bar"});
  EXPECT_EQ(ctx_.records[0].line, 1u);  // `_source` is tcp:b:2:1
}

TEST_F(TcpConnectionTest, AutoFramingDecidesFromTheFirstBytes) {
  TcpConnection& octet = connect(TcpFraming::kAuto, "tcp:o:1");
  TcpConnection& lines = connect(TcpFraming::kAuto, "tcp:l:1");
  send(0, "1");  // too few bytes to tell
  EXPECT_EQ(octet.serve(ctx_, 1 << 20), Step::kDrained);
  send(0, "1 <13>a\nb c d3 xyz");
  send(1, "2024-01-01 up\n3 lines\n");
  EXPECT_EQ(octet.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(lines.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(ctx_.texts_of("tcp:o:1"), (std::vector<std::string>{"<13>a\nb c d", "xyz"}));
  EXPECT_EQ(ctx_.texts_of("tcp:l:1"), (std::vector<std::string>{"2024-01-01 up", "3 lines"}));
}

TEST_F(TcpConnectionTest, CloseInTheMiddleOfARecordDeliversNoFragmentAsAnEvent) {
  TcpConnection& conn = connect(TcpFraming::kNewline);
  send(0, "whole\nhalf a li");
  hang_up(0);
  EXPECT_EQ(serve_to_close(conn), Step::kClosed);
  ASSERT_EQ(ctx_.records.size(), 2u);
  EXPECT_EQ(ctx_.records[0].text, "whole");
  EXPECT_EQ(ctx_.errors[0], "");
  EXPECT_EQ(ctx_.records[1].text, "half a li");
  EXPECT_EQ(ctx_.records[1].line, 2u);
  EXPECT_EQ(ctx_.errors[1],
            "connection closed in the middle of a record (9 bytes); the fragment is not an event");
  EXPECT_EQ(conn.torn_records(), 1u);
}

TEST_F(TcpConnectionTest, OctetFrameCutShortByACloseIsAParseError) {
  TcpConnection& conn = connect(TcpFraming::kOctetCounting);
  send(0, "5 hello20 only part");
  hang_up(0);
  EXPECT_EQ(serve_to_close(conn), Step::kClosed);
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"), (std::vector<std::string>{"hello", "20 only part"}));
  EXPECT_EQ(ctx_.errors[0], "");
  EXPECT_NE(ctx_.errors[1].find("connection closed in the middle"), std::string::npos);
}

TEST_F(TcpConnectionTest, OversizedLineIsCutAndTheConnectionGoesOn) {
  options_.max_event_bytes = 4096;
  TcpConnection& conn = connect(TcpFraming::kNewline);
  const std::string huge(20000, 'x');
  send(0, "before\n" + huge + "\nafter\n");
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"),
            (std::vector<std::string>{"before", std::string(1024, 'x'), "after"}));
  EXPECT_EQ(ctx_.errors[1], "record longer than max_event_bytes (4096 bytes); truncated");
  EXPECT_EQ(ctx_.records[2].line, 3u);
}

TEST_F(TcpConnectionTest, OversizedLineSentInPiecesIsCutOnce) {
  options_.max_event_bytes = 4096;
  TcpConnection& conn = connect(TcpFraming::kNewline);
  for (int i = 0; i < 10; ++i) {
    send(0, std::string(3000, 'y'));
    EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  }
  send(0, "\nnext\n");
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"),
            (std::vector<std::string>{std::string(1024, 'y'), "next"}));
}

TEST_F(TcpConnectionTest, LineOfExactlyMaxEventBytesSentInPiecesIsDeliveredWhole) {
  options_.max_event_bytes = 4096;
  TcpConnection& conn = connect(TcpFraming::kNewline);
  std::string line;
  for (size_t i = 0; i < 4096; ++i) {
    line.push_back(static_cast<char>('a' + i % 26));
  }
  for (size_t at = 0; at < line.size(); at += 100) {
    send(0, line.substr(at, 100));
    EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  }
  send(0, "\nnext\n");
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"), (std::vector<std::string>{line, "next"}));
  EXPECT_EQ(ctx_.errors, (std::vector<std::string>{"", ""}));
}

TEST_F(TcpConnectionTest, LongLineSplitAcrossManyReadsComesOutWholeAndInOrder) {
  // 300 KB in 1000-byte reads: the scan resumes where the last read stopped (and across the
  // batches the partial line is carried through); the line still comes out whole, in order.
  TcpConnection& conn = connect(TcpFraming::kNewline);
  std::string line;
  for (size_t i = 0; i < 300000; ++i) {
    line.push_back(static_cast<char>('0' + i % 10));
  }
  const std::string input = "first\n" + line + "\r\nlast\n";
  for (size_t at = 0; at < input.size(); at += 1000) {
    send(0, input.substr(at, 1000));
    EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  }
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"), (std::vector<std::string>{"first", line, "last"}));
  EXPECT_EQ(ctx_.records[2].line, 3u);
  EXPECT_EQ(conn.unframed_bytes(), 0u);
}

TEST_F(TcpConnectionTest, OversizedLineInPiecesThenANormalLineSplitAtItsStart) {
  options_.max_event_bytes = 4096;
  TcpConnection& conn = connect(TcpFraming::kNewline);
  for (int i = 0; i < 12; ++i) {
    send(0, std::string(500, 'z'));
    EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  }
  send(0, "\nok");
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  send(0, "ay\n");
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kDrained);
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"),
            (std::vector<std::string>{std::string(1024, 'z'), "okay"}));
  EXPECT_EQ(ctx_.errors[0], "record longer than max_event_bytes (4096 bytes); truncated");
  EXPECT_EQ(ctx_.errors[1], "");
  EXPECT_EQ(ctx_.records[1].line, 2u);
}

TEST_F(TcpConnectionTest, RefusedBatchWaitsAndGoesFirst) {
  TcpConnection& conn = connect(TcpFraming::kNewline);
  send(0, "1\n2\n");
  ctx_.queue_full = true;
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kRefused);
  send(0, "3\n");
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kRefused);  // still full: nothing more is read
  EXPECT_TRUE(ctx_.records.empty());
  ctx_.queue_full = false;
  hang_up(0);
  EXPECT_EQ(serve_to_close(conn), Step::kClosed);
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(TcpConnectionTest, NoBudgetMeansNothingIsRead) {
  QueueContext& ctx = ctx_;
  TcpConnection& conn = connect(TcpFraming::kNewline);
  send(0, "a\n");
  MemoryLease hog(&ctx.budget, ctx.budget.limit());  // the whole budget is taken
  ctx.budget.add(ctx.budget.limit());
  EXPECT_EQ(conn.serve(ctx, 1 << 20), Step::kRefused);
  EXPECT_TRUE(ctx.records.empty());
  hog.reset();
  EXPECT_EQ(conn.serve(ctx, 1 << 20), Step::kDrained);
  EXPECT_EQ(ctx.texts_of("tcp:peer:1"), std::vector<std::string>{"a"});
}

TEST_F(TcpConnectionTest, FinishHandsOnTheRefusedBatchAndDropsTheIncompleteRecord) {
  TcpConnection& conn = connect(TcpFraming::kNewline);
  send(0, "done\npart");
  ctx_.queue_full = true;
  EXPECT_EQ(conn.serve(ctx_, 1 << 20), Step::kRefused);
  EXPECT_EQ(conn.finish(ctx_), 4u);
  EXPECT_EQ(ctx_.texts_of("tcp:peer:1"), std::vector<std::string>{"done"});
}

}  // namespace
}  // namespace sluice
