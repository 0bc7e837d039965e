// libFuzzer target: the TOML configuration loader with a schema like the server's.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/core.h"

namespace sp = schemaport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sp::ConfigSchema schema = [] {
    sp::ConfigSchema s;
    s.String("server.listen", "127.0.0.1:8443", "listen address")
        .Int("server.workers", 4, 1, 64, "workers")
        .Bool("server.tls", true, "tls")
        .String("store.backend", "sqlite", "backend", {"sqlite", "postgres"})
        .SecretKey("store.postgres_url", "url")
        .Int("limits.max", 0, INT64_MIN, INT64_MAX, "any integer");
    return s;
  }();
  const std::string_view toml(reinterpret_cast<const char*>(data), size);
  auto config = sp::LoadConfigFromString(toml, "fuzz.toml", schema, sp::Environment{});
  if (config.ok()) {
    (void)config->GetString("server.listen");
    (void)config->GetInt("server.workers");
    (void)config->GetBool("server.tls");
    (void)config->GetSecret("store.postgres_url");
    (void)config->Origin("limits.max");
  }
  return 0;
}
