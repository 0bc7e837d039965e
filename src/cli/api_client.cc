#include "cli/api_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace schemaport::cli {

namespace fs = std::filesystem;

namespace {

// The detail of the Status for a request that got no reply at all.
constexpr char kNoReply[] = "no reply from the server";

std::string Get(const Environment& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

ConfigSchema CliConfigSchema() {
  ConfigSchema s;
  s.String("server", "", "the schemaport server's URL, e.g. https://127.0.0.1:8443")
      .SecretKey("token", "API token (SCHEMAPORT_TOKEN)")
      .String("token_id", "", "id of the token `schemaport login` created")
      .String("ca_file", "", "PEM file to verify the server's certificate against");
  return s;
}

Code CodeFromName(std::string_view name) {
  static const std::pair<std::string_view, Code> kCodes[] = {
      {"invalid_argument", Code::kInvalidArgument},
      {"not_found", Code::kNotFound},
      {"already_exists", Code::kAlreadyExists},
      {"unauthenticated", Code::kUnauthenticated},
      {"permission_denied", Code::kPermissionDenied},
      {"failed_precondition", Code::kFailedPrecondition},
      {"resource_exhausted", Code::kResourceExhausted},
      {"unavailable", Code::kUnavailable},
      {"timeout", Code::kTimeout},
      {"cancelled", Code::kCancelled},
      {"data_loss", Code::kDataLoss},
      {"payload_too_large", Code::kInvalidArgument}};
  for (const auto& [n, c] : kCodes) {
    if (n == name) return c;
  }
  return Code::kInternal;
}

Code CodeFromHttpStatus(int status) {
  switch (status) {
    case 400: return Code::kInvalidArgument;
    case 401: return Code::kUnauthenticated;
    case 403: return Code::kPermissionDenied;
    case 404: return Code::kNotFound;
    case 409: return Code::kFailedPrecondition;
    case 429: return Code::kResourceExhausted;
    case 503: return Code::kUnavailable;
    case 504: return Code::kTimeout;
    default: return Code::kInternal;
  }
}

}  // namespace

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return kExitOk;
    case Code::kUnauthenticated:
    case Code::kPermissionDenied: return kExitAuth;
    case Code::kUnavailable: return status.detail() == kNoReply ? kExitUnavailable : kExitFailure;
    default: return kExitFailure;
  }
}

std::string DefaultCliConfigPath(const Environment& env) {
  if (std::string p = Get(env, "SCHEMAPORT_CLI_CONFIG"); !p.empty()) return p;
  if (std::string x = Get(env, "XDG_CONFIG_HOME"); !x.empty()) return x + "/schemaport/cli.toml";
  if (std::string h = Get(env, "HOME"); !h.empty()) return h + "/.config/schemaport/cli.toml";
  return ".schemaport-cli.toml";
}

Result<ClientSettings> ResolveClientSettings(const std::string& server_flag,
                                             const std::string& ca_flag, const Environment& env) {
  ClientSettings s;
  s.config_path = DefaultCliConfigPath(env);
  std::error_code ec;
  const bool have_file = fs::exists(s.config_path, ec);
  // SCHEMAPORT_SERVER, SCHEMAPORT_TOKEN and SCHEMAPORT_CA_FILE override the file's keys.
  Environment overrides;
  for (const char* name : {"SCHEMAPORT_SERVER", "SCHEMAPORT_TOKEN", "SCHEMAPORT_CA_FILE"}) {
    if (auto it = env.find(name); it != env.end() && !it->second.empty())
      overrides.emplace(name, it->second);
  }
  Config config = SP_TRY(LoadConfig(have_file ? s.config_path : "", CliConfigSchema(), overrides));
  s.server = server_flag.empty() ? config.GetString("server") : server_flag;
  s.token = config.GetSecret("token");
  s.token_id = config.GetString("token_id");
  s.ca_file = ca_flag.empty() ? config.GetString("ca_file") : ca_flag;
  while (!s.server.empty() && s.server.back() == '/') s.server.pop_back();
  if (s.server.empty()) {
    return InvalidArgument(
        "no server: pass --server https://HOST:PORT, set SCHEMAPORT_SERVER, or run "
        "`schemaport login --server URL`");
  }
  if (s.server.rfind("https://", 0) != 0 && s.server.rfind("http://", 0) != 0) {
    return InvalidArgument("--server: '" + s.server + "' is not an https:// URL");
  }
  if (!s.ca_file.empty() && !fs::exists(s.ca_file, ec)) {
    return InvalidArgument("--ca-file: " + s.ca_file + " does not exist");
  }
  return s;
}

Status SaveClientSettings(const ClientSettings& settings) {
  const fs::path path = settings.config_path;
  auto quote = [](const std::string& v) {
    std::string q = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  std::string text =
      "# schemaport CLI settings, written by `schemaport login` (holds an API token: keep it "
      "0600)\n";
  text += "server = " + quote(settings.server) + "\n";
  if (!settings.token.empty()) text += "token = " + quote(settings.token.Reveal()) + "\n";
  if (!settings.token_id.empty()) text += "token_id = " + quote(settings.token_id) + "\n";
  if (!settings.ca_file.empty())
    text += "ca_file = " + quote(fs::absolute(settings.ca_file).string()) + "\n";
  return WritePrivateFile(path, text);
}

Status WritePrivateFile(const std::filesystem::path& path, std::string_view text) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return FailedPrecondition("cannot write " + tmp + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) return FailedPrecondition("cannot write " + path.string());
  return Status::Ok();
}

std::string PathSegment(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::unique_ptr<ApiClient>> ApiClient::Create(ClientSettings settings) {
  aws::CurlHttpClient::Options http;
  http.ca_bundle = settings.ca_file;
  http.connect_timeout = std::chrono::seconds(10);
  http.total_timeout = std::chrono::seconds(120);
  auto client = SP_TRY(aws::CurlHttpClient::Create(http));
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(settings), std::move(client)));
}

Result<nlohmann::json> ApiClient::Call(std::string_view method, std::string_view path,
                                       const nlohmann::json& body) {
  const std::string text = SP_TRY(Send(method, path, body, "application/json"));
  if (text.empty()) return nlohmann::json(nullptr);
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Internal("the server sent a reply that is not JSON");
  return parsed;
}

Result<std::string> ApiClient::Download(std::string_view path) {
  return Send("GET", path, nullptr, "*/*");
}

Result<std::string> ApiClient::Send(std::string_view method, std::string_view path,
                                    const nlohmann::json& body, std::string_view accept) {
  aws::HttpRequest req;
  req.method = std::string(method);
  req.url = settings_.server + std::string(path);
  req.headers.emplace_back("Accept", std::string(accept));
  req.headers.emplace_back("User-Agent", "schemaport-cli/0.1.0");
  if (!settings_.token.empty()) {
    req.headers.emplace_back("Authorization", "Bearer " + settings_.token.Reveal());
  } else if (!cookie_.empty()) {
    req.headers.emplace_back("Cookie", cookie_);
    if (method != "GET") req.headers.emplace_back("X-CSRF-Token", csrf_);
  }
  if (!body.is_null()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body.dump();
  }
  auto reply = http_->Send(req);
  if (!reply.ok()) {
    const Status& st = reply.status();
    if (st.code() == Code::kFailedPrecondition) {
      return Unavailable("cannot verify the TLS certificate of " + settings_.server +
                             ": pass the server's certificate with --ca-file (the demo's is "
                             "<data-dir>/server/tls/cert.pem)",
                         kNoReply);
    }
    return Unavailable("cannot reach the schemaport server at " + settings_.server + " (" +
                           st.message() + "): is it running? check --server or SCHEMAPORT_SERVER",
                       kNoReply);
  }
  const int status = reply->status;
  if (status / 100 == 2) {
    if (auto cookie = reply->Header("Set-Cookie"); cookie)
      cookie_ = cookie->substr(0, cookie->find(';'));
    return std::move(reply->body);
  }
  nlohmann::json parsed = nullptr;
  if (!reply->body.empty()) {
    parsed = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) parsed = nullptr;
  }
  Code code = CodeFromHttpStatus(status);
  std::string message = "the server answered HTTP " + std::to_string(status);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const auto& e = parsed["error"];
    if (e.contains("code") && e["code"].is_string())
      code = CodeFromName(e["code"].get<std::string>());
    if (e.contains("message") && e["message"].is_string())
      message = e["message"].get<std::string>();
  }
  if (code == Code::kUnauthenticated && settings_.token.empty() && cookie_.empty()) {
    message += " (no API token: set SCHEMAPORT_TOKEN or run `schemaport login`)";
  } else if (code == Code::kUnauthenticated) {
    message += " (the API token is wrong, expired or revoked: create a new one)";
  }
  return Status(code, message);
}

Status ApiClient::Login(std::string_view email, const Secret& password) {
  const Secret token = std::move(settings_.token);
  settings_.token = Secret();
  auto reply =
      Call("POST", "/api/v1/auth/login", {{"email", email}, {"password", password.Reveal()}});
  if (!reply.ok()) {
    settings_.token = token;
    return reply.status();
  }
  csrf_ = reply->value("csrf_token", "");
  if (cookie_.empty()) return Internal("the server's login reply set no session cookie");
  return Status::Ok();
}

}  // namespace schemaport::cli
