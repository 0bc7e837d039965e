// libFuzzer target: the catalog JSON reader (docs/catalog-json.md), and a round trip of what it
// accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "warehouse/warehouse.h"

namespace wh = schemaport::warehouse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto catalog = wh::CatalogFromJson(json);
  if (catalog.ok()) {
    // What was accepted must write and read back.
    auto again = wh::CatalogFromJson(wh::CatalogToJson(*catalog));
    if (!again.ok()) std::abort();
  }
  return 0;
}
