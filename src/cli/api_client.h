// The CLI's client of schemaport's REST API (docs/api/openapi.yaml): JSON over HTTPS with an API
// token (`Authorization: Bearer`), or a session cookie plus CSRF token for `login`.
//
// Errors: the server's {"error":{"code","message"}} become a Status with the matching code
// (unauthenticated, permission_denied, not_found, ...) and the server's message; no reply at all
// (refused, timed out, TLS verification failed) is kUnavailable naming the server URL and how to
// fix it. No message ever holds the token.
//
// Thread safety: an ApiClient may be used from one thread at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "aws/aws.h"
#include "core/core.h"

namespace schemaport::cli {

// Exit codes of every CLI command (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the server or the warehouse said no, a job failed
inline constexpr int kExitUsage = 2;        // bad arguments or settings: nothing was sent
inline constexpr int kExitAuth = 3;         // no token, a wrong or expired token, not allowed
inline constexpr int kExitUnavailable = 4;  // the server could not be reached
int ExitCodeFor(const Status& status);

// Where the CLI finds its server and token: flags, then SCHEMAPORT_SERVER / SCHEMAPORT_TOKEN /
// SCHEMAPORT_CA_FILE, then the CLI config file (SCHEMAPORT_CLI_CONFIG, else
// $XDG_CONFIG_HOME/schemaport/cli.toml, else ~/.config/schemaport/cli.toml) with the keys
// `server`, `token`, `token_id` and `ca_file`.
struct ClientSettings {
  std::string server;    // "https://host:port" (no trailing slash)
  Secret token;          // API token; may be empty for `login`
  std::string token_id;  // the token's id when `login` made it (for `logout`)
  std::string ca_file;   // PEM; empty: the system store
  std::string config_path;
};
std::string DefaultCliConfigPath(const Environment& env);
// `server_flag` and `ca_flag` win when non-empty. kInvalidArgument for a bad config file or a
// missing/invalid server URL.
Result<ClientSettings> ResolveClientSettings(const std::string& server_flag,
                                             const std::string& ca_flag, const Environment& env);
// Writes server, token, token_id and ca_file to settings.config_path (mode 0600, atomically).
Status SaveClientSettings(const ClientSettings& settings);
// Writes `text` to `path` (mode 0600, atomically: a temporary file renamed), creating parents.
Status WritePrivateFile(const std::filesystem::path& path, std::string_view text);

class ApiClient {
 public:
  static Result<std::unique_ptr<ApiClient>> Create(ClientSettings settings);

  // `path` starts with "/" ("/api/v1/connections"). `body` is sent as JSON when not null.
  // Returns the parsed reply (null for 204). Non-2xx replies are errors (see above).
  Result<nlohmann::json> Call(std::string_view method, std::string_view path,
                              const nlohmann::json& body = nullptr);
  Result<nlohmann::json> Get(std::string_view path) { return Call("GET", path); }
  // A GET whose reply is bytes of any type (exports); errors as for Call.
  Result<std::string> Download(std::string_view path);

  // Session login (for `schemaport login`): afterwards, calls carry the cookie and CSRF token.
  Status Login(std::string_view email, const Secret& password);

  const ClientSettings& settings() const { return settings_; }

 private:
  // One request; the reply's body on a 2xx, else the error it carries.
  Result<std::string> Send(std::string_view method, std::string_view path,
                           const nlohmann::json& body, std::string_view accept);
  ApiClient(ClientSettings settings, std::unique_ptr<aws::HttpClient> http)
      : settings_(std::move(settings)), http_(std::move(http)) {}
  ClientSettings settings_;
  std::unique_ptr<aws::HttpClient> http_;
  std::string cookie_;
  std::string csrf_;
};

// Percent-encodes one path segment (ids are opaque).
std::string PathSegment(std::string_view text);

}  // namespace schemaport::cli
