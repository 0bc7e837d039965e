// Process-wide hardening applied at start-up.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/core.h"

namespace schemaport {

Status DisableCoreDumps() {
  const rlimit none{0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    return Internal("could not disable core dumps", std::strerror(errno));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Internal("could not mark the process undumpable", std::strerror(errno));
  }
  return Status();
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<UniqueFd> OpenOwnerOnlyFile(const std::string& path, int flags, const char* what,
                                   unsigned create_mode) {
  UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, create_mode));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT) return NotFound(std::string(what) + " " + path + " does not exist");
    if (err == ELOOP) {
      return FailedPrecondition(std::string(what) + " " + path +
                                " is a symbolic link; refusing to follow it (use the real path)");
    }
    return Unavailable("cannot open " + std::string(what) + " " + path, std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Unavailable("cannot inspect " + std::string(what) + " " + path, std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return FailedPrecondition(std::string(what) + " " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return FailedPrecondition(std::string(what) + " " + path + " has mode " + mode +
                              " and is accessible by group or others; refusing to use it (run: "
                              "chmod 600 " +
                              path + ")");
  }
  return fd;
}

}  // namespace schemaport
