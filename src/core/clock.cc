#include <ctime>
#include <thread>

#include "core/core.h"

namespace schemaport {

void SystemClock::SleepFor(std::chrono::nanoseconds d) {
  if (d > std::chrono::nanoseconds::zero()) std::this_thread::sleep_for(d);
}

FakeClock::FakeClock(TimePoint start) : now_(start) {}

Clock::TimePoint FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

std::chrono::steady_clock::time_point FakeClock::Monotonic() const {
  std::lock_guard lock(mu_);
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(elapsed_));
}

void FakeClock::SleepFor(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  sleeps_.push_back(d);
  if (d > std::chrono::nanoseconds::zero()) {
    now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    elapsed_ += d;
  }
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  elapsed_ += d;
}

void FakeClock::Set(TimePoint t) {
  std::lock_guard lock(mu_);
  now_ = t;
}

std::vector<std::chrono::nanoseconds> FakeClock::sleeps() const {
  std::lock_guard lock(mu_);
  return sleeps_;
}

namespace {
std::tm ToUtc(Clock::TimePoint t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}
}  // namespace

std::string FormatAmzDate(Clock::TimePoint t) {
  const std::tm tm = ToUtc(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string FormatIso8601(Clock::TimePoint t) {
  const std::tm tm = ToUtc(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<Clock::TimePoint> ParseAmzDate(std::string_view d) {
  // 20150830T123600Z -> 2015-08-30T12:36:00Z
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  for (std::size_t i = 0; i < 15; ++i) {
    if (i != 8 && (d[i] < '0' || d[i] > '9')) return std::nullopt;
  }
  std::string iso;
  iso.reserve(20);
  iso.append(d.substr(0, 4)).append("-").append(d.substr(4, 2)).append("-");
  iso.append(d.substr(6, 2)).append("T").append(d.substr(9, 2)).append(":");
  iso.append(d.substr(11, 2)).append(":").append(d.substr(13, 2)).append("Z");
  auto t = ParseIso8601(iso);
  if (!t.ok()) return std::nullopt;
  return *t;
}

Result<Clock::TimePoint> ParseIso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]
  auto bad = [&] {
    return InvalidArgument("not an ISO-8601 timestamp: '" + std::string(text) + "'");
  };
  if (text.size() < 19) return bad();
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || text[4] != '-' || !num(5, 2, mo) || text[7] != '-' || !num(8, 2, d) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !num(11, 2, h) ||
      text[13] != ':' || !num(14, 2, mi) || text[16] != ':' || !num(17, 2, s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  // TimePoint counts nanoseconds in 64 bits: years past 2261 (or before the epoch, which no AWS
  // time is) would overflow it. Found by the sigv4 fuzzer.
  if (y < 1970 || y > 2261) return bad();
  std::size_t pos = 19;
  std::chrono::nanoseconds frac{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      frac += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  int offset_minutes = 0;
  if (pos < text.size()) {
    if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
      pos++;
    } else if ((text[pos] == '+' || text[pos] == '-') && pos + 6 == text.size() &&
               text[pos + 3] == ':') {
      int oh, om;
      if (!num(pos + 1, 2, oh) || !num(pos + 4, 2, om)) return bad();
      offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return bad();
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return bad();
  auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
            std::chrono::seconds(s) - std::chrono::minutes(offset_minutes);
  return Clock::TimePoint(
      std::chrono::duration_cast<Clock::TimePoint::duration>(tp.time_since_epoch() + frac));
}

}  // namespace schemaport
