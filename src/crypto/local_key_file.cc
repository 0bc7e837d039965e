// LocalKeyFile: master keys in a 0600 text file, rewritten atomically on rotation.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

constexpr std::string_view kFileHeader =
    "# schemaport master keys. Keep this file secret (mode 0600) and back it up separately\n"
    "# from the store. One key per line: <id> <base64 32-byte key>; the last line is current.\n";

// RAII owner of a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status IoError(std::string_view what, const std::filesystem::path& path, int err) {
  return Internal(std::string(what) + " " + path.string() + " failed",
                  std::string("errno ") + std::to_string(err) + " (" + std::strerror(err) + ")");
}

Key NewKey(std::string id, Random& random) {
  std::string material(kKeyBytes, '\0');
  random.Fill(
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(material.data()), material.size()));
  return Key{std::move(id), Secret(std::move(material))};
}

Status SyncDirectory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("opening directory", dir, errno);
  if (::fsync(fd.get()) != 0) return IoError("syncing directory", dir, errno);
  return Status::Ok();
}

// Writes `text` to `path` with mode 0600 (exclusive create), fsynced.
Status WriteNewFile(const std::filesystem::path& path, const std::string& text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return IoError("creating key file", path, errno);
  // The umask could only remove bits; make the mode exact anyway.
  if (::fchmod(fd.get(), 0600) != 0) return IoError("setting mode of key file", path, errno);
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("writing key file", path, errno);
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return IoError("syncing key file", path, errno);
  if (::close(fd.Release()) != 0) return IoError("closing key file", path, errno);
  return Status::Ok();
}

// The file's text (a Secret: wiped when dropped).
Secret Render(const std::vector<Key>& keys) {
  std::string text(kFileHeader);
  for (const Key& k : keys) {
    const std::string& m = k.material.Reveal();
    text += k.id;
    text += ' ';
    text += Base64Encode(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(m.data()), m.size()));
    text += '\n';
  }
  return Secret(std::move(text));
}

Result<std::vector<Key>> Parse(const std::filesystem::path& path, const std::string& text) {
  std::vector<Key> keys;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  long last_id = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const std::string where = path.string() + ":" + std::to_string(line_no);
    const auto space = line.find(' ');
    if (space == std::string::npos) {
      return InvalidArgument(where + ": expected \"<id> <base64 key>\"");
    }
    const std::string id = line.substr(0, space);
    long id_num = 0;
    const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), id_num);
    if (ec != std::errc() || ptr != id.data() + id.size() || id_num <= last_id) {
      return InvalidArgument(where + ": key ids must be increasing positive integers");
    }
    last_id = id_num;
    auto decoded = Base64Decode(std::string_view(line).substr(space + 1));
    if (!decoded.ok() || decoded->size() != kKeyBytes) {
      return InvalidArgument(where + ": key is not 32 bytes of base64");
    }
    keys.push_back(Key{id, Secret(std::string(decoded->begin(), decoded->end()))});
    std::fill(decoded->begin(), decoded->end(), 0);
  }
  if (keys.empty()) return InvalidArgument(path.string() + ": holds no key");
  return keys;
}

}  // namespace

LocalKeyFile::Stamp LocalKeyFile::StampOf(const struct ::stat& st) {
  return {static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

LocalKeyFile::FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<LocalKeyFile::Loaded> LocalKeyFile::Load(const std::filesystem::path& path) {
  // O_NOFOLLOW, and the mode is checked on the opened file itself (no window between a check
  // of the path and the read).
  auto fd = OpenOwnerOnlyFile(path.string(), O_RDONLY, "master key file");
  if (!fd.ok()) {
    if (fd.status().code() == Code::kNotFound) return IoError("reading key file", path, ENOENT);
    return fd.status();
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return IoError("reading key file", path, errno);
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size) + 1);
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      OPENSSL_cleanse(buf, sizeof buf);
      WipeString(text);
      return IoError("reading key file", path, err);
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > text.capacity()) {
      std::string bigger;  // grow by hand so no freed buffer keeps key text
      bigger.reserve(2 * (text.size() + static_cast<std::size_t>(n)));
      bigger.append(text);
      WipeString(text);
      text.swap(bigger);
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  auto keys = Parse(path, text);
  WipeString(text);
  if (!keys.ok()) return keys.status();
  return Loaded{std::move(keys).value(), StampOf(st)};
}

Result<std::unique_ptr<LocalKeyFile>> LocalKeyFile::Open(const std::filesystem::path& path,
                                                         Random& random) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return IoError("reading key file", path, errno);
    // First start: create the file with one key.
    std::error_code ec;
    const auto dir = path.parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return IoError("creating directory", dir, ec.value());
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
    std::vector<Key> keys;
    keys.push_back(NewKey("1", random));
    Status created = WriteNewFile(path, Render(keys).Reveal());
    // Another process may have created it first (O_EXCL): then use theirs.
    if (!created.ok() && !std::filesystem::exists(path)) return created;
    if (created.ok() && !dir.empty()) SP_TRY(SyncDirectory(dir));
  }
  Loaded loaded = SP_TRY(Load(path));
  return std::unique_ptr<LocalKeyFile>(new LocalKeyFile(path, random, std::move(loaded)));
}

Status LocalKeyFile::RefreshLocked() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return IoError("reading key file", path_, errno);
  if (StampOf(st) == stamp_) return Status::Ok();
  Loaded loaded = SP_TRY(Load(path_));
  keys_ = std::move(loaded.keys);
  stamp_ = loaded.stamp;
  return Status::Ok();
}

Result<Key> LocalKeyFile::Current() {
  std::lock_guard lock(mu_);
  SP_TRY(RefreshLocked());
  return keys_.back();
}

Result<Key> LocalKeyFile::Get(std::string_view id) {
  std::lock_guard lock(mu_);
  SP_TRY(RefreshLocked());
  for (const Key& k : keys_) {
    if (k.id == id) return k;
  }
  return NotFound("master key version is not in the key file",
                  "key id " + std::string(id) + " in " + path_.string());
}

Status LocalKeyFile::WriteLocked(const std::vector<Key>& keys) {
  std::filesystem::path tmp = path_;
  tmp += ".tmp";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);  // a leftover from a crash mid-rotation
  SP_TRY(WriteNewFile(tmp, Render(keys).Reveal()));
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return IoError("replacing key file", path_, errno);
  const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  SP_TRY(SyncDirectory(dir));
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return IoError("reading key file", path_, errno);
  keys_ = keys;
  stamp_ = StampOf(st);
  return Status::Ok();
}

Result<LocalKeyFile::FileLock> LocalKeyFile::LockFile() const {
  // Serializes rotations across processes (a CLI `keys rotate` next to a running server).
  std::filesystem::path lock_path = path_;
  lock_path += ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("opening lock file", lock_path, errno);
  FileLock lock(fd);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) return IoError("locking", lock_path, errno);
  }
  return lock;
}

Result<Key> LocalKeyFile::Rotate() {
  std::lock_guard lock(mu_);
  FileLock file_lock = SP_TRY(LockFile());
  SP_TRY(RefreshLocked());  // another process may have rotated since we last looked
  long last = 0;
  std::from_chars(keys_.back().id.data(), keys_.back().id.data() + keys_.back().id.size(), last);
  std::vector<Key> next = keys_;
  next.push_back(NewKey(std::to_string(last + 1), random_));
  SP_TRY(WriteLocked(next));
  return keys_.back();
}

std::vector<std::string> LocalKeyFile::Versions() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const Key& k : keys_) ids.push_back(k.id);
  return ids;
}

Status LocalKeyFile::RetireOldVersions() {
  std::lock_guard lock(mu_);
  FileLock file_lock = SP_TRY(LockFile());
  SP_TRY(RefreshLocked());
  std::vector<Key> next{keys_.back()};
  return WriteLocked(next);
}

}  // namespace schemaport::crypto
