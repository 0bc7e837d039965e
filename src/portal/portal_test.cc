#include "portal/portal.h"

#include <gtest/gtest.h>

#include <string>

namespace schemaport::portal {
namespace {

#ifndef SCHEMAPORT_PORTAL_DISABLED

TEST(PortalTest, IndexIsTheEntryPageAndSlashFindsIt) {
  const Asset* index = Index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index, Find("/"));
  EXPECT_EQ(index->path, "/index.html");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<div id=\"app\">"), std::string_view::npos);
  EXPECT_FALSE(index->immutable);
}

TEST(PortalTest, EveryScriptAndStylesheetTheIndexNamesIsEmbedded) {
  // The entry page loads its script and stylesheet from /assets/ (no inline code: CSP).
  std::string_view html = Index()->body;
  int found = 0;
  for (std::string_view attr : {"src=\"", "href=\""}) {
    for (std::size_t at = html.find(attr); at != std::string_view::npos;
         at = html.find(attr, at + 1)) {
      const std::size_t start = at + attr.size();
      const std::string_view path = html.substr(start, html.find('"', start) - start);
      if (!path.starts_with("/assets/")) continue;
      const Asset* a = Find(path);
      ASSERT_NE(a, nullptr) << path;
      EXPECT_TRUE(a->immutable);
      EXPECT_FALSE(a->body.empty());
      ++found;
    }
  }
  EXPECT_GE(found, 2);
  EXPECT_EQ(html.find("<script>"), std::string_view::npos) << "no inline script";
  EXPECT_EQ(html.find("style=\""), std::string_view::npos) << "no inline style";
}

TEST(PortalTest, AssetsAreSortedWithContentTypesEtagsAndSmallerGzip) {
  auto all = All();
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Asset& a = all[i];
    if (i > 0) {
      EXPECT_LT(all[i - 1].path, a.path);
    }
    EXPECT_FALSE(a.content_type.empty()) << a.path;
    EXPECT_TRUE(a.etag.starts_with('"') && a.etag.ends_with('"')) << a.path;
    if (!a.gzip.empty()) {
      EXPECT_LT(a.gzip.size(), a.body.size()) << a.path;
      EXPECT_EQ(static_cast<unsigned char>(a.gzip[0]), 0x1f);
      EXPECT_EQ(static_cast<unsigned char>(a.gzip[1]), 0x8b);
    }
    EXPECT_EQ(Find(a.path), &a);
    if (a.path.ends_with(".js")) {
      EXPECT_EQ(a.content_type, "text/javascript; charset=utf-8");
    }
    if (a.path.ends_with(".css")) {
      EXPECT_EQ(a.content_type, "text/css; charset=utf-8");
    }
  }
}

#endif

TEST(PortalTest, UnknownPathsAreNotFound) {
  EXPECT_EQ(Find("/connect"), nullptr);
  EXPECT_EQ(Find("/assets/missing.js"), nullptr);
  EXPECT_EQ(Find("/../etc/passwd"), nullptr);
  EXPECT_EQ(Find("/index.html/"), nullptr);
}

}  // namespace
}  // namespace schemaport::portal
