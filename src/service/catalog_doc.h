// The fetched-catalog document the service keeps sealed in the store (store::FetchedCatalog),
// the selection it carries, and the change marks of the last fetch or refresh. Internal to
// src/service.
//
// One document per connection, replaced by each fetch, refresh and save:
//   - the tree of the last fetch: databases (each with its error when it could not be read),
//     schemas, tables with kind, comment and SELECT privilege; never columns;
//   - per table: `known` (it existed when metadata was last saved, or at the first fetch when
//     nothing was saved yet: a table that is not known is marked new), `saved` and its saved
//     column count, and its change mark;
//   - the saved selection (explicit tables and patterns), the time of the last save;
//   - saved tables gone in the last fetch (`removed`), and the column marks of saved tables
//     whose columns a refresh re-read.
// Encoding: a version number, then varint lengths and counts, strings as bytes; compact and
// linear to read (10,000 tables decode in a few milliseconds).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "service/service.h"

namespace schemaport::service::internal {

struct DocTable {
  std::string name;
  warehouse::TableKind kind = warehouse::TableKind::kTable;
  std::optional<std::string> comment;
  bool can_select = false;
  bool known = true;
  bool saved = false;
  std::int64_t column_count = 0;  // when saved
  Mark mark = Mark::kNone;
};

struct DocSchema {
  std::string name;
  warehouse::SchemaKind kind = warehouse::SchemaKind::kLocal;
  std::optional<std::string> source;
  std::vector<DocTable> tables;
};

struct DocDatabase {
  std::string name;
  std::optional<Status> error;
  std::vector<DocSchema> schemas;
};

struct ColumnMarks {
  warehouse::TableRef table;
  std::vector<std::pair<std::string, Mark>> columns;  // kNew or kChanged, by column name
  std::vector<std::string> removed;
};

struct CatalogDoc {
  bool case_sensitive = false;  // the warehouse's, from the last fetch (warehouse::Catalog)
  TimePoint fetched_at;
  std::optional<TimePoint> saved_at;
  Selection selection;  // the saved selection
  std::vector<DocDatabase> databases;
  std::vector<warehouse::TableRef> removed;
  std::vector<ColumnMarks> column_marks;

  std::int64_t TableCount() const;
};

std::string EncodeDoc(const CatalogDoc& doc);
Result<CatalogDoc> DecodeDoc(std::string_view data);

// Which tables a selection selects: listed ones, and those an include matches and no exclude
// does (with no include, patterns select nothing).
class SelectionMatcher {
 public:
  // kInvalidArgument naming the bad pattern ("include[1]: ..."). Patterns match ignoring ASCII
  // case unless the warehouse is case-sensitive: use MatchCaseOf(doc).
  static Result<SelectionMatcher> Make(const Selection& selection, MatchCase match_case);
  bool Selected(const warehouse::TableRef& ref) const;
  bool MatchedByPatterns(const warehouse::TableRef& ref) const;

 private:
  std::set<warehouse::TableRef> explicit_;
  std::optional<warehouse::TableFilter> filter_;  // set when there is an include
};

inline MatchCase MatchCaseOf(const CatalogDoc& doc) {
  return doc.case_sensitive ? MatchCase::kExact : MatchCase::kIgnoreAscii;
}

// The API's view of a document. O(tables log tables).
CatalogView BuildCatalogView(const CatalogDoc& doc, const SelectionMatcher& matcher);

// A fetched catalog (tables depth) as a document, with `known`, `saved`, marks and `removed`
// computed against the previous document (may be null) and the saved tables. Databases that
// failed are listed with their error and keep the previous document's tables; saved tables in
// them are not reported removed. Unless `listed_all` (the fetch read a list of databases it was
// given), databases of the previous document that were not fetched are kept as they were.
struct FetchedDatabase {
  std::string name;
  std::optional<Status> error;
  std::vector<warehouse::Schema> schemas;
};
CatalogDoc BuildDoc(std::vector<FetchedDatabase> fetched, const CatalogDoc* previous,
                    const std::vector<store::SavedTable>& saved, TimePoint fetched_at,
                    bool listed_all);

// Compares re-read columns of saved tables with what is saved: marks the tables changed (in
// `doc`) and records their column marks. `reread` holds tables with columns loaded.
void MarkColumnChanges(CatalogDoc& doc, const std::vector<store::SavedTable>& saved,
                       const warehouse::Catalog& reread);

// Saved-table rows of a fetched (kColumns) catalog, keeping the ids of `previous` rows; declared
// keys go in the datamap::kConstraintsAttribute attribute, column families in `family`.
std::vector<store::SavedTable> ToSavedTables(const warehouse::Catalog& catalog,
                                             const std::vector<store::SavedTable>& previous);

warehouse::TableRef RefOf(const store::SavedTable& t);

// "cancelled: the job was cancelled" <-> Status (unknown codes read as kInternal).
std::string EncodeJobError(const Status& status);
Status DecodeJobError(std::string_view text);

}  // namespace schemaport::service::internal
