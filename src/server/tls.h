// Internal to src/server: TLS context set-up.
#pragma once

#include <openssl/ssl.h>

#include "server/server.h"

namespace schemaport::server::internal {

// TLS 1.2 and 1.3 only, forward-secret AEAD suites, no compression or renegotiation, the
// certificate chain and key of `paths` (checked to match).
Status ConfigureSslContext(SSL_CTX* ctx, const CertificatePaths& paths);

}  // namespace schemaport::server::internal
