// The store conformance suite: every case runs against SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "store/store_test_backends.h"

namespace schemaport::store {
namespace {

using namespace std::chrono_literals;
using testing::BackendNames;
using testing::Backends;

// Known values that must never be found in clear at rest.
constexpr std::string_view kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYKNOWNSECRET";
constexpr std::string_view kAccessKeyId = "AKIAKNOWNACCESSKEY77";
constexpr std::string_view kWorkgroup = "wg-hidden-analytics";
constexpr std::string_view kDatabase = "zebra_finance_db";
constexpr std::string_view kSchema = "secret_schema_x";
constexpr std::string_view kTable = "payroll_ssn_table";
constexpr std::string_view kColumn = "salary_column_q";
constexpr std::string_view kComment = "confidential comment about bonuses";
constexpr std::string_view kOrgName = "Umbrella Holdings Ltd";
constexpr std::string_view kConnectionName = "prod-warehouse-connection";
constexpr std::string_view kEmail = "cfo.private@umbrella.example";

template <typename Backend>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = crypto::LocalKeyFile::Open(backend_.dir() / "keys" / "master.key", random_).value();
    crypto_ = std::make_unique<crypto::Crypto>(*keys_, random_);
    auto store = backend_.Open(deps());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    org_ = store_->CreateOrg(std::string(kOrgName)).value();
  }

  StoreDeps deps() { return StoreDeps{*crypto_, hasher_, clock_, random_}; }

  void Reopen() {
    store_.reset();
    auto store = backend_.Open(deps());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
  }

  Connection SampleConnection() {
    Connection c;
    c.org_id = org_.id;
    c.data_store_type = "redshift";
    c.name = std::string(kConnectionName);
    c.settings = {{"region", "eu-west-1"}, {"workgroup", std::string(kWorkgroup)}};
    c.credentials = {{"access_key_id", Secret(std::string(kAccessKeyId))},
                     {"secret_access_key", Secret(std::string(kSecretKey))}};
    return c;
  }

  static SavedTable SampleTable(std::string name, int columns, std::string marker = "") {
    SavedTable t;
    t.database = std::string(kDatabase);
    t.schema = std::string(kSchema);
    t.name = std::move(name);
    t.kind = "table";
    t.comment = std::string(kComment);
    if (!marker.empty()) t.attributes["generation"] = marker;
    for (int i = 0; i < columns; ++i) {
      SavedColumn c;
      c.name = fmt::format("{}_{}", kColumn, i);
      c.type = i % 2 ? "character varying(256)" : "numeric(12,2)";
      c.ordinal = i + 1;
      c.nullable = i % 3 != 0;
      c.comment = i == 0 ? std::string(kComment) : "";
      t.columns.push_back(std::move(c));
    }
    return t;
  }

  Backend backend_;
  SystemRandom random_;
  FakeClock clock_;
  crypto::PasswordHasher hasher_{crypto::PasswordHasher::Minimum()};
  std::unique_ptr<crypto::LocalKeyFile> keys_;
  std::unique_ptr<crypto::Crypto> crypto_;
  std::unique_ptr<Store> store_;
  Org org_;
};

TYPED_TEST_SUITE(StoreConformanceTest, Backends, BackendNames);

// ---------------------------------------------------------------------------------------------
// Schema and migrations

TYPED_TEST(StoreConformanceTest, MigratesToCurrentVersionAndReopensIdempotently) {
  EXPECT_EQ(this->store_->SchemaVersion().value(), kSchemaVersion);
  this->Reopen();
  EXPECT_EQ(this->store_->SchemaVersion().value(), kSchemaVersion);
  EXPECT_EQ(this->store_->GetOrg(this->org_.id).value().name, kOrgName);
}

TYPED_TEST(StoreConformanceTest, RefusesSchemaNewerThanKnown) {
  this->store_.reset();
  ASSERT_TRUE(this->backend_
                  .Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                        std::to_string(kSchemaVersion + 1) + ", 0)")
                  .ok());
  auto store = this->backend_.Open(this->deps());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status();
}

// ---------------------------------------------------------------------------------------------
// Orgs, users, sessions, tokens

TYPED_TEST(StoreConformanceTest, OrgRoundTripsAndCounts) {
  const Org got = this->store_->GetOrg(this->org_.id).value();
  EXPECT_EQ(got.name, kOrgName);
  EXPECT_EQ(got.created_at, this->clock_.Now());
  this->store_->CreateOrg("second").value();
  EXPECT_EQ(this->store_->CountOrgs().value(), 2);
  EXPECT_EQ(this->store_->GetOrg("nope").status().code(), Code::kNotFound);
}

TYPED_TEST(StoreConformanceTest, UsersHaveUniqueEmailsAndVerifyPasswords) {
  Store& s = *this->store_;
  const User u =
      s.CreateUser(this->org_.id, " Alice@Example.COM ", Role::kAdmin, Secret("pw-alice-1"))
          .value();
  EXPECT_EQ(u.email, "alice@example.com");
  EXPECT_EQ(
      s.CreateUser(this->org_.id, "alice@example.com", Role::kMember, Secret("x")).status().code(),
      Code::kAlreadyExists);
  EXPECT_EQ(s.CreateUser(this->org_.id, "not-an-email", Role::kMember, Secret("x")).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      s.CreateUser("no-such-org", "b@example.com", Role::kMember, Secret("x")).status().code(),
      Code::kNotFound);

  const User v = s.VerifyPassword("ALICE@example.com", Secret("pw-alice-1")).value();
  EXPECT_EQ(v.id, u.id);
  EXPECT_EQ(v.role, Role::kAdmin);
  const auto wrong = s.VerifyPassword("alice@example.com", Secret("pw-alice-2"));
  const auto unknown = s.VerifyPassword("bob@example.com", Secret("pw-alice-1"));
  EXPECT_EQ(wrong.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(unknown.status(), wrong.status());  // no hint which one was wrong

  ASSERT_TRUE(s.SetPassword(this->org_.id, u.id, Secret("pw-alice-2")).ok());
  EXPECT_TRUE(s.VerifyPassword("alice@example.com", Secret("pw-alice-2")).ok());
  EXPECT_FALSE(s.VerifyPassword("alice@example.com", Secret("pw-alice-1")).ok());

  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.GetUser(other.id, u.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.GetUser(this->org_.id, u.id).value().email, "alice@example.com");
  s.CreateUser(this->org_.id, "carol@example.com", Role::kMember, Secret("pw")).value();
  EXPECT_EQ(s.ListUsers(this->org_.id).value().size(), 2u);
  EXPECT_TRUE(s.ListUsers(other.id).value().empty());
  EXPECT_EQ(this->backend_.RawContents().find("pw-alice"), std::string::npos);
}

TYPED_TEST(StoreConformanceTest, SessionsAreFoundByTokenUntilExpiryOrDeletion) {
  Store& s = *this->store_;
  const User u = s.CreateUser(this->org_.id, "a@example.com", Role::kMember, Secret("pw")).value();
  const IssuedSession issued = s.CreateSession(u.id, 3600s).value();
  EXPECT_EQ(issued.session.org_id, this->org_.id);
  const Session got = s.LookupSession(issued.token).value();
  EXPECT_EQ(got.id, issued.session.id);
  EXPECT_EQ(got.user_id, u.id);
  EXPECT_EQ(s.LookupSession(Secret("sps_forged")).status().code(), Code::kUnauthenticated);
  // Only the hash is at rest.
  EXPECT_EQ(this->backend_.RawContents().find(issued.token.Reveal()), std::string::npos);

  this->clock_.Advance(3601s);
  EXPECT_EQ(s.LookupSession(issued.token).status().code(), Code::kUnauthenticated);

  const IssuedSession second = s.CreateSession(u.id, 3600s).value();
  ASSERT_TRUE(s.DeleteSession(second.token).ok());
  EXPECT_EQ(s.LookupSession(second.token).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(s.CreateSession("no-such-user", 1s).status().code(), Code::kNotFound);
}

TYPED_TEST(StoreConformanceTest, ApiTokensAreHashedListedRevokedAndExpire) {
  Store& s = *this->store_;
  const User u = s.CreateUser(this->org_.id, "a@example.com", Role::kAdmin, Secret("pw")).value();
  const IssuedApiToken forever = s.CreateApiToken(u.id, "ci pipeline", std::nullopt).value();
  const IssuedApiToken brief = s.CreateApiToken(u.id, "short", 60s).value();
  EXPECT_EQ(s.LookupApiToken(forever.secret).value().name, "ci pipeline");
  EXPECT_EQ(s.LookupApiToken(brief.secret).value().user_id, u.id);
  const TokenHolder holder = s.LookupApiTokenHolder(forever.secret).value();
  EXPECT_EQ(holder.token_id, forever.token.id);
  EXPECT_EQ(holder.user_id, u.id);
  EXPECT_EQ(holder.org_id, this->org_.id);
  EXPECT_EQ(holder.role, Role::kAdmin);
  EXPECT_EQ(s.GetUserRole(this->org_.id, u.id).value(), Role::kAdmin);
  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.GetUserRole(other.id, u.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.LookupApiTokenHolder(Secret("spt_not-a-token")).status().code(),
            Code::kUnauthenticated);
  EXPECT_EQ(s.ListApiTokens(this->org_.id).value().size(), 2u);
  const std::string raw = this->backend_.RawContents();
  EXPECT_EQ(raw.find(forever.secret.Reveal()), std::string::npos);
  EXPECT_EQ(raw.find("ci pipeline"), std::string::npos);

  this->clock_.Advance(61s);
  EXPECT_EQ(s.LookupApiToken(brief.secret).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(s.LookupApiTokenHolder(brief.secret).status().code(), Code::kUnauthenticated);
  EXPECT_TRUE(s.LookupApiTokenHolder(forever.secret).ok());
  ASSERT_TRUE(s.RevokeApiToken(this->org_.id, forever.token.id).ok());
  EXPECT_EQ(s.LookupApiToken(forever.secret).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(s.LookupApiTokenHolder(forever.secret).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(s.RevokeApiToken(this->org_.id, forever.token.id).code(), Code::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Connections, catalogs, saved tables

TYPED_TEST(StoreConformanceTest, ConnectionsRoundTripUpdateListAndDelete) {
  Store& s = *this->store_;
  const Connection created = s.CreateConnection(this->SampleConnection()).value();
  EXPECT_FALSE(created.id.empty());
  const Connection got = s.GetConnection(this->org_.id, created.id).value();
  EXPECT_EQ(got.name, kConnectionName);
  EXPECT_EQ(got.data_store_type, "redshift");
  EXPECT_EQ(got.settings, this->SampleConnection().settings);
  ASSERT_EQ(got.credentials.size(), 2u);
  EXPECT_EQ(got.credentials.at("secret_access_key").Reveal(), kSecretKey);

  Connection changed = got;
  changed.name = "renamed";
  changed.settings["database"] = "dev";
  changed.credentials.erase("access_key_id");
  this->clock_.Advance(5s);
  ASSERT_TRUE(s.UpdateConnection(changed).ok());
  const Connection after = s.GetConnection(this->org_.id, created.id).value();
  EXPECT_EQ(after.name, "renamed");
  EXPECT_EQ(after.settings.at("database"), "dev");
  EXPECT_EQ(after.credentials.size(), 1u);
  EXPECT_GT(after.updated_at, after.created_at);

  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.GetConnection(other.id, created.id).status().code(), Code::kNotFound);
  Connection foreign = changed;
  foreign.org_id = other.id;
  EXPECT_EQ(s.UpdateConnection(foreign).code(), Code::kNotFound);
  EXPECT_EQ(s.DeleteConnection(other.id, created.id).code(), Code::kNotFound);

  s.CreateConnection(this->SampleConnection()).value();
  EXPECT_EQ(s.ListConnections(this->org_.id).value().size(), 2u);
  ASSERT_TRUE(s.DeleteConnection(this->org_.id, created.id).ok());
  EXPECT_EQ(s.GetConnection(this->org_.id, created.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.ListConnections(this->org_.id).value().size(), 1u);
}

TYPED_TEST(StoreConformanceTest, CatalogIsReplacedAndExpires) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  EXPECT_EQ(s.GetCatalog(this->org_.id, c.id).status().code(), Code::kNotFound);
  FetchedCatalog cat{c.id, this->org_.id,           this->clock_.Now(), this->clock_.Now() + 3600s,
                     3,    "{\"tables\":[\"one\"]}"};
  ASSERT_TRUE(s.PutCatalog(cat).ok());
  EXPECT_EQ(s.GetCatalog(this->org_.id, c.id).value().document, cat.document);
  cat.document = "{\"tables\":[\"two\"]}";
  cat.table_count = 4;
  ASSERT_TRUE(s.PutCatalog(cat).ok());
  const FetchedCatalog got = s.GetCatalog(this->org_.id, c.id).value();
  EXPECT_EQ(got.document, cat.document);
  EXPECT_EQ(got.table_count, 4);

  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.GetCatalog(other.id, c.id).status().code(), Code::kNotFound);
  cat.org_id = other.id;
  EXPECT_EQ(s.PutCatalog(cat).code(), Code::kNotFound);

  this->clock_.Advance(3601s);
  EXPECT_EQ(s.GetCatalog(this->org_.id, c.id).status().code(), Code::kNotFound);
  ASSERT_TRUE(s.PurgeExpired().ok());
  this->clock_.Set(cat.fetched_at);
  EXPECT_EQ(s.GetCatalog(this->org_.id, c.id).status().code(), Code::kNotFound);  // purged
}

TYPED_TEST(StoreConformanceTest, ConnectionDocumentsAreKeptPerKindAndGoWithTheConnection) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  const Connection d = s.CreateConnection(this->SampleConnection()).value();
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "decisions").value(), std::nullopt);
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, c.id, "decisions", "one").ok());
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, c.id, "previous", "two").ok());
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, d.id, "decisions", "three").ok());
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "decisions").value(), "one");
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "previous").value(), "two");
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, d.id, "decisions").value(), "three");
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, c.id, "decisions", "").ok());
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "decisions").value(), "");
  // Replacing saved tables (a re-save) and the catalog (a refresh) leaves documents alone.
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id, {this->SampleTable("t", 1)}).ok());
  ASSERT_TRUE(
      s.PutCatalog({c.id, this->org_.id, this->clock_.Now(), this->clock_.Now() + 1s, 1, "doc"})
          .ok());
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "previous").value(), "two");

  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.GetConnectionDocument(other.id, c.id, "previous").status().code(), Code::kNotFound);
  EXPECT_EQ(s.PutConnectionDocument(other.id, c.id, "previous", "x").code(), Code::kNotFound);
  EXPECT_EQ(s.PutConnectionDocument(this->org_.id, "nope", "previous", "x").code(),
            Code::kNotFound);
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "previous").value(), "two");

  ASSERT_TRUE(s.DeleteConnection(this->org_.id, c.id).ok());
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "previous").status().code(),
            Code::kNotFound);
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, d.id, "decisions").value(), "three");
}

// Regression: the Data Map's decisions were read, changed and put back in three steps, so two
// instances deciding at the same moment could lose one decision.
TYPED_TEST(StoreConformanceTest, ConnectionDocumentUpdatesTakeTurnsAcrossInstances) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  // An error from the update leaves the document as it was (here: none).
  EXPECT_EQ(
      s.UpdateConnectionDocument(this->org_.id, c.id, "log",
                                 [](const std::optional<std::string>&) -> Result<std::string> {
                                   return InvalidArgument("no");
                                 })
          .code(),
      Code::kInvalidArgument);
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "log").value(), std::nullopt);

  auto other_instance = this->backend_.Open(this->deps());
  ASSERT_TRUE(other_instance.ok()) << other_instance.status();
  std::vector<Store*> stores = {&s, other_instance->get()};
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const Status st = stores[t % 2]->UpdateConnectionDocument(
            this->org_.id, c.id, "log",
            [&](const std::optional<std::string>& doc) -> Result<std::string> {
              return doc.value_or("") + static_cast<char>('a' + t);
            });
        EXPECT_TRUE(st.ok()) << st;
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::string log = s.GetConnectionDocument(this->org_.id, c.id, "log").value().value();
  ASSERT_EQ(log.size(), static_cast<std::size_t>(kThreads * kEach)) << "an update was lost";
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(std::count(log.begin(), log.end(), static_cast<char>('a' + t)), kEach);
  }
  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.UpdateConnectionDocument(
                 other.id, c.id, "log",
                 [](const std::optional<std::string>&) -> Result<std::string> { return "x"; })
                .code(),
            Code::kNotFound);
}

TYPED_TEST(StoreConformanceTest, ConnectionDocumentOfAnotherKindOrRowIsDataLoss) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, c.id, "a", "first").ok());
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, c.id, "b", "second").ok());
  const auto a =
      this->backend_.ReadBlob("connection_documents", "document_sealed", "kind", "a").value();
  ASSERT_TRUE(
      this->backend_.WriteBlob("connection_documents", "document_sealed", "kind", "b", a).ok());
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "b").status().code(), Code::kDataLoss);
  EXPECT_EQ(s.GetConnectionDocument(this->org_.id, c.id, "a").value(), "first");
}

TYPED_TEST(StoreConformanceTest, CatalogRevisionChangesWithEveryWriteAndIsOrgScoped) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  EXPECT_EQ(s.CatalogRevision(this->org_.id, c.id).status().code(), Code::kNotFound);
  FetchedCatalog cat{c.id, this->org_.id, this->clock_.Now(), this->clock_.Now() + 3600s, 1, "doc"};
  cat.revision = "chosen-by-the-caller";
  ASSERT_TRUE(s.PutCatalog(cat).ok());
  const std::string first = s.CatalogRevision(this->org_.id, c.id).value();
  EXPECT_FALSE(first.empty());
  EXPECT_NE(first, cat.revision) << "the store assigns the revision";
  EXPECT_EQ(s.GetCatalog(this->org_.id, c.id).value().revision, first);
  EXPECT_EQ(s.CatalogRevision(this->org_.id, c.id).value(), first) << "reading changes nothing";

  // The same document written again (same time, same content) is still a new revision.
  ASSERT_TRUE(s.PutCatalog(cat).ok());
  const std::string second = s.CatalogRevision(this->org_.id, c.id).value();
  EXPECT_NE(second, first);
  EXPECT_EQ(s.GetCatalog(this->org_.id, c.id).value().revision, second);

  // Seen by another instance on the same store.
  auto other_instance = this->backend_.Open(this->deps());
  ASSERT_TRUE(other_instance.ok()) << other_instance.status();
  EXPECT_EQ((*other_instance)->CatalogRevision(this->org_.id, c.id).value(), second);

  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.CatalogRevision(other.id, c.id).status().code(), Code::kNotFound);
  this->clock_.Advance(3601s);
  EXPECT_EQ(s.CatalogRevision(this->org_.id, c.id).status().code(), Code::kNotFound)
      << "expired, like GetCatalog";
  this->clock_.Set(cat.fetched_at);
  ASSERT_TRUE(s.DeleteConnection(this->org_.id, c.id).ok());
  EXPECT_EQ(s.CatalogRevision(this->org_.id, c.id).status().code(), Code::kNotFound);
}

TYPED_TEST(StoreConformanceTest, SavedTablesAreReplacedWholeAndLoadedOneByOne) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  const Connection d = s.CreateConnection(this->SampleConnection()).value();
  std::vector<SavedTable> first;
  for (int i = 0; i < 450; ++i) first.push_back(this->SampleTable(fmt::format("t{}", i), 5));
  first[7].attributes["badge"] = "late_binding_view";
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id, first).ok());
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, d.id, {this->SampleTable("other", 1)}).ok());

  const auto listed = s.ListSavedTables(this->org_.id, c.id).value();
  ASSERT_EQ(listed.size(), 450u);
  const auto it = std::find_if(listed.begin(), listed.end(),
                               [](const SavedTable& t) { return t.name == "t7"; });
  ASSERT_NE(it, listed.end());
  EXPECT_EQ(it->attributes.at("badge"), "late_binding_view");
  const SavedTable one = s.GetSavedTable(this->org_.id, c.id, it->id).value();
  EXPECT_EQ(one.name, "t7");
  EXPECT_EQ(one.database, kDatabase);
  EXPECT_EQ(one.schema, kSchema);
  EXPECT_EQ(one.comment, kComment);
  EXPECT_EQ(one.columns, first[7].columns);
  EXPECT_EQ(one.connection_id, c.id);

  // Replacing keeps nothing of the old set; other connections are untouched.
  std::vector<SavedTable> second = {this->SampleTable("only", 2)};
  second[0].id = "fixed-id";
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id, second).ok());
  const auto now = s.ListSavedTables(this->org_.id, c.id).value();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].id, "fixed-id");
  EXPECT_EQ(s.GetSavedTable(this->org_.id, c.id, it->id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.ListSavedTables(this->org_.id, d.id).value().size(), 1u);
  EXPECT_EQ(s.GetSavedTable(this->org_.id, d.id, "fixed-id").status().code(), Code::kNotFound);
  // Ids are per connection: another connection may use the same one.
  std::vector<SavedTable> same_id = {this->SampleTable("other-only", 1)};
  same_id[0].id = "fixed-id";
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, d.id, same_id).ok());
  EXPECT_EQ(s.GetSavedTable(this->org_.id, d.id, "fixed-id").value().name, "other-only");
  EXPECT_EQ(s.GetSavedTable(this->org_.id, c.id, "fixed-id").value().name, "only");

  EXPECT_EQ(s.ReplaceSavedTables(this->org_.id, "no-such-connection", second).code(),
            Code::kNotFound);
  std::vector<SavedTable> dup = {this->SampleTable("a", 1), this->SampleTable("b", 1)};
  dup[0].id = dup[1].id = "same";
  EXPECT_EQ(s.ReplaceSavedTables(this->org_.id, c.id, dup).code(), Code::kInvalidArgument);
  EXPECT_EQ(s.ListSavedTables(this->org_.id, c.id).value().size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Jobs

TYPED_TEST(StoreConformanceTest, JobsAreClaimedOnceAndReclaimedAfterLeaseExpiry) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  EXPECT_FALSE(s.ClaimJob("worker-a", 30s, 3).value().has_value());
  const Job created =
      s.CreateJob({this->org_.id, c.id, "fetch", "{\"selection\":[\"payroll\"]}"}).value();
  EXPECT_EQ(s.GetJob(this->org_.id, created.id).value().state, JobState::kQueued);
  this->clock_.Advance(1s);
  const Job second = s.CreateJob({this->org_.id, c.id, "save", "{}"}).value();

  const auto claimed = s.ClaimJob("worker-a", 30s, 3).value();
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, created.id);  // oldest first
  EXPECT_EQ(claimed->state, JobState::kRunning);
  EXPECT_EQ(claimed->lease_owner, "worker-a");
  EXPECT_EQ(claimed->attempts, 1);
  EXPECT_EQ(claimed->input, "{\"selection\":[\"payroll\"]}");

  const auto next = s.ClaimJob("worker-b", 30s, 3).value();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, second.id);
  EXPECT_FALSE(s.ClaimJob("worker-b", 30s, 3).value().has_value());

  ASSERT_TRUE(s.UpdateJobProgress(created.id, "worker-a", 3, 10, "Reading payroll_db", 30s).ok());
  EXPECT_EQ(s.UpdateJobProgress(created.id, "worker-b", 4, 10, "step", 30s).status().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(s.GetJob(this->org_.id, created.id).value().progress_done, 3);
  EXPECT_EQ(s.GetJob(this->org_.id, created.id).value().step, "Reading payroll_db");

  // worker-a dies: after its lease expires, worker-b takes the job over.
  this->clock_.Advance(31s);
  ASSERT_TRUE(s.UpdateJobProgress(second.id, "worker-b", 1, 1, "step", 30s).ok());  // b is alive
  const auto taken = s.ClaimJob("worker-b", 30s, 3).value();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->id, created.id);
  EXPECT_EQ(taken->attempts, 2);
  EXPECT_EQ(s.UpdateJobProgress(created.id, "worker-a", 5, 10, "step", 30s).status().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(s.FinishJob(created.id, "worker-a", JobState::kSucceeded, "").code(),
            Code::kFailedPrecondition);

  ASSERT_TRUE(
      s.FinishJob(created.id, "worker-b", JobState::kFailed, "table payroll vanished").ok());
  const Job failed = s.GetJob(this->org_.id, created.id).value();
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error, "table payroll vanished");
  ASSERT_TRUE(s.FinishJob(second.id, "worker-b", JobState::kSucceeded, "").ok());
  EXPECT_EQ(s.GetJob(this->org_.id, second.id).value().state, JobState::kSucceeded);
  this->clock_.Advance(3600s);
  EXPECT_FALSE(s.ClaimJob("worker-c", 30s, 3).value().has_value());  // finished jobs stay done

  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.GetJob(other.id, created.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.CreateJob({this->org_.id, "no-such-connection", "fetch", ""}).status().code(),
            Code::kNotFound);
}

TYPED_TEST(StoreConformanceTest, ConcurrentInstancesClaimEachJobExactlyOnce) {
  // Two store instances on the same database, each with two claiming threads.
  auto second = this->backend_.Open(this->deps());
  ASSERT_TRUE(second.ok()) << second.status();
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(this->store_->CreateJob({this->org_.id, "", "fetch", std::to_string(i)}).ok());
  }
  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::string> errors;
  auto worker = [&](Store* store, std::string owner) {
    for (;;) {
      auto job = store->ClaimJob(owner, 60s, 3);
      if (!job.ok()) {
        if (job.status().code() == Code::kUnavailable) continue;  // busy: try again
        std::lock_guard lock(mu);
        errors.push_back(job.status().ToString());
        return;
      }
      if (!job->has_value()) return;
      std::lock_guard lock(mu);
      claimed.push_back((*job)->id);
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(worker, this->store_.get(), "a1");
  threads.emplace_back(worker, this->store_.get(), "a2");
  threads.emplace_back(worker, second->get(), "b1");
  threads.emplace_back(worker, second->get(), "b2");
  for (auto& t : threads) t.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::unique(claimed.begin(), claimed.end()), claimed.end())
      << "a job was claimed twice";
}

TYPED_TEST(StoreConformanceTest, JobInterruptedTooOftenIsFailedWithAReason) {
  Store& s = *this->store_;
  const Job job = s.CreateJob({this->org_.id, "", "save", "{}"}).value();
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const auto claimed = s.ClaimJob("dies-" + std::to_string(attempt), 10s, 2).value();
    ASSERT_TRUE(claimed.has_value());
    EXPECT_EQ(claimed->attempts, attempt);
    this->clock_.Advance(11s);  // the owner died
  }
  EXPECT_FALSE(s.ClaimJob("worker", 10s, 2).value().has_value());
  const Job failed = s.GetJob(this->org_.id, job.id).value();
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error.rfind("unavailable: the job was interrupted 2 times", 0), 0u)
      << failed.error;
}

TYPED_TEST(StoreConformanceTest, JobWhoseRowDoesNotOpenIsFailedNotClaimedForever) {
  Store& s = *this->store_;
  const Job bad = s.CreateJob({this->org_.id, "", "fetch", "secret input"}).value();
  this->clock_.Advance(1s);
  const Job good = s.CreateJob({this->org_.id, "", "fetch", "fine"}).value();
  // Another job's sealed input moved onto this row: it no longer opens.
  const auto blob = this->backend_.ReadBlob("jobs", "input_sealed", "id", good.id).value();
  ASSERT_TRUE(this->backend_.WriteBlob("jobs", "input_sealed", "id", bad.id, blob).ok());

  const auto claimed = s.ClaimJob("worker", 30s, 3).value();
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, good.id);                             // the bad one was skipped...
  const Job failed = s.GetJob(this->org_.id, bad.id).value();  // ...and failed, readably
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error.rfind("data_loss: ", 0), 0u) << failed.error;
  EXPECT_FALSE(s.ClaimJob("worker", 30s, 3).value().has_value());
}

TYPED_TEST(StoreConformanceTest, CancelFailsAQueuedJobAndFlagsARunningOne) {
  Store& s = *this->store_;
  const Job queued = s.CreateJob({this->org_.id, "", "fetch", ""}).value();
  const Job cancelled = s.RequestJobCancel(this->org_.id, queued.id).value();
  EXPECT_EQ(cancelled.state, JobState::kFailed);
  EXPECT_EQ(cancelled.error.rfind("cancelled: ", 0), 0u);
  EXPECT_FALSE(s.ClaimJob("w", 30s, 3).value().has_value());

  const Job running = s.CreateJob({this->org_.id, "", "save", ""}).value();
  ASSERT_TRUE(s.ClaimJob("w", 30s, 3).value().has_value());
  EXPECT_FALSE(s.UpdateJobProgress(running.id, "w", 1, 2, "a", 30s).value());
  const Job flagged = s.RequestJobCancel(this->org_.id, running.id).value();
  EXPECT_EQ(flagged.state, JobState::kRunning);
  EXPECT_TRUE(flagged.cancel_requested);
  EXPECT_TRUE(s.UpdateJobProgress(running.id, "w", 2, 2, "b", 30s).value());
  ASSERT_TRUE(s.FinishJob(running.id, "w", JobState::kFailed, "cancelled: by a user").ok());
  EXPECT_EQ(s.RequestJobCancel(this->org_.id, running.id).value().state, JobState::kFailed);

  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.RequestJobCancel(other.id, running.id).status().code(), Code::kNotFound);
  const auto counts = s.CountJobs().value();
  std::int64_t failed = 0;
  for (const JobCount& c : counts) {
    if (c.state == JobState::kFailed) failed += c.count;
  }
  EXPECT_EQ(failed, 2);
}

TYPED_TEST(StoreConformanceTest, FinishAfterLosingTheLeaseChangesNothing) {
  Store& s = *this->store_;
  const Job job = s.CreateJob({this->org_.id, "", "save", ""}).value();
  ASSERT_TRUE(s.ClaimJob("a", 10s, 3).value().has_value());
  this->clock_.Advance(11s);
  ASSERT_TRUE(s.ClaimJob("b", 10s, 3).value().has_value());
  EXPECT_EQ(s.FinishJob(job.id, "a", JobState::kSucceeded, "").code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.GetJob(this->org_.id, job.id).value().state, JobState::kRunning);
  ASSERT_TRUE(s.FinishJob(job.id, "b", JobState::kSucceeded, "").ok());
  EXPECT_EQ(s.FinishJob(job.id, "b", JobState::kSucceeded, "").code(), Code::kFailedPrecondition);
}

TYPED_TEST(StoreConformanceTest, ConcurrentAuditWritersNeverRepeatASequenceNumber) {
  auto second = this->backend_.Open(this->deps());
  ASSERT_TRUE(second.ok()) << second.status();
  constexpr int kPerThread = 15;
  std::atomic<int> errors{0};
  auto writer = [&](Store* store) {
    for (int i = 0; i < kPerThread; ++i) {
      for (;;) {
        auto ev = store->AppendAudit({"", this->org_.id, {}, "u", "x", "t", "d"});
        if (ev.ok()) break;
        if (ev.status().code() != Code::kUnavailable) {
          ++errors;
          break;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(writer, this->store_.get());
  threads.emplace_back(writer, this->store_.get());
  threads.emplace_back(writer, second->get());
  threads.emplace_back(writer, second->get());
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(this->backend_.Count("SELECT COUNT(DISTINCT seq) FROM audit_events"), 4 * kPerThread);
}

TYPED_TEST(StoreConformanceTest, SessionsTouchAndUsersGoWithTheirSessionsAndTokens) {
  Store& s = *this->store_;
  const User u = s.CreateUser(this->org_.id, "u@example.com", Role::kMember, Secret("pw")).value();
  const IssuedSession a = s.CreateSession(u.id, 3600s).value();
  const IssuedSession b = s.CreateSession(u.id, 3600s).value();
  EXPECT_EQ(s.LookupSession(a.token).value().last_seen_at, a.session.created_at);
  this->clock_.Advance(60s);
  ASSERT_TRUE(s.TouchSession(a.session.id, this->clock_.Now()).ok());
  EXPECT_EQ(s.LookupSession(a.token).value().last_seen_at,
            std::chrono::time_point_cast<std::chrono::milliseconds>(this->clock_.Now()));
  ASSERT_TRUE(s.DeleteUserSessions(this->org_.id, u.id, a.session.id).ok());
  EXPECT_TRUE(s.LookupSession(a.token).ok());
  EXPECT_EQ(s.LookupSession(b.token).status().code(), Code::kUnauthenticated);

  const IssuedApiToken t = s.CreateApiToken(u.id, "ci", std::nullopt).value();
  const Org other = s.CreateOrg("other").value();
  EXPECT_EQ(s.DeleteUser(other.id, u.id).code(), Code::kNotFound);
  ASSERT_TRUE(s.DeleteUser(this->org_.id, u.id).ok());
  EXPECT_EQ(s.LookupSession(a.token).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(s.LookupApiToken(t.secret).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(s.LookupApiTokenHolder(t.secret).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(s.GetUser(this->org_.id, u.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.GetUserRole(this->org_.id, u.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.TouchSession(a.session.id, this->clock_.Now()).code(), Code::kUnauthenticated);

  const User found =
      s.CreateUser(this->org_.id, "Found@Example.com", Role::kAdmin, Secret("pw")).value();
  EXPECT_EQ(s.FindUserByEmail(" found@example.COM").value().id, found.id);
  EXPECT_EQ(s.FindUserByEmail("nobody@example.com").status().code(), Code::kNotFound);
  const auto orgs = s.ListOrgs().value();
  ASSERT_EQ(orgs.size(), 2u);
  EXPECT_EQ(orgs[0].name, kOrgName);
}

TYPED_TEST(StoreConformanceTest, ConnectionSummariesCountSavedTablesAndKnowTheFetch) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  EXPECT_TRUE(s.SummarizeConnections(this->org_.id).value().empty());
  FetchedCatalog cat{c.id, this->org_.id, this->clock_.Now(), this->clock_.Now() + 3600s, 2, "doc"};
  ASSERT_TRUE(s.PutCatalog(cat).ok());
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id,
                                   {this->SampleTable("a", 1), this->SampleTable("b", 2)})
                  .ok());
  const auto summaries = s.SummarizeConnections(this->org_.id).value();
  ASSERT_EQ(summaries.count(c.id), 1u);
  EXPECT_EQ(summaries.at(c.id).saved_tables, 2);
  EXPECT_TRUE(summaries.at(c.id).fetched_at.has_value());
  const Org other = s.CreateOrg("other").value();
  EXPECT_TRUE(s.SummarizeConnections(other.id).value().empty());
}

// ---------------------------------------------------------------------------------------------
// Audit

TYPED_TEST(StoreConformanceTest, AuditEventsListNewestFirstWithSealedDetail) {
  Store& s = *this->store_;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.AppendAudit({"",
                               this->org_.id,
                               {},
                               "user-1",
                               "connection.update",
                               "conn-1",
                               "renamed to " + std::string(kTable) + std::to_string(i)})
                    .ok());
  }
  const auto events = s.ListAudit(this->org_.id, 3).value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].detail, std::string("renamed to ") + std::string(kTable) + "4");
  EXPECT_EQ(events[2].detail, std::string("renamed to ") + std::string(kTable) + "2");
  EXPECT_EQ(events[0].action, "connection.update");
  EXPECT_EQ(s.AppendAudit({"", "no-such-org", {}, "u", "x", "t", ""}).status().code(),
            Code::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Proofs: nothing in clear at rest; tampered and moved blobs; rotation; crypto-shredding

TYPED_TEST(StoreConformanceTest, NoSecretOrWarehouseNameIsInClearAtRest) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  const std::string catalog = "{\"databases\":[{\"name\":\"" + std::string(kDatabase) +
                              "\",\"schemas\":[{\"name\":\"" + std::string(kSchema) +
                              "\",\"tables\":[{\"name\":\"" + std::string(kTable) +
                              "\",\"comment\":\"" + std::string(kComment) + "\"}]}]}]}";
  ASSERT_TRUE(s.PutCatalog({c.id, this->org_.id, this->clock_.Now(), this->clock_.Now() + 3600s, 1,
                            catalog})
                  .ok());
  std::vector<SavedTable> tables;
  for (int i = 0; i < 50; ++i) tables.push_back(this->SampleTable(std::string(kTable), 30));
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id, tables).ok());
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, c.id, "decisions", catalog).ok());
  const Job job = s.CreateJob({this->org_.id, c.id, "save", std::string(kTable)}).value();
  ASSERT_TRUE(s.CreateUser(this->org_.id, std::string(kEmail), Role::kAdmin, Secret("pw")).ok());
  ASSERT_TRUE(
      s.AppendAudit({"", this->org_.id, {}, "u", "metadata.save", c.id, std::string(kSchema)})
          .ok());

  const std::string raw = this->backend_.RawContents();
  // Positive control: the raw view does see clear values (ids, the data store type).
  ASSERT_NE(raw.find(c.id), std::string::npos);
  ASSERT_NE(raw.find(job.id), std::string::npos);
  ASSERT_NE(raw.find("redshift"), std::string::npos);
  for (std::string_view needle :
       {kSecretKey, kAccessKeyId, kWorkgroup, kDatabase, kSchema, kTable, kColumn, kComment,
        kOrgName, kConnectionName, std::string_view("numeric(12,2)")}) {
    EXPECT_EQ(raw.find(needle), std::string::npos) << needle << " found in clear at rest";
  }
}

TYPED_TEST(StoreConformanceTest, TamperedBlobIsDataLossNeverGarbage) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id, {this->SampleTable("t", 3)}).ok());
  const std::string id = s.ListSavedTables(this->org_.id, c.id).value().at(0).id;
  crypto::Bytes blob = this->backend_.ReadBlob("saved_tables", "metadata_sealed", "id", id).value();
  blob[blob.size() / 2] ^= 0x20;
  ASSERT_TRUE(this->backend_.WriteBlob("saved_tables", "metadata_sealed", "id", id, blob).ok());
  EXPECT_EQ(s.GetSavedTable(this->org_.id, c.id, id).status().code(), Code::kDataLoss);
  EXPECT_EQ(s.ListSavedTables(this->org_.id, c.id).status().code(), Code::kDataLoss);

  crypto::Bytes creds =
      this->backend_.ReadBlob("connections", "credentials_sealed", "id", c.id).value();
  creds.back() ^= 0x01;
  ASSERT_TRUE(
      this->backend_.WriteBlob("connections", "credentials_sealed", "id", c.id, creds).ok());
  const auto got = s.GetConnection(this->org_.id, c.id);
  EXPECT_EQ(got.status().code(), Code::kDataLoss);
  EXPECT_EQ(got.status().message().find(kSecretKey), std::string::npos);
}

TYPED_TEST(StoreConformanceTest, BlobMovedToAnotherRowOrFieldIsDataLoss) {
  Store& s = *this->store_;
  const Connection a = s.CreateConnection(this->SampleConnection()).value();
  const Connection b = s.CreateConnection(this->SampleConnection()).value();
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, a.id,
                                   {this->SampleTable("x", 1), this->SampleTable("y", 1)})
                  .ok());
  const auto tables = s.ListSavedTables(this->org_.id, a.id).value();
  auto& be = this->backend_;

  // Saved table row -> another row of the same connection.
  const auto t0 = be.ReadBlob("saved_tables", "metadata_sealed", "id", tables[0].id).value();
  ASSERT_TRUE(be.WriteBlob("saved_tables", "metadata_sealed", "id", tables[1].id, t0).ok());
  EXPECT_EQ(s.GetSavedTable(this->org_.id, a.id, tables[1].id).status().code(), Code::kDataLoss);
  EXPECT_TRUE(s.GetSavedTable(this->org_.id, a.id, tables[0].id).ok());

  // Connection a's credentials -> connection b (same org, same shape).
  const auto creds = be.ReadBlob("connections", "credentials_sealed", "id", a.id).value();
  ASSERT_TRUE(be.WriteBlob("connections", "credentials_sealed", "id", b.id, creds).ok());
  EXPECT_EQ(s.GetConnection(this->org_.id, b.id).status().code(), Code::kDataLoss);

  // Settings -> the credentials field of the same row.
  const auto settings = be.ReadBlob("connections", "settings_sealed", "id", a.id).value();
  ASSERT_TRUE(be.WriteBlob("connections", "credentials_sealed", "id", a.id, settings).ok());
  EXPECT_EQ(s.GetConnection(this->org_.id, a.id).status().code(), Code::kDataLoss);

  // A wrapped data key copied to another connection does not unwrap there.
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  const auto key = be.ReadBlob("connections", "wrapped_key", "id", c.id).value();
  const Connection d = s.CreateConnection(this->SampleConnection()).value();
  ASSERT_TRUE(be.WriteBlob("connections", "wrapped_key", "id", d.id, key).ok());
  EXPECT_EQ(s.GetConnection(this->org_.id, d.id).status().code(), Code::kDataLoss);
  EXPECT_TRUE(s.GetConnection(this->org_.id, c.id).ok());
}

TYPED_TEST(StoreConformanceTest, KeyRotationRewrapsEveryDataKeyAndOldVersionOpensUntilDone) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id, {this->SampleTable("t", 3)}).ok());
  const Org other = s.CreateOrg("other").value();
  const User admin =
      s.CreateUser(this->org_.id, "admin@example.com", Role::kAdmin, Secret("pw")).value();
  EXPECT_EQ(s.MasterKeyIdsInUse().value(), std::vector<std::string>{"1"});

  // A crash right after the provider made version 2 current, before the rewrap committed:
  // nothing is rewrapped yet and everything still opens with version 1.
  ASSERT_TRUE(this->keys_->Rotate().ok());
  this->Reopen();
  EXPECT_EQ(this->store_->MasterKeyIdsInUse().value(), std::vector<std::string>{"1"});
  EXPECT_EQ(this->store_->GetConnection(this->org_.id, c.id).value().name, kConnectionName);
  // New keys already use the new version.
  const Connection fresh = this->store_->CreateConnection(this->SampleConnection()).value();
  EXPECT_EQ(this->store_->MasterKeyIdsInUse().value(), (std::vector<std::string>{"1", "2"}));

  // `keys rotate`: version 3, every key rewrapped in one transaction.
  ASSERT_TRUE(this->store_->RotateMasterKey().ok());
  EXPECT_EQ(this->store_->MasterKeyIdsInUse().value(), std::vector<std::string>{"3"});
  EXPECT_EQ(this->keys_->Versions(), (std::vector<std::string>{"1", "2", "3"}));

  // Old versions retired: everything still opens (nothing needs them any more).
  ASSERT_TRUE(this->keys_->RetireOldVersions().ok());
  auto reloaded_keys =
      crypto::LocalKeyFile::Open(this->backend_.dir() / "keys" / "master.key", this->random_)
          .value();
  crypto::Crypto reloaded_crypto(*reloaded_keys, this->random_);
  auto store =
      this->backend_.Open(StoreDeps{reloaded_crypto, this->hasher_, this->clock_, this->random_})
          .value();
  EXPECT_EQ(store->GetOrg(this->org_.id).value().name, kOrgName);
  EXPECT_EQ(store->GetOrg(other.id).value().name, "other");
  EXPECT_EQ(store->GetConnection(this->org_.id, c.id)
                .value()
                .credentials.at("secret_access_key")
                .Reveal(),
            kSecretKey);
  EXPECT_TRUE(store->GetConnection(this->org_.id, fresh.id).ok());
  EXPECT_EQ(store->ListSavedTables(this->org_.id, c.id).value().at(0).name, "t");
  EXPECT_EQ(store->VerifyPassword("admin@example.com", Secret("pw")).value().email,
            "admin@example.com");
  EXPECT_EQ(store->GetUser(this->org_.id, admin.id).value().email, "admin@example.com");
}

TYPED_TEST(StoreConformanceTest, DeletingConnectionShredsItsDataEvenInBackups) {
  Store& s = *this->store_;
  const Connection c = s.CreateConnection(this->SampleConnection()).value();
  const Connection kept = s.CreateConnection(this->SampleConnection()).value();
  ASSERT_TRUE(s.ReplaceSavedTables(this->org_.id, c.id, {this->SampleTable("t", 3)}).ok());
  ASSERT_TRUE(s.PutConnectionDocument(this->org_.id, c.id, "decisions", "sealed").ok());
  const auto wrapped = this->backend_.ReadBlob("connections", "wrapped_key", "id", c.id).value();

  // A backup taken while the connection existed.
  ASSERT_TRUE(this->backend_.Snapshot().ok());
  {
    auto backup = this->backend_.OpenSnapshot(this->deps()).value();
    EXPECT_EQ(backup->GetConnection(this->org_.id, c.id).value().name, kConnectionName);
  }

  ASSERT_TRUE(s.DeleteConnection(this->org_.id, c.id).ok());
  EXPECT_EQ(s.GetConnection(this->org_.id, c.id).status().code(), Code::kNotFound);
  EXPECT_EQ(s.ListSavedTables(this->org_.id, c.id).status().code(), Code::kNotFound);
  if (!std::string(TypeParam::kName).compare("Sqlite")) {
    // secure_delete + WAL checkpoint: the wrapped key's bytes are gone from the files.
    const std::string raw = this->backend_.RawContents();
    EXPECT_EQ(raw.find(std::string(wrapped.begin(), wrapped.end())), std::string::npos);
  }

  // Rotation rewraps what is left; retiring the old version shreds the backup's copy.
  ASSERT_TRUE(s.RotateMasterKey().ok());
  ASSERT_TRUE(this->keys_->RetireOldVersions().ok());
  EXPECT_TRUE(s.GetConnection(this->org_.id, kept.id).ok());
  auto backup = this->backend_.OpenSnapshot(this->deps()).value();
  EXPECT_EQ(backup->GetConnection(this->org_.id, c.id).status().code(), Code::kDataLoss);
  EXPECT_EQ(backup->ListSavedTables(this->org_.id, c.id).status().code(), Code::kDataLoss);
  EXPECT_EQ(backup->GetConnectionDocument(this->org_.id, c.id, "decisions").status().code(),
            Code::kDataLoss);
}

// SQLite only: the files at rest are the owner's alone, and the journal is a WAL.
TEST(StoreSqliteTest, FilesAreOwnerOnlyAndJournaledInWal) {
  testing::SqliteBackend backend;
  SystemRandom random;
  SystemClock clock;
  crypto::PasswordHasher hasher(crypto::PasswordHasher::Minimum());
  auto keys = crypto::LocalKeyFile::Open(backend.dir() / "master.key", random).value();
  crypto::Crypto crypto(*keys, random);
  auto store = backend.Open(StoreDeps{crypto, hasher, clock, random}).value();
  ASSERT_TRUE(store->CreateOrg("x").ok());
  EXPECT_TRUE(backend.HasWal());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const auto p = backend.path().string() + suffix;
    ASSERT_TRUE(std::filesystem::exists(p)) << p;
    const auto perms = std::filesystem::status(p).permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none)
        << p;
  }
  const auto dir_perms = std::filesystem::status(backend.path().parent_path()).permissions();
  EXPECT_EQ(dir_perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
}

}  // namespace
}  // namespace schemaport::store
