// Start-up wiring shared by the commands that use the server's configuration: the one place
// that picks a store backend and a key provider. Internal to src/cli.
#pragma once

#include <memory>
#include <string>

#include "aws/aws.h"
#include "core/core.h"
#include "crypto/crypto.h"
#include "store/store.h"

namespace schemaport::cli {

// The server configuration file (TOML, with SCHEMAPORT_* overrides).
ConfigSchema ServerConfigSchema();

// Everything a store-backed command needs, owned together (members depend on each other).
struct StoreWiring {
  SystemClock clock;
  SystemRandom random;
  std::shared_ptr<aws::HttpClient> http;
  std::unique_ptr<aws::SecretsManagerClient> secrets_manager;
  std::unique_ptr<crypto::KeyProvider> keys;
  std::unique_ptr<crypto::Crypto> crypto;
  std::unique_ptr<crypto::PasswordHasher> hasher;
  std::unique_ptr<store::Store> store;
  std::string describe;  // "sqlite store /var/lib/schemaport/schemaport.db, local key file ..."
};

// Loads the config (`config_path` may be empty), applies --data-dir, opens the key provider
// and the store. Errors name the setting at fault.
Result<std::unique_ptr<StoreWiring>> OpenStoreFromConfig(const std::string& config_path,
                                                         const std::string& data_dir_override,
                                                         const Environment& env);

}  // namespace schemaport::cli
