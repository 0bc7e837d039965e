// libcurl transport.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "aws/internal.h"

namespace schemaport::aws {
namespace {

// Header lines whose values are credentials.
bool IsSecretHeaderLine(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view name = line.substr(0, colon);
  return EqualsIgnoreCase(name, "authorization") ||
         EqualsIgnoreCase(name, "x-amz-security-token") ||
         EqualsIgnoreCase(name, "proxy-authorization") || EqualsIgnoreCase(name, "cookie");
}

// Replaces X-Amz-Signature and X-Amz-Security-Token values in a request line.
std::string RedactQuery(std::string line) {
  for (std::string_view key : {"X-Amz-Signature=", "X-Amz-Security-Token=", "X-Amz-Credential="}) {
    size_t at = 0;
    while ((at = line.find(key, at)) != std::string::npos) {
      const size_t start = at + key.size();
      size_t end = line.find_first_of("& \r\n", start);
      if (end == std::string::npos) end = line.size();
      line.replace(start, end - start, "***");
      at = start + 3;
    }
  }
  return line;
}

void OnceGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  HttpResponse response;
  std::size_t cap = 0;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->response.body.size() + len > t->cap) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  std::string& body = t->response.body;
  if (body.size() + len > body.capacity()) {
    // Grow by hand so that no buffer is freed with reply bytes in it: a reply may carry a
    // secret (a database password, a session token, a master key).
    std::string bigger;
    bigger.reserve(std::max(body.capacity() * 2, body.size() + len));
    bigger.append(body);
    WipeString(body);
    body.swap(bigger);
  }
  body.append(data, len);
  return len;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (e.g. after 100 Continue)
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return len;
}

int Debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* logger = static_cast<Logger*>(user);
  const char* direction = nullptr;
  switch (type) {
    case CURLINFO_TEXT: direction = "*"; break;
    case CURLINFO_HEADER_IN: direction = "<"; break;
    case CURLINFO_HEADER_OUT: direction = ">"; break;
    default: return 0;  // bodies and TLS data are never logged
  }
  std::string_view text(data, size);
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::string out;
    if (IsSecretHeaderLine(line)) {
      out = std::string(line.substr(0, line.find(':'))) + ": ***";
    } else {
      out = RedactQuery(std::string(line));
    }
    logger->Debug("http", {{"dir", direction}, {"line", out}});
  }
  return 0;
}

Status MapCurlError(CURLcode code, std::string_view host, const char* errbuf) {
  const std::string detail =
      std::string(curl_easy_strerror(code)) + (errbuf[0] ? ": " : "") + errbuf;
  const std::string where = "HTTP request to " + std::string(host);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return Status(Code::kTimeout, where + " timed out", detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return FailedPrecondition(
          where + " failed: the server's TLS certificate could not be verified", detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgument(where + " failed: malformed or unsupported URL", detail);
    default: return Unavailable(where + " failed: " + curl_easy_strerror(code), detail);
  }
}

std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

}  // namespace

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return std::nullopt;
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  return FindHeader(headers, name);
}

struct CurlHttpClient::Handle {
  struct Deleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, Deleter> curl;
};

Result<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(Options options) {
  OnceGlobalInit();
  if (options.max_response_bytes == 0)
    return InvalidArgument("max_response_bytes must be positive");
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(options)));
}

CurlHttpClient::CurlHttpClient(Options options) : options_(std::move(options)) {}
CurlHttpClient::~CurlHttpClient() = default;

std::unique_ptr<CurlHttpClient::Handle> CurlHttpClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl.reset(curl_easy_init());
  return h;
}

void CurlHttpClient::Release(std::unique_ptr<Handle> handle) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < 16) idle_.push_back(std::move(handle));
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  SP_TRY(CheckTransportSecurity(request.url));
  auto handle = Acquire();
  CURL* c = handle->curl.get();
  if (c == nullptr) return Internal("could not create an HTTP handle");
  curl_easy_reset(c);  // keeps the connection cache
  char errbuf[CURL_ERROR_SIZE] = {0};
  Transfer transfer;
  transfer.cap = options_.max_response_bytes;

  struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [k, v] : request.headers) {
    const std::string line = v.empty() ? k + ";" : k + ": " + v;
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return Internal("out of memory building HTTP headers");
    (void)headers.release();
    headers.reset(next);
  }
  for (const char* extra : {"Expect:"}) {
    bool present = false;
    for (const auto& [k, v] : request.headers) {
      present = present || EqualsIgnoreCase(k, std::string_view(extra, std::strlen(extra) - 1));
    }
    if (present) continue;
    curl_slist* next = curl_slist_append(headers.get(), extra);
    if (next == nullptr) return Internal("out of memory building HTTP headers");
    (void)headers.release();
    headers.reset(next);
  }

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "GET" || request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (request.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  if (options_.debug_logger && options_.debug_logger->Enabled(LogLevel::kDebug)) {
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, Debug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, options_.debug_logger.get());
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  }

  const CURLcode rc = curl_easy_perform(c);
  long connects = 0;
  curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
  connections_opened_ += connects;
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  // Do not leave pointers to this stack frame in the pooled handle.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  Release(std::move(handle));

  const std::string host = HostOf(request.url);
  if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return Status(Code::kResourceExhausted,
                  "HTTP response from " + host + " exceeded the limit of " +
                      std::to_string(options_.max_response_bytes) + " bytes");
  }
  if (rc != CURLE_OK) return MapCurlError(rc, host, errbuf);
  transfer.response.status = static_cast<int>(status);
  return std::move(transfer.response);
}

}  // namespace schemaport::aws
