// libFuzzer target: the store's binary codec (the plaintext inside sealed columns). The first
// byte picks the read sequence; a round trip of what was read must reproduce it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/codec.h"

namespace st = schemaport::store::internal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t plan = data[0];
  st::Reader r(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  st::Writer w;
  for (int i = 0; i < 8 && r.ok(); ++i) {
    switch ((plan >> (i % 4 * 2)) & 3) {
      case 0: w.U64(r.U64()); break;
      case 1: w.Str(r.Str()); break;
      case 2: w.Map(r.Map()); break;
      default: break;
    }
  }
  if (r.ok()) {
    // Re-reading the re-encoded values gives the same encoding.
    st::Reader again(w.data());
    st::Writer w2;
    for (int i = 0; i < 8 && again.ok(); ++i) {
      switch ((plan >> (i % 4 * 2)) & 3) {
        case 0: w2.U64(again.U64()); break;
        case 1: w2.Str(again.Str()); break;
        case 2: w2.Map(again.Map()); break;
        default: break;
      }
    }
    if (!again.ok() || w2.data() != w.data()) std::abort();
  }
  return 0;
}
