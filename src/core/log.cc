#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/core.h"

namespace schemaport {

Result<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return InvalidArgument("unknown log level '" + std::string(name.substr(0, 32)) +
                         "' (use debug, info, warn or error)");
}

namespace {
const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// spdlog carries the finished JSON line; its pattern adds nothing.
class SpdlogSink final : public LogSink {
 public:
  SpdlogSink()
      : logger_(std::make_shared<spdlog::logger>(
            "schemaport", std::make_shared<spdlog::sinks::stderr_sink_mt>())) {
    logger_->set_pattern("%v");
    logger_->set_level(spdlog::level::trace);
    logger_->flush_on(spdlog::level::trace);
  }
  void Write(std::string_view line) override { logger_->info("{}", line); }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

void Put(nlohmann::json& obj, std::string_view key, const LogValue& v) {
  std::visit([&](const auto& x) { obj[std::string(key)] = x; }, v.value());
}

std::string FormatTimestamp(Clock::TimePoint t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::string s = FormatIso8601(t);
  s.pop_back();  // 'Z'
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03dZ", static_cast<int>(ms));
  return s + buf;
}
}  // namespace

std::shared_ptr<Logger> Logger::Stderr(LogLevel level) {
  auto clock = std::make_shared<SystemClock>();
  return std::shared_ptr<Logger>(
      new Logger(std::make_shared<SpdlogSink>(), level, clock.get(), {}, clock));
}

Logger::Logger(std::shared_ptr<LogSink> sink, LogLevel level, const Clock& clock)
    : Logger(std::move(sink), level, &clock, {}, nullptr) {}

Logger::Logger(std::shared_ptr<LogSink> sink, LogLevel level, const Clock* clock,
               std::vector<std::pair<std::string, LogValue>> context,
               std::shared_ptr<Clock> owned_clock)
    : sink_(std::move(sink)),
      level_(level),
      clock_(clock),
      context_(std::move(context)),
      owned_clock_(std::move(owned_clock)) {}

std::shared_ptr<Logger> Logger::With(std::initializer_list<LogField> context) const {
  auto merged = context_;
  for (const auto& f : context) merged.emplace_back(std::string(f.key), f.value);
  return std::shared_ptr<Logger>(
      new Logger(sink_, level_, clock_, std::move(merged), owned_clock_));
}

void Logger::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = FormatTimestamp(clock_->Now());
  line["level"] = LevelName(level);
  line["msg"] = std::string(msg);
  for (const auto& [k, v] : context_) Put(line, k, v);
  for (const auto& f : fields) Put(line, f.key, f.value);
  // Invalid UTF-8 from a foreign source must not throw: replace it.
  sink_->Write(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void MemoryLogSink::Write(std::string_view json_line) {
  std::lock_guard lock(mu_);
  lines_.emplace_back(json_line);
}

std::vector<std::string> MemoryLogSink::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

}  // namespace schemaport
