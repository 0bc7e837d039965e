// The TLS certificate: a configured pair, or a self-signed ECDSA P-256 one under the data dir.
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "server/server.h"
#include "server/tls.h"

namespace schemaport::server {

namespace {

namespace fs = std::filesystem;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Ext = std::unique_ptr<X509_EXTENSION, ExtFree>;

Status OpenSslError(std::string_view what) {
  return Internal("could not make the TLS certificate", std::string(what));
}

bool IsIpAddress(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip == nullptr) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

Status AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslError("X509_add_ext");
  return Status::Ok();
}

// Writes `data` to `path` atomically (temporary file, fsync, rename) with `mode`.
Status WriteFileAtomically(const fs::path& path, std::string_view data, mode_t mode) {
  const fs::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Unavailable("could not write " + path.string(), std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Unavailable("could not write " + path.string(), std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Unavailable("could not write " + path.string(), std::strerror(errno));
  }
  return Status::Ok();
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Status GenerateSelfSigned(const CertificateOptions& options, const fs::path& cert_file,
                          const fs::path& key_file, const Clock& clock) {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("EVP_EC_gen");
  Cert cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);
  // A random 127-bit serial (positive).
  unsigned char serial_bytes[16];
  {
    SystemRandom random;
    random.Fill(serial_bytes);
    serial_bytes[0] &= 0x7f;
  }
  BIGNUM* serial_bn = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  ASN1_INTEGER* serial = serial_bn ? BN_to_ASN1_INTEGER(serial_bn, nullptr) : nullptr;
  BN_free(serial_bn);
  if (serial == nullptr || X509_set_serialNumber(cert.get(), serial) != 1) {
    ASN1_INTEGER_free(serial);
    return OpenSslError("serial");
  }
  ASN1_INTEGER_free(serial);
  time_t now = std::chrono::system_clock::to_time_t(clock.Now());
  time_t not_after =
      now + std::chrono::duration_cast<std::chrono::seconds>(options.validity).count();
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -300, &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, 0, &not_after) == nullptr) {
    return OpenSslError("validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = options.host_names.front();
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("schemaport"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return OpenSslError("X509_set_pubkey");

  std::string san;
  for (const auto& host : options.host_names) {
    if (!san.empty()) san += ",";
    san += (IsIpAddress(host) ? "IP:" : "DNS:") + host;
  }
  SP_TRY(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  SP_TRY(AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  SP_TRY(AddExtension(cert.get(), NID_ext_key_usage, "serverAuth"));
  SP_TRY(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  SP_TRY(AddExtension(cert.get(), NID_subject_alt_name, san));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return OpenSslError("X509_sign");

  Bio key_pem(BIO_new(BIO_s_mem()));
  Bio cert_pem(BIO_new(BIO_s_mem()));
  if (!key_pem || !cert_pem ||
      PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(cert_pem.get(), cert.get()) != 1) {
    return OpenSslError("PEM_write");
  }
  std::string key_text = BioString(key_pem.get());
  Status wrote_key = WriteFileAtomically(key_file, key_text, 0600);
  OPENSSL_cleanse(key_text.data(), key_text.size());
  SP_TRY(wrote_key);
  return WriteFileAtomically(cert_file, BioString(cert_pem.get()), 0644);
}

}  // namespace

Result<CertificatePaths> PrepareCertificate(const CertificateOptions& options, const Clock& clock) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return InvalidArgument(
        "server.tls_cert and server.tls_key: set both, or neither for a self-signed certificate");
  }
  if (!options.cert_file.empty()) {
    return CertificatePaths{options.cert_file, options.key_file, false};
  }
  if (options.host_names.empty())
    return InvalidArgument("server.host_names: give at least one host name");
  for (const auto& host : options.host_names) {
    if (host.empty() || host.find_first_of(", \t\r\n") != std::string::npos) {
      return InvalidArgument("server.host_names: \"" + host + "\" is not a host name");
    }
  }
  const fs::path dir = options.data_dir / "tls";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("could not create " + dir.string(), ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  CertificatePaths paths{dir / "cert.pem", dir / "key.pem", false};
  if (fs::exists(paths.cert_file) && fs::exists(paths.key_file)) return paths;
  SP_TRY(GenerateSelfSigned(options, paths.cert_file, paths.key_file, clock));
  paths.generated = true;
  return paths;
}

namespace internal {

Status ConfigureSslContext(SSL_CTX* ctx, const CertificatePaths& paths) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2: forward-secret AEAD suites only.
  if (SSL_CTX_set_cipher_list(ctx,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    return Internal("could not set up TLS", "SSL_CTX_set_cipher_list");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, paths.cert_file.c_str()) != 1) {
    return InvalidArgument("the TLS certificate " + paths.cert_file.string() +
                           " could not be read (PEM certificate chain expected)");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, paths.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return InvalidArgument(
        "the TLS private key " + paths.key_file.string() +
        " could not be read (unencrypted PEM key expected), or does not match the certificate");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return InvalidArgument("the TLS private key does not match the certificate " +
                           paths.cert_file.string());
  }
  return Status::Ok();
}

}  // namespace internal

}  // namespace schemaport::server
