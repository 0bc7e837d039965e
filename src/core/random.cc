#include <openssl/rand.h>

#include <cstdlib>

#include "core/core.h"

namespace schemaport {

std::uint64_t Random::NextU64() {
  std::uint8_t b[8];
  Fill(b);
  std::uint64_t v = 0;
  for (std::uint8_t x : b) v = (v << 8) | x;
  return v;
}

std::uint64_t Random::Uniform(std::uint64_t bound) {
  if (bound <= 1) return 0;
  // Rejection sampling: no modulo bias.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  std::uint64_t v;
  do {
    v = NextU64();
  } while (v >= limit);
  return v % bound;
}

double Random::NextDouble() {
  return static_cast<double>(NextU64() >> 11) * 0x1.0p-53;
}

SeededRandom::SeededRandom(std::uint64_t seed) : state_(seed) {}

void SeededRandom::Fill(std::span<std::uint8_t> out) {
  std::lock_guard lock(mu_);
  std::size_t i = 0;
  while (i < out.size()) {
    // splitmix64: small, fast, well distributed, reproducible from the seed.
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (int k = 0; k < 8 && i < out.size(); ++k, ++i) {
      out[i] = static_cast<std::uint8_t>(z >> (8 * k));
    }
  }
}

void SystemRandom::Fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    // The OS generator failing is not recoverable: continuing would hand out predictable keys.
    std::abort();
  }
}

std::string NewId(Random& random) {
  // An id never starts with '-' or '_': one that starts with '-' reads as an option on a command
  // line (`schemaport connections show -x...` failed for 1 id in 64). Drawn again, so every id
  // keeps 128 random bits.
  for (;;) {
    std::uint8_t bytes[16];
    random.Fill(bytes);
    std::string id = Base64UrlEncode(bytes);
    if (id[0] != '-' && id[0] != '_') return id;
  }
}

namespace {
constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::span<const std::uint8_t> in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t v = in[i] << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}
}  // namespace

std::string Base64UrlEncode(std::span<const std::uint8_t> bytes) {
  return Encode(bytes, kUrl, false);
}
std::string Base64Encode(std::span<const std::uint8_t> bytes) {
  return Encode(bytes, kStd, true);
}

Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return InvalidArgument("invalid base64 length");
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return InvalidArgument("invalid base64 character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string HexEncode(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace schemaport
