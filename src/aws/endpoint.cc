// Endpoint resolution from the region and the AWS_ENDPOINT_URL* server settings.
#include <cctype>

#include "aws/internal.h"

namespace schemaport::aws {
namespace {

constexpr std::string_view kEndpointPrefix = "AWS_ENDPOINT_URL_";

Result<Endpoint> ParseEndpointUrl(std::string_view url) {
  const auto bad = [&] {
    return InvalidArgument("AWS endpoint URL must be https://host[:port][/path]");
  };
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return bad();
  }
  if (rest.find_first_of("?#@ \t\r\n") != std::string_view::npos) return bad();
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) return bad();
  if (const size_t colon = authority.rfind(':');
      colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      return bad();
    }
  }
  if (!path.ends_with('/')) path += '/';
  SP_TRY(CheckTransportSecurity(url));
  Endpoint e;
  e.url = std::string(url.substr(0, url.find("://") + 3)) + std::string(authority);
  e.host = std::string(authority);
  e.path = path;
  return e;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.starts_with('[')) {  // "[::1]" or "[::1]:port"
    const size_t close = host.find(']');
    return close != std::string_view::npos && host.substr(1, close - 1) == "::1";
  }
  host = host.substr(0, host.find(':'));
  if (EqualsIgnoreCase(host, "localhost")) return true;
  // 127.0.0.0/8, dotted quad only (no shorthand such as "127.1").
  int parts = 0;
  std::string_view rest = host;
  while (true) {
    const size_t dot = rest.find('.');
    const std::string_view part = rest.substr(0, dot);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    int value = 0;
    for (char c : part) value = value * 10 + (c - '0');
    if (value > 255) return false;
    if (parts == 0 && part != "127") return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  return parts == 4;
}

Status CheckTransportSecurity(std::string_view url) {
  if (url.starts_with("https://")) return Status();
  if (url.starts_with("http://")) {
    std::string_view authority = url.substr(7);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (authority.find('@') == std::string_view::npos && IsLoopbackHost(authority)) {
      return Status();
    }
    return InvalidArgument(
        "refusing plain http:// for AWS endpoint " + std::string(authority.substr(0, 100)) +
        ": credentials and secrets would travel in clear; use https:// (http:// is accepted only "
        "for a loopback host such as 127.0.0.1 or localhost, e.g. the local emulator)");
  }
  return InvalidArgument("AWS endpoint URL must be https://host[:port][/path]");
}

EndpointSettings EndpointSettings::FromEnvironment(const Environment& env) {
  EndpointSettings s;
  for (const auto& [key, value] : env) {
    if (value.empty()) continue;
    if (key == "AWS_ENDPOINT_URL")
      s.endpoint_url = value;
    else if (key == "AWS_CA_BUNDLE")
      s.ca_bundle = value;
    else if (key.starts_with(kEndpointPrefix))
      s.service_urls[key.substr(kEndpointPrefix.size())] = value;
  }
  return s;
}

bool IsValidRegion(std::string_view region) {
  // <2-4 letters>(-<letters>)+-<1-2 digits>: us-east-1, us-gov-west-1, eusc-de-east-1.
  size_t i = 0;
  while (i < region.size() && std::islower(static_cast<unsigned char>(region[i]))) ++i;
  if (i < 2 || i > 4) return false;
  int words = 0;
  while (i < region.size() && region[i] == '-') {
    size_t j = i + 1;
    while (j < region.size() && std::islower(static_cast<unsigned char>(region[j]))) ++j;
    if (j == i + 1) break;
    ++words;
    i = j;
  }
  if (words < 1 || i >= region.size() || region[i] != '-') return false;
  ++i;
  const size_t digits_start = i;
  while (i < region.size() && std::isdigit(static_cast<unsigned char>(region[i]))) ++i;
  return i == region.size() && i - digits_start >= 1 && i - digits_start <= 2;
}

std::string ServiceEndpointKey(std::string_view service_id) {
  std::string out;
  for (char c : service_id) {
    out +=
        c == ' ' || c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<Endpoint> ResolveEndpoint(const EndpointSettings& settings, const ServiceMetadata& service,
                                 std::string_view region) {
  if (!IsValidRegion(region)) {
    return InvalidArgument("invalid AWS region \"" + std::string(region.substr(0, 40)) +
                           "\" (expected e.g. us-east-1)");
  }
  const auto specific = settings.service_urls.find(ServiceEndpointKey(service.service_id));
  if (specific != settings.service_urls.end()) return ParseEndpointUrl(specific->second);
  if (!settings.endpoint_url.empty()) return ParseEndpointUrl(settings.endpoint_url);
  const std::string suffix = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return ParseEndpointUrl("https://" + service.endpoint_prefix + "." + std::string(region) + "." +
                          suffix);
}

}  // namespace schemaport::aws
