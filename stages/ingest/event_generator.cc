#include "stages/ingest/event_generator.h"

#include <array>
#include <charconv>

namespace sluice {
namespace {

constexpr std::array<std::string_view, 4> kMethods = {"GET", "POST", "PUT", "DELETE"};
constexpr std::array<std::string_view, 6> kAgents = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_5) Safari/605.1.15",
    "curl/7.88.1",
    "Go-http-client/1.1",
    "kube-probe/1.27",
    "Mozilla/5.0 (compatible; bot, +https://example.com/bot)",  // a comma: quoted in CSV
};
constexpr std::array<std::string_view, 3> kMonths = {"Jan", "Feb", "Mar"};

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  out.append(buf, end);
}

// Zero-padded to `width` digits (v must fit); hand-rolled because snprintf dominated the cost.
void append_padded(std::string& out, uint64_t v, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

}  // namespace

bool EventGenerator::parse_format(std::string_view name, Format& out) {
  if (name == "csv") {
    out = Format::kCsv;
  } else if (name == "text") {
    out = Format::kText;
  } else if (name == "json") {
    out = Format::kJson;
  } else {
    return false;
  }
  return true;
}

EventGenerator::EventGenerator(Format format, uint64_t seed)
    : format_(format), state_(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {}

uint64_t EventGenerator::next_random() {
  // splitmix64: fast, good enough for synthetic data, identical everywhere.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void EventGenerator::append_event(std::string& out) {
  uint64_t r = next_random();
  uint64_t i = index_++;
  // Time advances 1 ms per event from 2026-01-01T00:00:00.000Z (90 days fit 7.7e9 events).
  uint64_t ms = i % (90ull * 86400 * 1000);
  uint64_t day = ms / 86400000, hour = ms / 3600000 % 24, minute = ms / 60000 % 60,
           second = ms / 1000 % 60, milli = ms % 1000;
  uint64_t month = day / 31 < 3 ? day / 31 : 2;
  uint64_t mday = day - month * 31 + 1;

  uint64_t host = r % 20 + 1;
  std::string_view method = kMethods[(r >> 8) % 10 < 7 ? 0 : ((r >> 8) % 3) + 1];
  uint64_t status_pick = (r >> 16) % 1000;
  uint64_t status = status_pick < 20    ? 500 + status_pick % 4  // 2% 5xx
                    : status_pick < 60  ? 404
                    : status_pick < 100 ? 304
                    : status_pick < 150 ? 201
                                        : 200;
  uint64_t bytes = (r >> 26) % 50000;
  uint64_t latency_tenths = (r >> 42) % 20000;
  std::string_view agent = kAgents[(r >> 56) % kAgents.size()];
  uint64_t path_pick = (r >> 36) % 8;
  uint64_t id = (r >> 20) % 100000;

  auto append_path = [&](std::string& o) {
    switch (path_pick) {
      case 0:
      case 1:
        o += "/api/v1/orders/";
        append_uint(o, id);
        break;
      case 2:
        o += "/api/v2/orders";
        break;
      case 3:
        o += "/api/v1/users/";
        append_uint(o, id);
        break;
      case 4:
        o += "/static/app.";
        append_uint(o, id % 97);
        o += ".js";
        break;
      case 5:
        o += "/health";
        break;
      default:
        o += "/index.html";
        break;
    }
  };
  auto append_ts = [&](std::string& o) {
    o += "2026-";
    append_padded(o, month + 1, 2);
    o += '-';
    append_padded(o, mday, 2);
    o += 'T';
    append_padded(o, hour, 2);
    o += ':';
    append_padded(o, minute, 2);
    o += ':';
    append_padded(o, second, 2);
    o += '.';
    append_padded(o, milli, 3);
    o += 'Z';
  };
  auto append_latency = [&](std::string& o) {
    append_uint(o, latency_tenths / 10);
    o += '.';
    append_uint(o, latency_tenths % 10);
  };

  switch (format_) {
    case Format::kCsv:
      append_ts(out);
      out += ",web-";
      append_padded(out, host, 2);
      out += ',';
      out += method;
      out += ',';
      append_path(out);
      out += ',';
      append_uint(out, status);
      out += ',';
      append_uint(out, bytes);
      out += ',';
      append_latency(out);
      out += ',';
      if (agent.find(',') != std::string_view::npos) {
        out += '"';
        out += agent;
        out += '"';
      } else {
        out += agent;
      }
      out += '\n';
      break;
    case Format::kText:
      // nginx "combined": addr - user [time_local] "request" status bytes "referer" "agent"
      out += "10.0.";
      append_uint(out, host);
      out += '.';
      append_uint(out, id % 250 + 1);
      out += " - - [";
      append_padded(out, mday, 2);
      out += '/';
      out += kMonths[month];
      out += "/2026:";
      append_padded(out, hour, 2);
      out += ':';
      append_padded(out, minute, 2);
      out += ':';
      append_padded(out, second, 2);
      out += " +0000] \"";
      out += method;
      out += ' ';
      append_path(out);
      out += " HTTP/1.1\" ";
      append_uint(out, status);
      out += ' ';
      append_uint(out, bytes);
      out += " \"-\" \"";
      out += agent;
      out += "\"\n";
      break;
    case Format::kJson:
      out += "{\"ts\":\"";
      append_ts(out);
      out += "\",\"host\":\"web-";
      append_padded(out, host, 2);
      out += "\",\"method\":\"";
      out += method;
      out += "\",\"path\":\"";
      append_path(out);
      out += "\",\"status\":";
      append_uint(out, status);
      out += ",\"bytes\":";
      append_uint(out, bytes);
      out += ",\"latency_ms\":";
      append_latency(out);
      out += ",\"agent\":\"";
      out += agent;
      out += "\"}\n";
      break;
  }
}

}  // namespace sluice
