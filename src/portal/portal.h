// The portal's built files (web/, built by Vite at build time), embedded in the binary.
//
// Find("/assets/index-abc.js") returns that file; "/" and "/index.html" return the entry page.
// The server serves every GET outside /api from here and answers an unknown path with Index()
// (the single-page app routes on the client). Bodies live for the program's lifetime.
// Thread safety: everything here is immutable; call from any thread.
#pragma once

#include <span>
#include <string_view>

namespace schemaport::portal {

struct Asset {
  std::string_view path;          // "/index.html", "/assets/index-abc123.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view body;          // the file as built
  std::string_view gzip;          // the same, gzip-compressed (-9, no name or time); may be empty
  std::string_view etag;          // strong validator, quoted: "\"sha256-prefix\""
  bool immutable;                 // content-hashed name (/assets/): cache forever
};

// The asset at `path` (exact match; "/" means "/index.html"), or nullptr.
const Asset* Find(std::string_view path);

// The entry page, for paths the client-side router handles. nullptr only when the binary was
// built without the portal (-DSCHEMAPORT_PORTAL=OFF).
const Asset* Index();

// Every asset, for listings and tests.
std::span<const Asset> All();

}  // namespace schemaport::portal
