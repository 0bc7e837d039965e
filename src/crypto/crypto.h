// schemaport crypto: sealing (AES-256-GCM), envelope keys, master key providers, password and
// token hashing.
//
//   Place           where a sealed value lives (org, table, row id, field); bound as associated
//                   data, so a blob copied to another row or field does not open (kDataLoss).
//   Seal / Open     AES-256-GCM with the versioned blob format below.
//   KeyProvider     the master keys: the current one (for wrapping) and any still-known version
//                   by id (for unwrapping); Rotate() adds a new current version.
//   LocalKeyFile    KeyProvider over a local file (mode 0600), created on first use.
//   SecretsManagerKeyProvider  KeyProvider over the versions of an AWS Secrets Manager secret.
//   Crypto          envelope encryption: a random data key per owner (connection, org), wrapped
//                   by the current master key; the store keeps only the wrapped form.
//   PasswordHasher  Argon2id (libsodium crypto_pwhash_str / verify).
//   NewToken / HashToken  random bearer tokens and the only form the store keeps (SHA-256).
//
// Blob format (all sealed values, including wrapped data keys):
//   byte 0        format version (kBlobVersion = 1)
//   byte 1        key id length L (1..255)
//   bytes 2..     key id (L bytes): the master key id for wrapped data keys, the data key id
//                 for values sealed with a data key
//   12 bytes      nonce (random)
//   N bytes       ciphertext
//   16 bytes      GCM tag
// Associated data = the header (version, L, key id) followed by the encoded Place, so neither
// the key id nor the place can be changed without the tag failing.
//
// Errors: a blob that is truncated, has an unknown version, names another key, was tampered
// with or was moved to another place opens with kDataLoss (never garbage). A master key id the
// provider does not know is kDataLoss too (the key is gone: the data is unrecoverable).
// No key material ever appears in a Status message or detail.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/core.h"

struct stat;

namespace schemaport::aws {
class SecretsManagerClient;
}  // namespace schemaport::aws

namespace schemaport::crypto {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kBlobVersion = 1;
inline constexpr std::size_t kKeyBytes = 32;    // AES-256
inline constexpr std::size_t kNonceBytes = 12;  // GCM standard nonce
inline constexpr std::size_t kTagBytes = 16;

// Where a sealed value lives. All four parts are bound into the associated data.
struct Place {
  std::string_view org_id;
  std::string_view table;
  std::string_view row_id;
  std::string_view field;
};

// A symmetric key (32 bytes) and its id. The material is a Secret: it never prints.
struct Key {
  std::string id;   // 1..255 bytes, printable
  Secret material;  // exactly kKeyBytes raw bytes
};

// Low-level AEAD. REQUIRES: key.material holds kKeyBytes bytes and key.id is 1..255 bytes
// (otherwise kInvalidArgument). The nonce is drawn from the system CSPRNG (OpenSSL RAND_bytes)
// on every call, never from an injected Random, so no seeded generator can repeat one.
Result<Bytes> Seal(const Key& key, std::string_view plaintext, const Place& place);
// Opens a blob sealed with `key` at `place`; kDataLoss on any mismatch (see above).
Result<std::string> Open(const Key& key, std::span<const std::uint8_t> blob, const Place& place);
// The key id named in a blob's header; kDataLoss when the header is malformed.
Result<std::string> BlobKeyId(std::span<const std::uint8_t> blob);

// ---------------------------------------------------------------------------------------------
// Master keys
// ---------------------------------------------------------------------------------------------

// The source of master keys. Versions are identified by an opaque id (the local file uses
// "1", "2", ...; Secrets Manager uses the secret's VersionId). A provider keeps every version it
// has handed out retrievable through Get() until an operator retires it, so data wrapped by an
// older version keeps opening while a rotation is in progress.
// Thread safety: implementations are thread-safe.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  // The key new data keys are wrapped with.
  virtual Result<Key> Current() = 0;
  // A key by id. Providers with a cache refetch on an unknown id before answering kNotFound.
  virtual Result<Key> Get(std::string_view id) = 0;
  // Creates a new master key version, makes it current and returns it. The previous versions
  // stay retrievable. Durable before it returns (a crash afterwards keeps the new version).
  virtual Result<Key> Rotate() = 0;
};

// A master key file on the local disk: the embedded default.
//
// Format (text): comment lines start with '#'; each other line is "<id> <base64 32-byte key>";
// ids are increasing integers and the last line is the current key.
//
// Open() creates the file (mode 0600, parent directories 0700) with one fresh key when it does
// not exist. The file is re-read whenever it changes on disk (another process rotated), so an
// unknown key id is looked up again before it is reported as kNotFound, and rotations from
// several processes are serialized with an flock on "<path>.lock". It refuses (kFailedPrecondition,
// naming the path and the mode, with the chmod that fixes it) a file readable or writable by group
// or others, and rejects a malformed file with kInvalidArgument naming the line (never the key).
// Rotate() rewrites the file atomically (temporary file, fsync, rename, fsync of the directory).
// Thread safety: thread-safe; one process should own the file at a time.
class LocalKeyFile final : public KeyProvider {
 public:
  static Result<std::unique_ptr<LocalKeyFile>> Open(const std::filesystem::path& path,
                                                    Random& random);

  Result<Key> Current() override;
  Result<Key> Get(std::string_view id) override;
  Result<Key> Rotate() override;

  // Ids of every version as last read from the file (refreshed by the other calls), oldest
  // first.
  std::vector<std::string> Versions() const;
  // Removes every version except the current one (after a rotation has rewrapped all data
  // keys). Data wrapped by a removed version can never be opened again: this is how a deleted
  // connection's data key in an old backup is shredded too.
  Status RetireOldVersions();

 private:
  // Identity of the file's current content (rename gives a new inode).
  struct Stamp {
    std::uint64_t ino = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct Loaded {
    std::vector<Key> keys;
    Stamp stamp;
  };
  // Holds an exclusive flock on "<path>.lock" while alive.
  class FileLock {
   public:
    explicit FileLock(int fd) : fd_(fd) {}
    FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    FileLock& operator=(FileLock&&) = delete;
    ~FileLock();

   private:
    int fd_;
  };

  LocalKeyFile(std::filesystem::path path, Random& random, Loaded loaded)
      : path_(std::move(path)),
        random_(random),
        keys_(std::move(loaded.keys)),
        stamp_(loaded.stamp) {}
  static Result<Loaded> Load(const std::filesystem::path& path);
  static Stamp StampOf(const struct ::stat& st);
  // Re-reads the file when another process (e.g. `schemaport keys rotate`) replaced it.
  Status RefreshLocked();
  Status WriteLocked(const std::vector<Key>& keys);
  Result<FileLock> LockFile() const;

  const std::filesystem::path path_;
  Random& random_;
  mutable std::mutex mu_;
  std::vector<Key> keys_;  // oldest first; back() is current
  Stamp stamp_;
};

// The versions of one AWS Secrets Manager secret: the slice of the service the Secrets Manager
// key provider needs. SecretsManagerSource() adapts src/aws's client; tests may use a fake.
// Errors: kNotFound only when Secrets Manager says the secret or version does not exist
// (ResourceNotFoundException); any other error keeps another code (never read as a lost key).
// Thread safety: implementations are thread-safe.
class SecretVersionSource {
 public:
  struct Version {
    std::string version_id;
    Secret value;  // the SecretString
  };
  virtual ~SecretVersionSource() = default;
  // By staging label ("AWSCURRENT", "AWSPREVIOUS").
  virtual Result<Version> GetByStage(std::string_view stage) = 0;
  virtual Result<Version> GetById(std::string_view version_id) = 0;
  // Creates the secret holding `value`; kAlreadyExists when it exists. Returns the version id.
  virtual Result<std::string> Create(const Secret& value) = 0;
  // Adds a version that becomes AWSCURRENT (the previous one becomes AWSPREVIOUS). Returns the
  // new version id.
  virtual Result<std::string> Put(const Secret& value) = 0;
};

// REQUIRES: `client` outlives the returned source. `secret_id` is a name or an ARN.
std::unique_ptr<SecretVersionSource> SecretsManagerSource(aws::SecretsManagerClient& client,
                                                          std::string secret_id);

// Master keys held in one AWS Secrets Manager secret (the secret id comes from the server
// config). Each secret version holds one key as base64 of 32 bytes in its SecretString; the
// key id is the version's VersionId. Current() is the AWSCURRENT version, cached for
// `cache_ttl` so a rotation made elsewhere is picked up; Get(id) answers from the cache and
// fetches an unknown id by VersionId (so AWSPREVIOUS and any older version still open data
// during and after a rotation). Rotate() puts a new random key, which becomes AWSCURRENT.
// A version that does not hold a 32-byte base64 key is kFailedPrecondition (never echoed).
// Thread safety: thread-safe.
class SecretsManagerKeyProvider final : public KeyProvider {
 public:
  struct Options {
    std::chrono::seconds cache_ttl{300};
    // First start: create the secret with a fresh key when it does not exist.
    bool create_if_missing = false;
  };

  // Fetches AWSCURRENT (creating the secret when allowed) so that a misconfiguration shows at
  // start-up, not at the first request.
  static Result<std::unique_ptr<SecretsManagerKeyProvider>> Open(
      std::unique_ptr<SecretVersionSource> source, Clock& clock, Random& random, Options options);

  Result<Key> Current() override;
  Result<Key> Get(std::string_view id) override;
  Result<Key> Rotate() override;

 private:
  SecretsManagerKeyProvider(std::unique_ptr<SecretVersionSource> source, Clock& clock,
                            Random& random, Options options)
      : source_(std::move(source)), clock_(clock), random_(random), options_(options) {}
  Result<Key> Remember(SecretVersionSource::Version version, bool current);

  std::unique_ptr<SecretVersionSource> source_;
  Clock& clock_;
  Random& random_;
  const Options options_;
  std::mutex mu_;
  std::vector<Key> cache_;  // every version seen
  std::string current_id_;
  std::chrono::steady_clock::time_point current_fetched_{};
};

// ---------------------------------------------------------------------------------------------
// Envelope encryption
// ---------------------------------------------------------------------------------------------

// A data key together with the wrapped form the store keeps.
struct WrappedKey {
  Key key;        // plaintext data key: use, never store
  Bytes wrapped;  // sealed with the current master key at the owner's place
};

// Envelope encryption over a KeyProvider. Data keys have random ids (so a value sealed with one
// owner's key never opens with another's) and are wrapped at the owner's Place (a wrapped key
// copied to another row does not unwrap).
// Thread safety: thread-safe if the provider and random are.
class Crypto {
 public:
  Crypto(KeyProvider& keys, Random& random) : keys_(keys), random_(random) {}

  // A fresh random data key, wrapped by the current master key at `place`.
  Result<WrappedKey> NewDataKey(const Place& place);
  // Unwraps with whichever master key version the blob names; kDataLoss if that version is
  // unknown to the provider or the blob does not open at `place`.
  Result<Key> UnwrapDataKey(std::span<const std::uint8_t> wrapped, const Place& place);
  // Unwraps and wraps again with `master` (rotation). The data key itself is unchanged.
  Result<Bytes> RewrapDataKey(std::span<const std::uint8_t> wrapped, const Place& place,
                              const Key& master);

  Result<Bytes> Seal(const Key& data_key, std::string_view plaintext, const Place& place) {
    return crypto::Seal(data_key, plaintext, place);
  }
  Result<std::string> Open(const Key& data_key, std::span<const std::uint8_t> blob,
                           const Place& place) {
    return crypto::Open(data_key, blob, place);
  }

  KeyProvider& keys() { return keys_; }

 private:
  KeyProvider& keys_;
  Random& random_;
};

// ---------------------------------------------------------------------------------------------
// Passwords and tokens
// ---------------------------------------------------------------------------------------------

// Argon2id password hashing (libsodium). The defaults are libsodium's "interactive" limits;
// tests may pass the minimum limits to stay fast.
// Thread safety: thread-safe.
class PasswordHasher {
 public:
  struct Limits {
    unsigned long long ops;
    std::size_t mem_bytes;
  };
  static Limits Interactive();
  static Limits Minimum();  // for tests only

  explicit PasswordHasher(Limits limits = Interactive());
  // The encoded hash ("$argon2id$v=19$m=...,t=...,p=1$salt$hash").
  Result<std::string> Hash(const Secret& password) const;
  // True iff `password` matches `encoded`; false on mismatch and on a malformed hash.
  bool Verify(const Secret& password, std::string_view encoded) const;

 private:
  Limits limits_;
};

// A blind index: lower-case hex HMAC-SHA256 of `value` under `key`. Equal values give equal
// indexes (so a sealed column can still be looked up), but without the key the index reveals
// nothing and cannot be tested against guesses.
std::string BlindIndex(const Key& key, std::string_view value);

// A new bearer token: 32 random bytes as unpadded base64url with the given prefix
// (e.g. "spt_"). Shown to its owner once; only HashToken(token) is stored.
Secret NewToken(Random& random, std::string_view prefix);
// Lower-case hex SHA-256 of the token text.
std::string HashToken(const Secret& token);

}  // namespace schemaport::crypto
