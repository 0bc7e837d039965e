// Cross-check with the official signer: >= 500 seeded random requests signed by our SigV4 and by
// @smithy/signature-v4 (tests/js/sigv4/sign.mjs, run with node) must give identical
// Authorization headers. Needs `npm ci` in tests/js.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aws/internal.h"
#include "support/support.h"

namespace schemaport::aws::sigv4 {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kRequests = 600;

class RequestGenerator {
 public:
  explicit RequestGenerator(std::uint64_t seed) : random_(seed) {}

  size_t Pick(size_t n) { return static_cast<size_t>(random_.Uniform(n)); }
  bool Chance(double p) { return random_.NextDouble() < p; }
  template <typename T>
  const T& OneOf(const std::vector<T>& v) {
    return v[Pick(v.size())];
  }

  // Characters for path segments and query components: unreserved, reserved, space, percent,
  // and multi-byte UTF-8 (2, 3 and 4 bytes).
  std::string Piece(size_t max_len, bool allow_escapes) {
    static const std::vector<std::string> kAtoms = {"a",
                                                    "Z",
                                                    "0",
                                                    "9",
                                                    "-",
                                                    ".",
                                                    "_",
                                                    "~",
                                                    "!",
                                                    "$",
                                                    "&",
                                                    "'",
                                                    "(",
                                                    ")",
                                                    "*",
                                                    "+",
                                                    ",",
                                                    ";",
                                                    "=",
                                                    ":",
                                                    "@",
                                                    " ",
                                                    "%",
                                                    "/",
                                                    "\xC3\xA9",
                                                    "\xE1\x88\xB4",
                                                    "\xF0\x9F\x98\x80",
                                                    "\xC3\xBC",
                                                    "k",
                                                    "e",
                                                    "y",
                                                    "[",
                                                    "]",
                                                    "|",
                                                    "^",
                                                    "\""};
    std::string out;
    const size_t len = Pick(max_len + 1);
    for (size_t i = 0; i < len; ++i) {
      if (allow_escapes && Chance(0.08)) {
        out += OneOf<std::string>({"%20", "%2F", "%E1%88%B4", "%41", "%2b", "%25"});
      } else {
        out += OneOf(kAtoms);
      }
    }
    return out;
  }

  std::string Path() {
    std::string path = "/";
    const size_t segments = Pick(6);
    for (size_t i = 0; i < segments; ++i) {
      if (i) path += "/";
      const double r = random_.NextDouble();
      if (r < 0.08)
        path += ".";
      else if (r < 0.16)
        path += "..";
      else if (r < 0.22)
        path += "";  // empty segment: "//"
      else {
        std::string seg = Piece(8, true);
        std::erase(seg, '/');
        path += seg;
      }
    }
    if (segments > 0 && Chance(0.3)) path += "/";
    return path;
  }

  // Returns the decoded pairs and the raw query string that carries them.
  std::pair<std::vector<std::pair<std::string, std::string>>, std::string> Query() {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::string raw;
    const size_t n = Pick(6);
    for (size_t i = 0; i < n; ++i) {
      std::string key =
          Chance(0.3) && !pairs.empty() ? pairs[Pick(pairs.size())].first : Piece(6, false);
      if (key == "X-Amz-Signature") key = "k";
      const std::string value = Chance(0.2) ? "" : Piece(8, false);
      pairs.emplace_back(key, value);
      if (i > 0) raw += Chance(0.1) ? "&&" : "&";
      raw += EncodeForQuery(key);
      // "key" alone means an empty value; an empty key needs its "=".
      if (key.empty() || !value.empty() || Chance(0.5)) raw += "=" + EncodeForQuery(value);
    }
    return {pairs, raw};
  }

  // Percent-encodes what must be, and randomly some of the rest (raw UTF-8 bytes included).
  std::string EncodeForQuery(const std::string& s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      const bool must = c == '&' || c == '=' || c == '%' || c == '#' || c == '+' || c == ' ';
      if (must || Chance(0.3)) {
        out += '%';
        out += kHex[c >> 4];
        out += Chance(0.5) ? kHex[c & 15] : static_cast<char>(std::tolower(kHex[c & 15]));
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> Headers() {
    std::vector<std::pair<std::string, std::string>> headers = {
        {OneOf<std::string>({"Host", "host", "HOST"}), "example.amazonaws.com"}};
    static const std::vector<std::string> kNames = {
        "Content-Type",    "X-Amz-Target",   "My-Header",       "x-custom",    "X-MiXeD-CaSe",
        "Accept",          "User-Agent",     "X-Amzn-Trace-Id", "Proxy-Thing", "Sec-Fetch-Mode",
        "Expect",          "Content-Length", "X-Amz-Meta-A",    "a",           "Z-Last",
        "x-amz-user-agent"};
    std::vector<std::string> used = {"host"};
    const size_t n = Pick(7);
    for (size_t i = 0; i < n; ++i) {
      const std::string name = OneOf(kNames);
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (std::find(used.begin(), used.end(), lower) != used.end()) continue;
      used.push_back(lower);
      headers.emplace_back(name, HeaderValue());
    }
    return headers;
  }

  std::string HeaderValue() {
    static const std::vector<std::string> kAtoms = {"a",        "b",   "1",    " ",    "  ", "\t",
                                                    ",",        ";",   "=",    "\"",   "/",  ":",
                                                    "\xC3\xA9", "x y", "\n  ", "\r\n "};
    std::string v;
    if (Chance(0.3)) v += OneOf<std::string>({" ", "  ", "\t"});
    const size_t n = Pick(10);
    for (size_t i = 0; i < n; ++i) v += OneOf(kAtoms);
    if (Chance(0.3)) v += OneOf<std::string>({" ", "  ", "\t "});
    return v;
  }

  std::string Body() {
    if (Chance(0.3)) return "";
    return Piece(60, true);
  }

  std::string Token(size_t len, std::string_view alphabet) {
    std::string out;
    for (size_t i = 0; i < len; ++i) out += alphabet[Pick(alphabet.size())];
    return out;
  }

 private:
  SeededRandom random_;
};

// The absolute path of `node` from PATH.
std::string FindNode() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const fs::path candidate = fs::path(rest.substr(0, colon)) / "node";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  return {};
}

class SigV4CrossCheckTest : public ::testing::Test {};

TEST_F(SigV4CrossCheckTest, RandomRequestsMatchTheOfficialSmithySigner) {
  const fs::path js = schemaport::testing::SourceDir() / "tests" / "js";
  const fs::path script = js / "sigv4" / "sign.mjs";
  ASSERT_TRUE(fs::exists(js / "node_modules" / "@smithy" / "signature-v4"))
      << "run `npm ci` in tests/js first";
  const std::string node = FindNode();
  ASSERT_FALSE(node.empty()) << "node is not on PATH";
  schemaport::testing::TempDir dir("sigv4-crosscheck");
  const fs::path input = dir / "requests.jsonl";
  const fs::path output = dir / "signatures.jsonl";

  RequestGenerator gen(20261128);
  std::vector<std::string> ours;
  std::vector<json> cases;
  {
    std::ofstream out(input, std::ios::binary);
    for (int i = 0; i < kRequests; ++i) {
      Request r;
      r.method = gen.OneOf<std::string>({"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"});
      r.path = gen.Path();
      auto [pairs, raw_query] = gen.Query();
      r.query = raw_query;
      r.headers = gen.Headers();
      r.body = gen.Body();
      Credentials creds;
      creds.access_key_id = "AKIA" + gen.Token(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
      creds.secret_access_key =
          Secret(gen.Token(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
      if (gen.Chance(0.4))
        creds.session_token = Secret(
            gen.Token(120, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="));
      SigningParams params;
      params.region = gen.OneOf<std::string>(
          {"us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"});
      params.service =
          gen.OneOf<std::string>({"redshift-data", "sts", "secretsmanager", "redshift", "service"});
      const std::int64_t ms =
          1'420'070'400'000LL + static_cast<std::int64_t>(gen.Pick(631'152'000'000ULL));
      params.time = Clock::TimePoint(std::chrono::milliseconds(ms));
      params.sign_body = gen.Chance(0.3);
      json line = {{"method", r.method},
                   {"path", r.path},
                   {"query", pairs},
                   {"headers", r.headers},
                   {"body", r.body},
                   {"region", params.region},
                   {"service", params.service},
                   {"time_ms", ms},
                   {"access_key_id", creds.access_key_id},
                   {"secret_access_key", creds.secret_access_key.Reveal()},
                   {"session_token", creds.session_token.Reveal()},
                   {"sign_body", params.sign_body}};
      out << line.dump() << "\n";
      SignHeaders(r, creds, params);
      std::string authz;
      for (const auto& [k, v] : r.headers) {
        if (k == "Authorization") authz = v;
      }
      ours.push_back(authz);
      line["raw_query"] = raw_query;
      cases.push_back(std::move(line));
    }
  }
  schemaport::testing::ChildProcess::Options options;
  options.argv = {node, script.string(), input.string(), output.string()};
  options.log_path = dir / "node.log";
  options.working_dir = js;
  auto child = schemaport::testing::ChildProcess::Start(options);
  ASSERT_TRUE(child.ok()) << child.status();
  auto waited = (*child)->Wait(std::chrono::minutes(2));
  ASSERT_TRUE(waited.ok()) << "node did not finish: " << (*child)->Log();
  ASSERT_TRUE(WIFEXITED(*waited) && WEXITSTATUS(*waited) == 0)
      << "node failed: " << (*child)->Log();
  std::istringstream theirs(schemaport::testing::ReadFile(output));
  std::string line;
  int compared = 0, mismatches = 0;
  for (int i = 0; i < kRequests && std::getline(theirs, line); ++i) {
    const json reply = json::parse(line, nullptr, false);
    ASSERT_FALSE(reply.is_discarded()) << line;
    ++compared;
    if (reply["authorization"] != ours[i]) {
      ++mismatches;
      if (mismatches <= 5) {
        ADD_FAILURE() << "request " << i << " differs:\n  input: "
                      << cases[i].dump(-1, ' ', false, json::error_handler_t::replace)
                      << "\n  ours:   " << ours[i] << "\n  smithy: " << reply["authorization"];
      }
    }
  }
  EXPECT_EQ(compared, kRequests);
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace schemaport::aws::sigv4
