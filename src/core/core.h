// schemaport core: the vocabulary every other subsystem speaks.
//
//   Status / Result<T>  errors as values, with a user-safe message and an internal detail
//   SP_TRY              the one propagation macro
//   Secret              a string that prints, formats and logs as "***"
//   Clock               system and fake time, injected through constructors
//   Random              seeded (tests, jitter) and system (ids, keys) randomness
//   NewId               random URL-safe identifiers of 128 bits
//   Config              TOML file + SCHEMAPORT_* environment overrides, validated at load
//   Logger              JSON lines with a request/job id field; Secrets never reach a line
//
// Nothing here throws across this header: functions that can fail return Status or Result<T>.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace schemaport {

// ---------------------------------------------------------------------------------------------
// Status and Result
// ---------------------------------------------------------------------------------------------

// The small set of error kinds every adapter maps its foreign errors onto, once.
enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong; retrying the same input fails again
  kNotFound,
  kAlreadyExists,
  kUnauthenticated,     // credentials missing, unknown or expired
  kPermissionDenied,    // authenticated, but not allowed (IAM action, GRANT)
  kFailedPrecondition,  // the system is not in a state that allows this (e.g. schema too new)
  kResourceExhausted,   // quota or rate exceeded; retrying later may work
  kUnavailable,         // transient: network, 5xx, throttling after retries
  kTimeout,
  kCancelled,
  kDataLoss,  // integrity failure: tampered or corrupt data
  kInternal,  // a bug or an unexpected state
};

// Stable lower_snake name of a code, as used in API error bodies ("invalid_argument").
std::string_view CodeName(Code code);

// A Status is OK or an error with:
//   message: safe to show a user (never a secret, key, DSN or raw foreign error text with secrets);
//   detail:  internal context for logs (still never a secret).
// Thread safety: a Status is a value; distinct objects may be used from distinct threads.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string detail = {})
      : code_(code), message_(std::move(message)), detail_(std::move(detail)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& detail() const { return detail_; }

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

  // "invalid_argument: message" (detail excluded: ToString is user-safe).
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }
  friend std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.ToString(); }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string detail_;
};

inline Status InvalidArgument(std::string message, std::string detail = {}) {
  return Status(Code::kInvalidArgument, std::move(message), std::move(detail));
}
inline Status NotFound(std::string message, std::string detail = {}) {
  return Status(Code::kNotFound, std::move(message), std::move(detail));
}
inline Status Internal(std::string message, std::string detail = {}) {
  return Status(Code::kInternal, std::move(message), std::move(detail));
}
inline Status Unavailable(std::string message, std::string detail = {}) {
  return Status(Code::kUnavailable, std::move(message), std::move(detail));
}
inline Status PermissionDenied(std::string message, std::string detail = {}) {
  return Status(Code::kPermissionDenied, std::move(message), std::move(detail));
}
inline Status Unauthenticated(std::string message, std::string detail = {}) {
  return Status(Code::kUnauthenticated, std::move(message), std::move(detail));
}
inline Status FailedPrecondition(std::string message, std::string detail = {}) {
  return Status(Code::kFailedPrecondition, std::move(message), std::move(detail));
}
inline Status DataLoss(std::string message, std::string detail = {}) {
  return Status(Code::kDataLoss, std::move(message), std::move(detail));
}

// Result<T> holds either a T or a non-OK Status.
// REQUIRES: value() only when ok(); constructing from an OK Status is a bug and becomes kInternal.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "use Status for Result<void>");

 public:
  Result(const T& value) : v_(value) {}        // NOLINT(google-explicit-constructor)
  Result(T&& value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, Result<T>>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)                                 // NOLINT(google-explicit-constructor)
      : v_(status.ok() ? Status(Code::kInternal, "internal error", "Result built from OK status")
                       : std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const& {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  Status status() && { return ok() ? Status() : std::get<Status>(std::move(v_)); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline Status TakeStatus(Status&& s) {
  return std::move(s);
}
template <typename T>
Status TakeStatus(Result<T>&& r) {
  return std::move(r).status();
}
inline void TakeValue(Status&&) {}
template <typename T>
T TakeValue(Result<T>&& r) {
  return std::move(r).value();
}
}  // namespace internal

}  // namespace schemaport

// SP_TRY(expr): evaluates expr (a Status or Result<T>); on error returns its Status from the
// enclosing function (which returns Status or Result<U>); otherwise yields the value (or void).
//   auto rows = SP_TRY(client.Fetch(id));
//   SP_TRY(store.Put(row));
#define SP_TRY(expr) SP_TRY_IMPL_(expr, SP_TRY_CONCAT_(sp_try_result_, __COUNTER__))
#define SP_TRY_CONCAT_INNER_(a, b) a##b
#define SP_TRY_CONCAT_(a, b) SP_TRY_CONCAT_INNER_(a, b)
// A unique variable per expansion, so SP_TRY may nest (a lambda using SP_TRY inside SP_TRY).
#define SP_TRY_IMPL_(expr, var)                                  \
  __extension__({                                                \
    auto&& var = (expr);                                         \
    if (!var.ok()) {                                             \
      return ::schemaport::internal::TakeStatus(std::move(var)); \
    }                                                            \
    ::schemaport::internal::TakeValue(std::move(var));           \
  })

namespace schemaport {

// ---------------------------------------------------------------------------------------------
// Secret
// ---------------------------------------------------------------------------------------------

// A credential or key. Every printed, streamed, formatted or logged form is "***"; there is no
// implicit conversion to a string. Reading the value is explicit (Reveal), and so is comparing it
// (Equals, in constant time). The destructor wipes the buffer.
// Thread safety: a value type; const methods may be called concurrently.
class Secret {
 public:
  Secret() = default;
  // Takes the bytes of `value` and wipes what the move leaves behind in it (a short string's
  // bytes stay in its inline buffer after a move).
  explicit Secret(std::string&& value);
  explicit Secret(std::string_view value) : value_(value) {}
  explicit Secret(const char* value) : value_(value) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret& other);  // wipes the old value first
  Secret(Secret&& other) noexcept;         // the moved-from Secret is empty and wiped
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool Equals(const Secret& other) const;  // constant time in the length of the longer value

  static constexpr std::string_view kRedacted = "***";

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << kRedacted; }
  bool operator==(const Secret&) const = delete;  // use Equals

 private:
  std::string value_;
};

// Overwrites every byte `text` owns (its whole capacity, the inline buffer of a short string
// included) with zeros, then clears it. For plain strings that briefly held secret material
// (a reply body, a serialised request); Secret does this on every path itself.
void WipeString(std::string& text) noexcept;

static_assert(!std::is_convertible_v<Secret, std::string_view>);
static_assert(!std::is_convertible_v<Secret, std::string>);

// ---------------------------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------------------------

// Time source, injected wherever time matters. Thread safety: implementations are thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;  // wall time (signing, expiry, timestamps)
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;  // durations, deadlines
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::nanoseconds d) override;
};

// A clock that only moves when told to. SleepFor advances it instead of sleeping, and records
// the requested durations so tests can check backoff without waiting.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'600'000'000)));
  TimePoint Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  void SleepFor(std::chrono::nanoseconds d) override;
  void Advance(std::chrono::nanoseconds d);
  void Set(TimePoint t);
  std::vector<std::chrono::nanoseconds> sleeps() const;

 private:
  mutable std::mutex mu_;
  TimePoint now_;
  std::chrono::nanoseconds elapsed_{0};
  std::vector<std::chrono::nanoseconds> sleeps_;
};

// Formats as ISO-8601 basic UTC, e.g. "20150830T123600Z" (SigV4) or extended
// "2015-08-30T12:36:00Z" (Iso8601).
std::string FormatAmzDate(Clock::TimePoint t);
std::string FormatIso8601(Clock::TimePoint t);
// Parses the SigV4 form "20150830T123600Z" (exactly 16 characters, a valid UTC date and time).
std::optional<Clock::TimePoint> ParseAmzDate(std::string_view text);
// Parses "2015-08-30T12:36:00Z" (optionally with fractional seconds or an offset).
Result<Clock::TimePoint> ParseIso8601(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Random and ids
// ---------------------------------------------------------------------------------------------

// Thread safety: implementations are thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<std::uint8_t> out) = 0;
  std::uint64_t NextU64();
  // Uniform in [0, bound); REQUIRES: bound > 0.
  std::uint64_t Uniform(std::uint64_t bound);
  // Uniform in [0.0, 1.0).
  double NextDouble();
};

// Deterministic, for tests and for jitter that must be reproducible from a seed.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed);
  void Fill(std::span<std::uint8_t> out) override;

 private:
  std::mutex mu_;
  std::uint64_t state_;
};

// The operating system's cryptographic generator (OpenSSL RAND_bytes). For ids, keys, nonces.
class SystemRandom final : public Random {
 public:
  void Fill(std::span<std::uint8_t> out) override;
};

// A random identifier: 16 bytes (128 bits) as 22 characters of unpadded base64url, never
// starting with '-' or '_' (so it never reads as an option on a command line).
std::string NewId(Random& random);

// base64url without padding, and standard base64 with padding.
std::string Base64UrlEncode(std::span<const std::uint8_t> bytes);
std::string Base64Encode(std::span<const std::uint8_t> bytes);
Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text);
std::string HexEncode(std::span<const std::uint8_t> bytes);

// ---------------------------------------------------------------------------------------------
// Process hardening
// ---------------------------------------------------------------------------------------------

// Makes this process undumpable (prctl PR_SET_DUMPABLE 0: no core file, no ptrace attach by
// other processes of the same user, /proc/<pid>/mem closed) and sets RLIMIT_CORE to 0. Every
// binary that holds secrets calls it first thing in main(). Fails only if the kernel refuses.
Status DisableCoreDumps();

// An owned file descriptor (closed on destruction). Copy deleted.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// The one way a file that holds secrets (master keys, the store) is opened: open(2) with
// `flags | O_NOFOLLOW | O_CLOEXEC` (a symbolic link is refused), then fstat on the opened fd
// (never a path checked earlier): it must be a regular file without any group or other access,
// else kFailedPrecondition naming `what`, the path, the mode and the chmod that fixes it.
// `create_mode` applies when flags hold O_CREAT. kNotFound when the file does not exist.
Result<UniqueFd> OpenOwnerOnlyFile(const std::string& path, int flags, const char* what,
                                   unsigned create_mode = 0600);

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

// Glob match of the whole `text`: '*' is any run of characters (none included), '?' is one.
enum class MatchCase { kExact, kIgnoreAscii };
bool GlobMatch(std::string_view pattern, std::string_view text,
               MatchCase match_case = MatchCase::kExact);

// The one way text from outside (network replies, warehouse output, form fields) becomes a
// number: std::from_chars over the whole text, nullopt when anything is left over, the text is
// empty or the value does not fit. Never throws. ParseDouble also refuses NaN and infinities.
std::optional<std::int64_t> ParseInt64(std::string_view text);
std::optional<std::uint64_t> ParseUint64(std::string_view text);
std::optional<double> ParseDouble(std::string_view text);

// ASCII case-insensitive equality (HTTP header names, AWS codes).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// "name" with embedded double quotes doubled: the one way an identifier is written into SQL.
std::string QuoteSqlIdentifier(std::string_view name);

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

// A typed, validated configuration schema. Each key is dotted ("server.listen"); in the TOML
// file it is a table path, in the environment it is SCHEMAPORT_ + the key upper-cased with dots
// and dashes as underscores ("SCHEMAPORT_SERVER_LISTEN"). Environment values win over the file.
//
// Loading fails with kInvalidArgument on: a TOML syntax error, an unknown key, a value of the
// wrong type, a value out of range or not among the allowed choices, and an invalid environment
// value. The message names the file, line and key ("config.toml:12: server.port: ...") or the
// environment variable. Values of keys declared secret are never echoed in messages.
class ConfigSchema {
 public:
  enum class Type { kString, kInt, kBool, kSecret };
  struct Key {
    std::string name;
    Type type = Type::kString;
    std::string help;
    std::optional<std::int64_t> min, max;  // kInt only
    std::vector<std::string> choices;      // kString only; empty means any
    std::string default_value;             // textual; empty means unset
  };

  ConfigSchema& String(std::string name, std::string default_value, std::string help,
                       std::vector<std::string> choices = {});
  ConfigSchema& Int(std::string name, std::int64_t default_value, std::int64_t min,
                    std::int64_t max, std::string help);
  ConfigSchema& Bool(std::string name, bool default_value, std::string help);
  ConfigSchema& SecretKey(std::string name, std::string help);

  const std::vector<Key>& keys() const { return keys_; }
  const Key* Find(std::string_view name) const;

 private:
  std::vector<Key> keys_;
};

// Loaded, validated values. Accessors REQUIRE the key to be declared with that type in the schema.
// Thread safety: immutable after load; safe to share.
class Config {
 public:
  std::string GetString(std::string_view key) const;
  std::int64_t GetInt(std::string_view key) const;
  bool GetBool(std::string_view key) const;
  Secret GetSecret(std::string_view key) const;
  bool IsSet(std::string_view key) const;  // set by file or environment (not only default)
  // Where a key's value came from: "default", "<file>:<line>", or "env SCHEMAPORT_...".
  std::string Origin(std::string_view key) const;

 private:
  friend class ConfigLoader;
  struct Value {
    std::variant<std::string, std::int64_t, bool> v;
    std::string origin;
    bool explicitly_set = false;
  };
  std::map<std::string, Value, std::less<>> values_;
};

using Environment = std::map<std::string, std::string, std::less<>>;

// The process environment as a map (for injecting into LoadConfig; tests pass their own).
Environment ProcessEnvironment();

// Loads `path` (may be empty: defaults and environment only) against `schema`.
Result<Config> LoadConfig(const std::string& path, const ConfigSchema& schema,
                          const Environment& env);
// Same, from TOML text; `source_name` is used in messages in place of a file name.
Result<Config> LoadConfigFromString(std::string_view toml, std::string_view source_name,
                                    const ConfigSchema& schema, const Environment& env);

// ---------------------------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------------------------

enum class LogLevel { kDebug, kInfo, kWarn, kError };
Result<LogLevel> ParseLogLevel(std::string_view name);

// A structured field value. Secrets may be passed and are written as "***".
class LogValue {
 public:
  LogValue(std::string_view s) : v_(std::string(s)) {}             // NOLINT
  LogValue(const std::string& s) : v_(s) {}                        // NOLINT
  LogValue(const char* s) : v_(std::string(s)) {}                  // NOLINT
  LogValue(std::int64_t i) : v_(i) {}                              // NOLINT
  LogValue(int i) : v_(static_cast<std::int64_t>(i)) {}            // NOLINT
  LogValue(std::uint64_t i) : v_(static_cast<std::int64_t>(i)) {}  // NOLINT
  LogValue(double d) : v_(d) {}                                    // NOLINT
  LogValue(bool b) : v_(b) {}                                      // NOLINT
  LogValue(const Secret&) : v_(std::string(Secret::kRedacted)) {}  // NOLINT
  LogValue(const Status& s) : v_(s.ToString()) {}                  // NOLINT

  const std::variant<std::string, std::int64_t, double, bool>& value() const { return v_; }

 private:
  std::variant<std::string, std::int64_t, double, bool> v_;
};

struct LogField {
  std::string_view key;
  LogValue value;
};

// Where log lines go. The default writes to stderr; tests capture lines in memory.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(std::string_view json_line) = 0;
};

// Writes one JSON object per line:
//   {"ts":"2026-11-28T23:15:17.123Z","level":"info","msg":"...","request_id":"...", ...fields}
// Context fields (request_id, job_id) are carried by child loggers made with With().
// Guard: Secret has no string conversion, formats as "***" through fmt, and LogValue(Secret)
// writes "***"; so a Secret can only reach a line as "***".
// Thread safety: all methods are thread-safe; child loggers share the parent's sink.
class Logger {
 public:
  // A logger writing through spdlog to stderr.
  static std::shared_ptr<Logger> Stderr(LogLevel level);
  Logger(std::shared_ptr<LogSink> sink, LogLevel level, const Clock& clock);

  // A child logger with extra context fields on every line, e.g. With({{"job_id", id}}).
  std::shared_ptr<Logger> With(std::initializer_list<LogField> context) const;

  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }
  bool Enabled(LogLevel level) const { return level >= level_; }

 private:
  Logger(std::shared_ptr<LogSink> sink, LogLevel level, const Clock* clock,
         std::vector<std::pair<std::string, LogValue>> context, std::shared_ptr<Clock> owned_clock);
  std::shared_ptr<LogSink> sink_;
  LogLevel level_;
  const Clock* clock_;
  std::vector<std::pair<std::string, LogValue>> context_;
  std::shared_ptr<Clock> owned_clock_;
};

// A sink keeping lines in memory (tests).
class MemoryLogSink final : public LogSink {
 public:
  void Write(std::string_view json_line) override;
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace schemaport

// fmt: a Secret always formats as "***".
template <>
struct fmt::formatter<schemaport::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const schemaport::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(schemaport::Secret::kRedacted, ctx);
  }
};

template <>
struct fmt::formatter<schemaport::Status> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const schemaport::Status& s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(s.ToString(), ctx);
  }
};
