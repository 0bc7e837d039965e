// The sample warehouse's files, embedded from tools/demo/ (see CMakeLists.txt).
#include <string_view>
#include <utility>

#include "demo/demo.h"

namespace schemaport::demo {
namespace internal {
struct EmbeddedFile {
  const char* name;
  std::pair<const char*, const char*> bytes;
};
extern const EmbeddedFile kEmbeddedFiles[];
extern const int kEmbeddedFileCount;
}  // namespace internal

namespace {

std::string_view File(std::string_view name) {
  for (int i = 0; i < internal::kEmbeddedFileCount; ++i) {
    const auto& f = internal::kEmbeddedFiles[i];
    if (name == f.name)
      return {f.bytes.first, static_cast<std::size_t>(f.bytes.second - f.bytes.first)};
  }
  return {};
}

void Replace(std::string& text, std::string_view placeholder, std::string_view value) {
  for (auto pos = text.find(placeholder); pos != std::string::npos;
       pos = text.find(placeholder, pos + value.size())) {
    text.replace(pos, placeholder.size(), value);
  }
}

}  // namespace

const std::vector<SampleDatabase>& SampleDatabases() {
  static const std::vector<SampleDatabase> databases = {{"dev", File("dev.sql")},
                                                        {"marketing", File("marketing.sql")}};
  return databases;
}

std::string EmulatorConfig(const EmulatorSettings& settings) {
  std::string text(File("emulator.toml.in"));
  Replace(text, "@PG_PORT@", std::to_string(settings.postgres_port));
  Replace(text, "@PG_SUPERUSER@", settings.postgres_superuser);
  Replace(text, "@ACCESS_KEY_ID@", settings.access_key_id);
  Replace(text, "@SECRET_ACCESS_KEY@", settings.secret_access_key);
  return text;
}

}  // namespace schemaport::demo
