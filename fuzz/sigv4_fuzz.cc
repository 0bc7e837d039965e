// libFuzzer target: the SigV4 Authorization parser and the server-side verifier (what the
// emulator runs on every request). Input: header lines "Name: value\n", then a blank line, then
// the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/internal.h"

namespace sp = schemaport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)sp::aws::sigv4::ParseAuthorization(in.substr(0, in.find('\n')));

  sp::aws::sigv4::Request request;
  request.method = "POST";
  request.path = "/";
  std::string_view rest = in;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      request.path = std::string(line);  // a line without ':' is the path?query
      const std::size_t q = request.path.find('?');
      if (q != std::string::npos) {
        request.query = request.path.substr(q + 1);
        request.path.resize(q);
      }
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(rest);
  const auto now = sp::ParseAmzDate("20150830T123600Z").value();
  const auto outcome = sp::aws::sigv4::Verify(
      request,
      [](std::string_view id) -> std::optional<sp::Secret> {
        if (id == "AKIDEXAMPLE") return sp::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        return std::nullopt;
      },
      now);
  (void)outcome;
  (void)sp::aws::sigv4::CanonicalQuery(request.query);
  (void)sp::aws::sigv4::CanonicalUri(request.path, true);
  return 0;
}
