#include "stages/ingest/udp_source.h"

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "stages/log.h"
#include "stages/socket_address.h"

namespace sluice {
namespace {

constexpr size_t kMessages = 32;      // datagrams per recvmmsg call
constexpr size_t kSlotBytes = 65536;  // the largest UDP payload (65507 bytes over IPv4) fits
// Room a datagram needs in a batch besides its bytes: its sender's name and the texts a framer
// or the length check may append (an unterminated quote, an oversized line).
constexpr size_t kDatagramOverhead = 256;
// How long the source sleeps in poll or in wait_for_room before it looks at stopping() again.
constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kDropLogInterval = std::chrono::seconds(10);

struct alignas(cmsghdr) Control {
  char bytes[CMSG_SPACE(sizeof(uint32_t))];
};

constexpr std::array<DropReason, 1> kUdpLostReasons{DropReason::kUdpOverflow};

}  // namespace

std::span<const DropReason> UdpSource::lost_reasons() const { return kUdpLostReasons; }

struct UdpSource::Slots {
  std::vector<char> bytes = std::vector<char>(kMessages * kSlotBytes);
  std::array<mmsghdr, kMessages> headers{};
  std::array<iovec, kMessages> iov{};
  std::array<sockaddr_storage, kMessages> peers{};
  std::array<Control, kMessages> control{};
  size_t count = 0;  // datagrams the last call received
  size_t next = 0;   // the first of them not yet in a batch
  const char* data(size_t i) const { return bytes.data() + i * kSlotBytes; }
};

UdpSource::UdpSource(UdpSourceOptions options, std::unique_ptr<RecordFramer> framer)
    : options_(std::move(options)),
      framer_(std::move(framer)),
      slots_(std::make_unique<Slots>()),
      name_(std::make_shared<const std::string>("udp:" + options_.listen)),
      oversized_reason_("record longer than max_event_bytes (" +
                        std::to_string(options_.max_event_bytes) + " bytes); truncated") {}

UdpSource::~UdpSource() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Status UdpSource::open() {
  if (fd_ >= 0) {
    return Status();
  }
  auto addresses = resolve_host_port(options_.listen, SOCK_DGRAM, /*passive=*/true);
  if (!addresses.ok()) {
    return Status::error(describe() + ": " + addresses.status().message());
  }
  std::string error;
  for (const SocketAddress& address : addresses.value()) {
    int fd = ::socket(address.storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    if (options_.receive_buffer) {
      const int size = static_cast<int>(std::min<uint64_t>(*options_.receive_buffer, INT32_MAX));
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    if (::bind(fd, address.get(), address.length) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    fd_ = fd;
    return Status();
  }
  return Status::error(describe() + ": cannot listen: " + error);
}

std::string UdpSource::local_address() const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  std::string out;
  if (fd_ >= 0 && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    append_address(reinterpret_cast<const sockaddr*>(&address), out);
  }
  return out;
}

size_t UdpSource::receive() {
  Slots& s = *slots_;
  for (size_t i = 0; i < kMessages; ++i) {
    s.iov[i] = iovec{s.bytes.data() + i * kSlotBytes, kSlotBytes};
    msghdr& h = s.headers[i].msg_hdr;
    h.msg_name = &s.peers[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &s.iov[i];
    h.msg_iovlen = 1;
    h.msg_control = s.control[i].bytes;
    h.msg_controllen = sizeof(s.control[i].bytes);
    h.msg_flags = 0;
    s.headers[i].msg_len = 0;
  }
  const int n = ::recvmmsg(fd_, s.headers.data(), kMessages, MSG_DONTWAIT, nullptr);
  s.next = 0;
  s.count = n > 0 ? static_cast<size_t>(n) : 0;
  for (size_t i = 0; i < s.count; ++i) {
    msghdr& h = s.headers[i].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t counter = 0;
        std::memcpy(&counter, CMSG_DATA(c), sizeof(counter));
        note_overflow(counter);
      }
    }
  }
  return s.count;
}

void UdpSource::note_overflow(uint32_t counter) {
  // The kernel's count of drops on this socket so far (SO_RXQ_OVFL: as of when the datagram was
  // queued); it only grows (modulo 2^32), so what is new is the difference to the last seen.
  const uint32_t delta = counter - overflow_seen_;
  if (delta != 0 && delta < (1u << 31)) {
    overflow_seen_ = counter;
    kernel_drops_.fetch_add(delta, std::memory_order_relaxed);
  }
}

void UdpSource::poll_overflow() {
  // The same counter read directly (SO_MEMINFO): drops after the last datagram queued come with
  // no later datagram to carry them, so while the source does not read it asks.
  uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t length = sizeof(meminfo);
  if (::getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, meminfo, &length) == 0 &&
      length > SK_MEMINFO_DROPS * sizeof(uint32_t)) {
    note_overflow(meminfo[SK_MEMINFO_DROPS]);
  }
}

void UdpSource::report_drops(SourceContext& ctx, bool force) {
  const uint64_t drops = kernel_drops_.load(std::memory_order_relaxed);
  if (drops > drops_counted_) {
    ctx.count_lost(DropReason::kUdpOverflow, drops - drops_counted_);
    drops_counted_ = drops;
  }
  const auto now = std::chrono::steady_clock::now();
  if (drops > drops_logged_ && (force || now >= next_drop_log_)) {
    log_warning(describe() + ": " + std::to_string(drops - drops_logged_) +
                " datagram(s) dropped because the socket buffer was full (" +
                std::to_string(drops) +
                " in all; the pipeline is slower than the senders, or receive_buffer is too "
                "small for their bursts)");
    drops_logged_ = drops;
    next_drop_log_ = now + kDropLogInterval;
  }
}

bool UdpSource::take(size_t i) {
  Slots& s = *slots_;
  const size_t len = s.headers[i].msg_len;
  if (len == 0) {
    return true;  // an empty datagram holds no event
  }
  Batch& batch = *batch_;
  if (batch.text.size() + len + kDatagramOverhead > options_.batch_bytes) {
    return false;
  }
  const socklen_t peer_length = s.headers[i].msg_hdr.msg_namelen;
  if (origin_.len == 0 || peer_length != last_peer_length_ ||
      std::memcmp(&s.peers[i], &last_peer_, peer_length) != 0) {
    scratch_.assign("udp:");
    append_address(reinterpret_cast<const sockaddr*>(&s.peers[i]), scratch_);
    origin_ = batch.append(scratch_);
    std::memcpy(&last_peer_, &s.peers[i], peer_length);
    last_peer_length_ = peer_length;
  }
  const size_t begin = batch.append(std::string_view(s.data(i), len)).off;
  const size_t first = batch.events.size();
  framer_->frame(batch, begin, begin + len, /*at_eof=*/true);
  const uint64_t origin = Batch::origin_position(origin_);
  Span reason{};  // appended once per datagram that needs it
  for (size_t e = first; e < batch.events.size(); ++e) {
    Event& event = batch.events[e];
    event.position = origin;
    if (event.raw.len > options_.max_event_bytes && event.state != EventState::kParseError) {
      if (reason.len == 0) {
        reason = batch.append(oversized_reason_);
      }
      event.raw.len = static_cast<uint32_t>(kRejectedRawPrefix);
      event.state = EventState::kParseError;
      event.error = reason;
    }
  }
  return true;
}

bool UdpSource::offer(SourceContext& ctx) {
  if (batch_ == nullptr || batch_->events.empty()) {
    return true;
  }
  batch_->update_lease();
  if (!ctx.try_emit(batch_)) {
    return false;
  }
  batch_.reset();
  return true;
}

Status UdpSource::run(SourceContext& ctx) {
  if (Status s = open(); !s.ok()) {
    return s;
  }
  Slots& s = *slots_;
  while (!ctx.stopping()) {
    report_drops(ctx, false);
    if (s.next == s.count && receive() == 0) {
      // The socket is empty: hand on what was read, then wait for more.
      if (batch_ != nullptr && !batch_->events.empty()) {
        if (!offer(ctx)) {
          ctx.wait_for_room(0, kPoll);
          // Drops after the last datagram read show in no datagram's SO_RXQ_OVFL while the
          // socket stays empty: asked here, or a stalled pipeline would hide them until stop.
          poll_overflow();
        }
        continue;
      }
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(kPoll.count()));
      poll_overflow();
      continue;
    }
    if (batch_ == nullptr) {
      batch_ = ctx.try_new_batch(options_.batch_bytes);
      if (batch_ == nullptr) {
        // No memory for a batch: stop reading; the socket buffer takes what it can.
        ctx.wait_for_room(options_.batch_bytes, kPoll);
        poll_overflow();
        continue;
      }
      batch_->source = name_;
      batch_->position_is_origin = true;
      origin_ = Span{};
    }
    while (s.next < s.count && take(s.next)) {
      ++s.next;
    }
    if (s.next < s.count && !offer(ctx)) {
      // The batch is full and the pipeline refuses it: UDP cannot push back, so the source
      // stops reading until there is room, and what the socket buffer cannot hold is dropped.
      ctx.wait_for_room(0, kPoll);
      poll_overflow();
    }
  }
  // What was read is delivered (emitting still works while stopping).
  if (batch_ != nullptr && !batch_->events.empty()) {
    batch_->update_lease();
    ctx.emit(std::move(batch_));
  }
  batch_.reset();
  // Datagrams staged or still in the socket buffer will not be read: counted with the kernel's
  // drops, so that every datagram that reached the socket is in the books.
  uint64_t unread = 0;
  for (size_t i = s.next; i < s.count; ++i) {
    unread += s.headers[i].msg_len > 0 ? 1 : 0;
  }
  s.next = s.count;
  for (int calls = 0; calls < 4096 && receive() > 0; ++calls) {
    for (size_t i = 0; i < s.count; ++i) {
      unread += s.headers[i].msg_len > 0 ? 1 : 0;
    }
  }
  poll_overflow();
  if (unread > 0) {
    log_warning(describe() + ": " + std::to_string(unread) +
                " datagram(s) were still in the socket buffer at stop and are not read; counted "
                "as dropped (udp_overflow)");
    kernel_drops_.fetch_add(unread, std::memory_order_relaxed);
    drops_logged_ += unread;
  }
  report_drops(ctx, true);
  return Status();
}

}  // namespace sluice
