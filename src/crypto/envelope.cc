// Envelope encryption (data keys wrapped by master keys), password and token hashing.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cstdlib>

#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

constexpr std::size_t kDataKeyIdBytes = 12;

Result<Key> ParseDataKey(std::string plain) {
  // Wrapped plaintext: "<data key id>:<32 raw key bytes>".
  const auto colon = plain.find(':');
  if (colon == std::string::npos || plain.size() - colon - 1 != kKeyBytes || colon == 0) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return DataLoss("wrapped data key is malformed");
  }
  Key key{plain.substr(0, colon), Secret(plain.substr(colon + 1))};
  OPENSSL_cleanse(plain.data(), plain.size());
  return key;
}

}  // namespace

Result<WrappedKey> Crypto::NewDataKey(const Place& place) {
  const Key master = SP_TRY(keys_.Current());
  std::uint8_t id_bytes[kDataKeyIdBytes];
  random_.Fill(id_bytes);
  std::string material(kKeyBytes, '\0');
  random_.Fill(
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(material.data()), material.size()));
  WrappedKey out;
  out.key.id = "d";
  out.key.id += Base64UrlEncode(id_bytes);
  std::string plain = out.key.id + ":" + material;
  out.key.material = Secret(std::move(material));
  auto wrapped = crypto::Seal(master, plain, place);
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!wrapped.ok()) return wrapped.status();
  out.wrapped = std::move(wrapped).value();
  return out;
}

Result<Key> Crypto::UnwrapDataKey(std::span<const std::uint8_t> wrapped, const Place& place) {
  const std::string master_id = SP_TRY(BlobKeyId(wrapped));
  auto master = keys_.Get(master_id);
  if (!master.ok()) {
    if (master.status().code() == Code::kNotFound) {
      return DataLoss("the master key version that wrapped this data key is gone",
                      "master key id " + master_id);
    }
    return master.status();
  }
  std::string plain = SP_TRY(crypto::Open(*master, wrapped, place));
  return ParseDataKey(std::move(plain));
}

Result<Bytes> Crypto::RewrapDataKey(std::span<const std::uint8_t> wrapped, const Place& place,
                                    const Key& master) {
  const Key data_key = SP_TRY(UnwrapDataKey(wrapped, place));
  std::string plain = data_key.id + ":" + data_key.material.Reveal();
  auto out = crypto::Seal(master, plain, place);
  OPENSSL_cleanse(plain.data(), plain.size());
  return out;
}

// ---------------------------------------------------------------------------------------------

PasswordHasher::Limits PasswordHasher::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordHasher::Limits PasswordHasher::Minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

PasswordHasher::PasswordHasher(Limits limits) : limits_(limits) {
  // Idempotent and thread-safe; required before any other libsodium call.
  if (sodium_init() < 0) std::abort();
}

Result<std::string> PasswordHasher::Hash(const Secret& password) const {
  char out[crypto_pwhash_STRBYTES];
  const std::string& p = password.Reveal();
  if (crypto_pwhash_str_alg(out, p.data(), p.size(), limits_.ops, limits_.mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status(Code::kResourceExhausted, "password hashing ran out of memory");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(const Secret& password, std::string_view encoded) const {
  // crypto_pwhash_str_verify needs a NUL-terminated string of bounded length.
  if (encoded.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::copy(encoded.begin(), encoded.end(), buf);
  const std::string& p = password.Reveal();
  return crypto_pwhash_str_verify(buf, p.data(), p.size()) == 0;
}

Secret NewToken(Random& random, std::string_view prefix) {
  std::uint8_t bytes[32];
  random.Fill(bytes);
  Secret token(std::string(prefix) + Base64UrlEncode(bytes));
  OPENSSL_cleanse(bytes, sizeof bytes);
  return token;
}

std::string BlindIndex(const Key& key, std::string_view value) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& k = key.material.Reveal();
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), mac, &len);
  return HexEncode(std::span<const std::uint8_t>(mac, len));
}

std::string HashToken(const Secret& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& t = token.Reveal();
  EVP_Digest(t.data(), t.size(), digest, &len, EVP_sha256(), nullptr);
  return HexEncode(std::span<const std::uint8_t>(digest, len));
}

}  // namespace schemaport::crypto
