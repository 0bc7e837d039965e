// Internal to src/server: the route table of the REST API and the JSON views of the service's
// values. Handlers parse and check the request, call service::Service and shape its answer;
// they hold no business logic.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "service/service.h"

namespace schemaport::server::internal {

// What a handler answers (errors are the Status of its Result).
struct Reply {
  int status = 200;
  std::string body;  // JSON text, or empty (204)
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// One request, as the handler sees it.
struct Call {
  std::string_view method;
  std::string_view body;
  std::vector<std::string> params;  // path parameters, in template order
  const std::multimap<std::string, std::string>* query = nullptr;
  std::optional<service::Principal> who;  // set on authenticated routes
  const Secret* session_token = nullptr;  // set when authenticated by the cookie
  std::string address;                    // the client's address
};

enum class Access {
  kPublic,         // no authentication
  kAuthenticated,  // a session cookie (+ CSRF header on state-changing methods) or a Bearer token
};

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/connections/{id}"; also the metrics label
  Access access = Access::kAuthenticated;
  std::size_t max_body_bytes = 0;  // 0: the server's default
  std::function<Result<Reply>(Call&)> handler;
  std::vector<std::string> segments;  // the pattern split at '/', filled by the router
};

// Cookie attributes of the session cookie `sp_session`.
inline constexpr std::string_view kSessionCookie = "sp_session";
std::string SessionCookie(const Secret& token, std::chrono::seconds max_age);
std::string ClearSessionCookie();

// Every route of the API (docs/api/openapi.yaml), except /metrics and static assets.
std::vector<Route> ApiRoutes(service::Service& service, const Clock& clock);

// One saved table with its columns, as the API answers it: SavedTableDetailJson is the value;
// SavedTableDetailBody writes the same text directly (JsonText: the API's most frequent read),
// or Dump(SavedTableDetailJson) when a string is not plain ASCII.
nlohmann::json SavedTableDetailJson(const service::SavedTableDetail& d);
std::string SavedTableDetailBody(const service::SavedTableDetail& d);

// An error body {"error":{"code","message","request_id"}} and its HTTP status.
int HttpStatus(Code code);
std::string ErrorBody(std::string_view code, std::string_view message, std::string_view request_id);

}  // namespace schemaport::server::internal
