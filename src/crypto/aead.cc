// AES-256-GCM sealing with the versioned blob format described in crypto.h.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
// RAII owner of an EVP_CIPHER_CTX (unique_ptr: copies deleted).
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

void AppendU32(Bytes& out, std::size_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((n >> shift) & 0xff));
  }
}

void AppendField(Bytes& out, std::string_view s) {
  AppendU32(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// Header bytes (version, key id length, key id).
Bytes Header(std::string_view key_id) {
  Bytes h;
  h.reserve(2 + key_id.size());
  h.push_back(kBlobVersion);
  h.push_back(static_cast<std::uint8_t>(key_id.size()));
  h.insert(h.end(), key_id.begin(), key_id.end());
  return h;
}

// Associated data: header + length-prefixed place parts under a domain label.
Bytes AssociatedData(const Bytes& header, const Place& place) {
  static constexpr std::string_view kLabel = "schemaport.seal.v1";
  Bytes ad = header;
  AppendField(ad, kLabel);
  AppendField(ad, place.org_id);
  AppendField(ad, place.table);
  AppendField(ad, place.row_id);
  AppendField(ad, place.field);
  return ad;
}

Status CheckKey(const Key& key) {
  if (key.material.Reveal().size() != kKeyBytes) {
    return InvalidArgument("encryption key has the wrong length");
  }
  if (key.id.empty() || key.id.size() > 255) {
    return InvalidArgument("encryption key id must be 1 to 255 bytes");
  }
  return Status::Ok();
}

const unsigned char* KeyBytes(const Key& key) {
  return reinterpret_cast<const unsigned char*>(key.material.Reveal().data());
}

struct ParsedBlob {
  std::string_view key_id;
  std::size_t header_size;
  std::span<const std::uint8_t> nonce, ciphertext, tag;
};

Result<ParsedBlob> Parse(std::span<const std::uint8_t> blob) {
  if (blob.size() < 2) return DataLoss("sealed value is truncated");
  if (blob[0] != kBlobVersion) {
    return DataLoss("sealed value has an unknown format version",
                    "version byte " + std::to_string(blob[0]));
  }
  const std::size_t id_len = blob[1];
  const std::size_t header = 2 + id_len;
  if (id_len == 0 || blob.size() < header + kNonceBytes + kTagBytes) {
    return DataLoss("sealed value is truncated");
  }
  ParsedBlob p;
  p.key_id = std::string_view(reinterpret_cast<const char*>(blob.data() + 2), id_len);
  p.header_size = header;
  p.nonce = blob.subspan(header, kNonceBytes);
  p.ciphertext = blob.subspan(header + kNonceBytes, blob.size() - header - kNonceBytes - kTagBytes);
  p.tag = blob.subspan(blob.size() - kTagBytes, kTagBytes);
  return p;
}

}  // namespace

Result<Bytes> Seal(const Key& key, std::string_view plaintext, const Place& place) {
  SP_TRY(CheckKey(key));
  const Bytes header = Header(key.id);
  const Bytes ad = AssociatedData(header, place);

  Bytes out = header;
  const std::size_t nonce_at = out.size();
  out.resize(nonce_at + kNonceBytes + plaintext.size() + kTagBytes);
  std::span<std::uint8_t> nonce(out.data() + nonce_at, kNonceBytes);
  // Nonces come from the system CSPRNG, never from an injected (possibly seeded) Random: a
  // repeated nonce under one key breaks GCM's confidentiality and authenticity.
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return Internal("encryption failed: the system random generator is unavailable", "RAND_bytes");
  }

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Internal("encryption failed", "EVP_CIPHER_CTX_new");
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, KeyBytes(key), nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) {
    return Internal("encryption failed", "EVP init");
  }
  std::uint8_t* ct = out.data() + nonce_at + kNonceBytes;
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ct, &len,
                          reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) != 1) {
      return Internal("encryption failed", "EVP_EncryptUpdate");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ct + written, &len) != 1) {
    return Internal("encryption failed", "EVP_EncryptFinal_ex");
  }
  std::uint8_t* tag = out.data() + out.size() - kTagBytes;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) != 1) {
    return Internal("encryption failed", "EVP_CTRL_GCM_GET_TAG");
  }
  return out;
}

Result<std::string> Open(const Key& key, std::span<const std::uint8_t> blob, const Place& place) {
  SP_TRY(CheckKey(key));
  const ParsedBlob p = SP_TRY(Parse(blob));
  if (p.key_id != key.id) {
    return DataLoss("sealed value was sealed with a different key");
  }
  const Bytes header(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(p.header_size));
  const Bytes ad = AssociatedData(header, place);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Internal("decryption failed", "EVP_CIPHER_CTX_new");
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, KeyBytes(key), p.nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) {
    return Internal("decryption failed", "EVP init");
  }
  std::string plain(p.ciphertext.size(), '\0');
  int written = 0;
  if (!p.ciphertext.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                          p.ciphertext.data(), static_cast<int>(p.ciphertext.size())) != 1) {
      return DataLoss("sealed value failed its integrity check");
    }
    written = len;
  }
  // The tag buffer is not modified by OpenSSL for SET_TAG, but the API takes void*.
  std::uint8_t tag[kTagBytes];
  std::memcpy(tag, p.tag.data(), kTagBytes);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1) {
    return Internal("decryption failed", "EVP_CTRL_GCM_SET_TAG");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + written,
                          &len) != 1) {
    // Wipe whatever was decrypted before the tag check failed.
    OPENSSL_cleanse(plain.data(), plain.size());
    return DataLoss("sealed value failed its integrity check (tampered, corrupt or moved)");
  }
  return plain;
}

Result<std::string> BlobKeyId(std::span<const std::uint8_t> blob) {
  const ParsedBlob p = SP_TRY(Parse(blob));
  return std::string(p.key_id);
}

}  // namespace schemaport::crypto
