// The service over a real SQLite store, with a fake connector at the Connector interface (the
// emulator-backed flow is in tests/integration/service_flow_test.cc).
#include "service/service.h"
#include "warehouse/redshift/types.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace schemaport::service {
namespace {

using namespace std::chrono_literals;
using warehouse::TableRef;

constexpr std::string_view kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSERVICETEST";
constexpr std::string_view kPassword = "correct horse battery";

// A warehouse in memory, behind the Connector interface.
struct FakeWarehouse {
  std::mutex mu;
  warehouse::Catalog catalog;                    // full depth
  std::set<std::string> broken;                  // databases that cannot be read
  std::vector<std::set<TableRef>> column_reads;  // selections read at kColumns
  int listings = 0;
  bool block_until_cancelled = false;
  std::atomic<bool> blocked{false};

  static warehouse::Table MakeTable(std::string name,
                                    std::vector<std::pair<std::string, std::string>> columns) {
    warehouse::Table t;
    t.name = std::move(name);
    t.can_select = true;
    t.columns_loaded = true;
    int pos = 0;
    for (auto& [n, type] : columns) {
      warehouse::Column c;
      c.position = ++pos;
      c.name = n;
      c.type = type;
      c.family = warehouse::redshift::TypeFamilyOf(type);
      t.columns.push_back(c);
    }
    return t;
  }
  warehouse::Schema& Schema(const std::string& db, const std::string& schema) {
    for (auto& d : catalog.databases) {
      if (d.name != db) continue;
      for (auto& s : d.schemas) {
        if (s.name == schema) return s;
      }
      d.schemas.push_back({schema, warehouse::SchemaKind::kLocal, std::nullopt, {}});
      return d.schemas.back();
    }
    catalog.databases.push_back({db, {}});
    catalog.databases.back().schemas.push_back(
        {schema, warehouse::SchemaKind::kLocal, std::nullopt, {}});
    return catalog.databases.back().schemas.back();
  }
};

class FakeConnector final : public warehouse::Connector {
 public:
  FakeConnector(FakeWarehouse& w, warehouse::ConnectionSettings s)
      : w_(w), settings_(std::move(s)) {}
  Result<warehouse::TestReport> Test() override {
    warehouse::TestReport r;
    warehouse::TestStep step;
    step.id = "credentials";
    step.title = "Credentials valid";
    const Secret* key = settings_.GetSecret("secret_access_key");
    step.status = key && key->Reveal() == kSecretKey ? warehouse::StepStatus::kOk
                                                     : warehouse::StepStatus::kFailed;
    r.steps.push_back(step);
    return r;
  }
  Result<std::vector<std::string>> ListDatabases(const warehouse::CancelToken*) override {
    std::lock_guard lock(w_.mu);
    ++w_.listings;
    std::vector<std::string> out(w_.broken.begin(), w_.broken.end());
    for (const auto& d : w_.catalog.databases) out.push_back(d.name);
    return out;
  }
  Result<warehouse::Catalog> Fetch(const warehouse::FetchRequest& request) override {
    if (w_.block_until_cancelled) {
      w_.blocked = true;
      while (!request.cancel->cancelled()) std::this_thread::sleep_for(5ms);
      return Status(Code::kCancelled, "fetch cancelled");
    }
    std::lock_guard lock(w_.mu);
    if (request.depth == warehouse::FetchDepth::kColumns) {
      w_.column_reads.push_back(request.selection.value_or(std::set<TableRef>()));
    }
    warehouse::Catalog out;
    for (const auto& db : request.databases) {
      if (w_.broken.count(db)) return PermissionDenied("permission denied for database " + db);
    }
    for (const auto& d : w_.catalog.databases) {
      if (!request.databases.empty() &&
          std::find(request.databases.begin(), request.databases.end(), d.name) ==
              request.databases.end()) {
        continue;
      }
      warehouse::Database od{d.name, {}};
      for (const auto& s : d.schemas) {
        warehouse::Schema os = s;
        os.tables.clear();
        for (const auto& t : s.tables) {
          warehouse::Table ot = t;
          if (request.depth == warehouse::FetchDepth::kTables) {
            ot.columns.clear();
            ot.columns_loaded = false;
          } else if (request.selection && !request.selection->count({d.name, s.name, t.name})) {
            continue;
          }
          os.tables.push_back(std::move(ot));
        }
        od.schemas.push_back(std::move(os));
      }
      out.databases.push_back(std::move(od));
    }
    return out;
  }

 private:
  FakeWarehouse& w_;
  warehouse::ConnectionSettings settings_;
};

warehouse::ConnectorType FakeType(FakeWarehouse& w) {
  warehouse::ConnectorType t;
  t.name = "fake";
  t.label = "Fake warehouse";
  t.fields = {{"access_key_id", "Access Key ID", "text", true, "", "", "", {}},
              {"secret_access_key", "Secret Key", "secret", true, "", "", "", {}},
              {"region", "Region", "text", true, "", "", "", {}}};
  t.validate = [](const warehouse::ConnectionSettings& s) -> Status {
    if (s.Get("access_key_id").empty()) return InvalidArgument("Access Key ID: is required");
    if (s.GetSecret("secret_access_key") == nullptr)
      return InvalidArgument("Secret Key: is required");
    if (s.Get("region").empty()) return InvalidArgument("Region: is required");
    return Status::Ok();
  };
  t.create =
      [&w](
          const warehouse::ConnectionSettings& s) -> Result<std::unique_ptr<warehouse::Connector>> {
    return std::unique_ptr<warehouse::Connector>(std::make_unique<FakeConnector>(w, s));
  };
  return t;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/service-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    keys_ = crypto::LocalKeyFile::Open(dir_ / "master.key", random_).value();
    crypto_ = std::make_unique<crypto::Crypto>(*keys_, random_);
    store_ = OpenStore();
    ASSERT_TRUE(registry_.Register(FakeType(warehouse_)).ok());
    logger_ = std::make_shared<Logger>(sink_, LogLevel::kDebug, clock_);
    service_ = MakeService(*store_);
    Seed();
  }
  void TearDown() override {
    service_.reset();
    others_.clear();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<store::Store> OpenStore() {
    return store::OpenSqliteStore({dir_ / "store.db", 5000ms}, {*crypto_, hasher_, clock_, random_})
        .value();
  }
  std::unique_ptr<Service> MakeService(store::Store& store, int workers = 0) {
    Options o;
    o.worker_threads = workers;
    o.job_lease = 2s;
    o.job_poll = 10ms;
    o.session_idle = 30min;
    o.session_absolute = 8h;
    return std::make_unique<Service>(Deps{store, registry_, *keys_, clock_, random_, logger_}, o);
  }

  void Seed() {
    auto& s = warehouse_.Schema("dev", "public");
    s.tables.push_back(
        FakeWarehouse::MakeTable("orders", {{"id", "integer"}, {"total", "numeric(12,2)"}}));
    s.tables.push_back(FakeWarehouse::MakeTable(
        "customers", {{"id", "integer"}, {"name", "character varying(256)"}}));
    s.tables.push_back(FakeWarehouse::MakeTable("payroll", {{"ssn", "character(11)"}}));
    warehouse_.Schema("analytics", "mart")
        .tables.push_back(FakeWarehouse::MakeTable("daily", {{"day", "date"}}));
    warehouse_.broken.insert("consumer_db");
  }

  SignedIn Admin() {
    auto token = service_->PrepareSetup().value();
    EXPECT_TRUE(token.has_value());
    return service_->Setup(*token, "Acme", "Admin@Acme.example", Secret(std::string(kPassword)))
        .value();
  }

  ConnectionInput Input() {
    ConnectionInput in;
    in.name = "prod";
    in.data_store = "fake";
    in.settings = {{"access_key_id", "AKIAEXAMPLE"}, {"region", "us-east-1"}};
    in.secrets = {{"secret_access_key", Secret(std::string(kSecretKey))}};
    return in;
  }

  // Runs queued jobs on this thread until none is left.
  void Drain() {
    while (service_->RunOneJob().value()) {
    }
  }

  JobView WaitForJob(const Principal& who, const std::string& id) {
    for (int i = 0; i < 2000; ++i) {
      JobView j = service_->GetJob(who, id).value();
      if (j.state == store::JobState::kSucceeded || j.state == store::JobState::kFailed) return j;
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "job did not finish";
    return {};
  }

  std::string StoreFiles() {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::ifstream in(dir_ / (std::string("store.db") + suffix), std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      all += s.str();
    }
    return all;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  SeededRandom random_{42};
  std::unique_ptr<crypto::KeyProvider> keys_;
  std::unique_ptr<crypto::Crypto> crypto_;
  crypto::PasswordHasher hasher_{crypto::PasswordHasher::Minimum()};
  std::unique_ptr<store::Store> store_;
  FakeWarehouse warehouse_;
  warehouse::ConnectorRegistry registry_;
  std::shared_ptr<MemoryLogSink> sink_ = std::make_shared<MemoryLogSink>();
  std::shared_ptr<Logger> logger_;
  std::unique_ptr<Service> service_;
  std::vector<std::unique_ptr<Service>> others_;
};

// ---------------------------------------------------------------------------------------------
// Accounts

TEST_F(ServiceTest, SetupNeedsTheTokenAndWorksOnce) {
  EXPECT_TRUE(service_->SetupNeeded().value());
  const Secret token = service_->PrepareSetup().value().value();
  EXPECT_EQ(
      service_
          ->Setup(Secret("spsetup_wrong"), "Acme", "a@acme.example", Secret(std::string(kPassword)))
          .status()
          .code(),
      Code::kUnauthenticated);
  EXPECT_EQ(service_->Setup(token, "Acme", "a@acme.example", Secret("short")).status().message(),
            "Password: must be at least 12 characters");
  EXPECT_EQ(service_->Setup(token, "", "a@acme.example", Secret(std::string(kPassword)))
                .status()
                .message(),
            "Organization: is required");
  const SignedIn admin =
      service_->Setup(token, "Acme", "A@Acme.example", Secret(std::string(kPassword))).value();
  EXPECT_EQ(admin.user.email, "a@acme.example");
  EXPECT_EQ(admin.user.role, store::Role::kAdmin);
  EXPECT_EQ(admin.org.name, "Acme");
  EXPECT_TRUE(service_->CheckCsrf(admin.session_token, admin.csrf_token));
  EXPECT_FALSE(service_->SetupNeeded().value());
  EXPECT_FALSE(service_->PrepareSetup().value().has_value());
  EXPECT_NE(service_->Setup(token, "Again", "b@acme.example", Secret(std::string(kPassword)))
                .status()
                .code(),
            Code::kOk);
  EXPECT_EQ(service_->ListUsers(admin.principal).value().size(), 1u);
}

TEST_F(ServiceTest, LoginIsThrottledPerAccountAndPerAddress) {
  Admin();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(service_->Login("admin@acme.example", Secret("wrong password!"), "10.0.0.1")
                  .status()
                  .code(),
              Code::kUnauthenticated);
  }
  // Locked for this account, even with the right password and from another address.
  auto locked = service_->Login("admin@acme.example", Secret(std::string(kPassword)), "10.0.0.2");
  EXPECT_EQ(locked.status().code(), Code::kResourceExhausted);
  EXPECT_NE(locked.status().message().find("try again in 15 minutes"), std::string::npos)
      << locked.status();
  clock_.Advance(15min);
  ASSERT_TRUE(
      service_->Login("admin@acme.example", Secret(std::string(kPassword)), "10.0.0.2").ok());

  // One address spraying many accounts is stopped too.
  for (int i = 0; i < 20; ++i) {
    (void)service_->Login("user" + std::to_string(i) + "@acme.example", Secret("guess guess guess"),
                          "10.6.6.6");
  }
  EXPECT_EQ(service_->Login("admin@acme.example", Secret(std::string(kPassword)), "10.6.6.6")
                .status()
                .code(),
            Code::kResourceExhausted);
  EXPECT_TRUE(
      service_->Login("admin@acme.example", Secret(std::string(kPassword)), "10.0.0.3").ok());

  const SignedIn admin =
      service_->Login("admin@acme.example", Secret(std::string(kPassword)), "x").value();
  const auto audit = service_->ListAudit(admin.principal, 1000).value();
  int failures = 0, successes = 0;
  for (const auto& e : audit) {
    failures += e.action == "login.failure";
    successes += e.action == "login.success";
  }
  EXPECT_EQ(failures, 5);  // the account's; unknown e-mails have no org to audit in
  EXPECT_EQ(successes, 3);
}

TEST_F(ServiceTest, SessionsEndWhenIdleAtTheirLimitAndAtPasswordChange) {
  const SignedIn admin = Admin();
  ASSERT_TRUE(service_->AuthenticateSession(admin.session_token).ok());
  clock_.Advance(29min);
  ASSERT_TRUE(
      service_->AuthenticateSession(admin.session_token).ok());  // use resets the idle clock
  clock_.Advance(29min);
  ASSERT_TRUE(service_->AuthenticateSession(admin.session_token).ok());
  clock_.Advance(31min);
  EXPECT_EQ(service_->AuthenticateSession(admin.session_token).status().code(),
            Code::kUnauthenticated);

  const SignedIn a =
      service_->Login("admin@acme.example", Secret(std::string(kPassword)), "").value();
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(25min);
    if (!service_->AuthenticateSession(a.session_token).ok()) break;
  }
  EXPECT_EQ(service_->AuthenticateSession(a.session_token).status().code(), Code::kUnauthenticated)
      << "absolute expiry";

  const SignedIn one =
      service_->Login("admin@acme.example", Secret(std::string(kPassword)), "").value();
  const SignedIn two =
      service_->Login("admin@acme.example", Secret(std::string(kPassword)), "").value();
  EXPECT_FALSE(service_->CheckCsrf(one.session_token, two.csrf_token));
  EXPECT_EQ(
      service_
          ->ChangePassword(one.principal, Secret("not the password"), Secret("a new long password"))
          .code(),
      Code::kUnauthenticated);
  EXPECT_EQ(service_->ChangePassword(one.principal, Secret(std::string(kPassword)), Secret("short"))
                .message(),
            "New password: Password: must be at least 12 characters");
  ASSERT_TRUE(service_
                  ->ChangePassword(one.principal, Secret(std::string(kPassword)),
                                   Secret("a new long password"))
                  .ok());
  EXPECT_TRUE(service_->AuthenticateSession(one.session_token).ok());
  EXPECT_EQ(service_->AuthenticateSession(two.session_token).status().code(),
            Code::kUnauthenticated);
  ASSERT_TRUE(service_->Logout(one.session_token).ok());
  EXPECT_EQ(service_->AuthenticateSession(one.session_token).status().code(),
            Code::kUnauthenticated);
  EXPECT_TRUE(service_->Login("admin@acme.example", Secret("a new long password"), "").ok());
}

TEST_F(ServiceTest, RolesAndOrgsBoundWhatAPrincipalMaySee) {
  const SignedIn admin = Admin();
  const UserView member = service_
                              ->CreateUser(admin.principal, "m@acme.example",
                                           Secret(std::string(kPassword)), store::Role::kMember)
                              .value();
  EXPECT_EQ(service_
                ->CreateUser(admin.principal, "m@acme.example", Secret(std::string(kPassword)),
                             store::Role::kMember)
                .status()
                .code(),
            Code::kAlreadyExists);
  EXPECT_EQ(service_
                ->CreateUser(admin.principal, "not-an-email", Secret(std::string(kPassword)),
                             store::Role::kMember)
                .status()
                .message(),
            "Email: is not a valid e-mail address");
  const SignedIn m = service_->Login("m@acme.example", Secret(std::string(kPassword)), "").value();
  EXPECT_EQ(service_->ListUsers(m.principal).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(service_->CreateConnection(m.principal, Input()).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(service_->RotateMasterKey(m.principal).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(service_->ListAudit(m.principal, 10).status().code(), Code::kPermissionDenied);

  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  EXPECT_EQ(service_->GetConnection(m.principal, c.id).value().name, "prod");  // members read
  ASSERT_TRUE(service_->StartFetch(m.principal, c.id, {}).ok());               // and fetch

  // Another org sees nothing of this one.
  EXPECT_EQ(service_
                ->AddUserFromShell("Globex", "g@globex.example", store::Role::kAdmin,
                                   Secret(std::string(kPassword)))
                .status()
                .code(),
            Code::kNotFound);
  const store::Org globex = store_->CreateOrg("Globex").value();
  ASSERT_TRUE(service_
                  ->AddUserFromShell(globex.id, "g@globex.example", store::Role::kAdmin,
                                     Secret(std::string(kPassword)))
                  .ok());
  const SignedIn g =
      service_->Login("g@globex.example", Secret(std::string(kPassword)), "").value();
  EXPECT_EQ(service_->GetConnection(g.principal, c.id).status().code(), Code::kNotFound);
  EXPECT_EQ(service_->StartFetch(g.principal, c.id, {}).status().code(), Code::kNotFound);
  EXPECT_EQ(service_->DeleteUser(g.principal, member.id).code(), Code::kNotFound);
  EXPECT_TRUE(service_->ListConnections(g.principal).value().empty());

  EXPECT_EQ(service_->DeleteUser(admin.principal, admin.user.id).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(service_->DeleteUser(admin.principal, member.id).ok());
  EXPECT_EQ(service_->AuthenticateSession(m.session_token).status().code(), Code::kUnauthenticated);
}

TEST_F(ServiceTest, ApiTokensAreShownOnceAuthenticateAndRevoke) {
  const SignedIn admin = Admin();
  EXPECT_EQ(service_->CreateApiToken(admin.principal, "", std::nullopt).status().message(),
            "name: is required");
  EXPECT_EQ(service_->CreateApiToken(admin.principal, "ci", 0).status().code(),
            Code::kInvalidArgument);
  const IssuedToken t = service_->CreateApiToken(admin.principal, "ci", 30).value();
  const Principal p = service_->AuthenticateApiToken(t.secret).value();
  EXPECT_EQ(p.user_id, admin.user.id);
  EXPECT_EQ(p.token_id, t.token.id);
  const auto listed = service_->ListApiTokens(admin.principal).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "ci");
  clock_.Advance(24h * 31);
  EXPECT_EQ(service_->AuthenticateApiToken(t.secret).status().code(), Code::kUnauthenticated);
  const IssuedToken u = service_->CreateApiToken(admin.principal, "forever", std::nullopt).value();
  ASSERT_TRUE(service_->RevokeApiToken(admin.principal, u.token.id).ok());
  EXPECT_EQ(service_->AuthenticateApiToken(u.secret).status().code(), Code::kUnauthenticated);
}

// ---------------------------------------------------------------------------------------------
// Connections

TEST_F(ServiceTest, ConnectionsRejectUnknownFieldsAndKeepSecretsOnUpdate) {
  const SignedIn admin = Admin();
  ConnectionInput bad = Input();
  bad.settings["endpoint_url"] = "https://attacker.example/";
  EXPECT_EQ(service_->CreateConnection(admin.principal, bad).status().message(),
            "settings.endpoint_url: unknown field");
  bad = Input();
  bad.settings["secret_access_key"] = "x";
  EXPECT_EQ(service_->CreateConnection(admin.principal, bad).status().message(),
            "settings.secret_access_key: is a secret; send it in secrets");
  bad = Input();
  bad.settings.erase("region");
  EXPECT_EQ(service_->CreateConnection(admin.principal, bad).status().message(),
            "Region: is required");
  bad = Input();
  bad.data_store = "oracle";
  EXPECT_EQ(service_->CreateConnection(admin.principal, bad).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(service_->ListConnections(admin.principal).value().empty());

  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  EXPECT_EQ(c.secrets_set, std::vector<std::string>{"secret_access_key"});
  EXPECT_EQ(c.settings.count("secret_access_key"), 0u);
  EXPECT_TRUE(service_->TestConnection(admin.principal, c.id).value().ok());

  ConnectionPatch patch;
  patch.name = "renamed";
  patch.settings =
      std::map<std::string, std::string>{{"access_key_id", "AKIAOTHER"}, {"region", "eu-west-1"}};
  patch.secrets["secret_access_key"] = Secret("");  // left as it was
  const ConnectionView updated = service_->UpdateConnection(admin.principal, c.id, patch).value();
  EXPECT_EQ(updated.name, "renamed");
  EXPECT_EQ(updated.settings.at("region"), "eu-west-1");
  EXPECT_TRUE(service_->TestConnection(admin.principal, c.id).value().ok())
      << "the secret was kept";
  ConnectionPatch wrong;
  wrong.secrets["secret_access_key"] = Secret("a-different-secret-key");
  ASSERT_TRUE(service_->UpdateConnection(admin.principal, c.id, wrong).ok());
  EXPECT_FALSE(service_->TestConnection(admin.principal, c.id).value().ok());

  ConnectionInput unsaved = Input();
  EXPECT_TRUE(service_->TestSettings(admin.principal, unsaved).value().ok());

  ASSERT_TRUE(service_->DeleteConnection(admin.principal, c.id).ok());
  EXPECT_EQ(service_->GetConnection(admin.principal, c.id).status().code(), Code::kNotFound);
  EXPECT_EQ(StoreFiles().find(kSecretKey), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Metadata

TEST_F(ServiceTest, FetchRecordsAnUnreadableDatabaseAndReadsTheOthers) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  EXPECT_EQ(service_->GetCatalog(admin.principal, c.id).status().code(), Code::kNotFound);
  const JobView job = service_->StartFetch(admin.principal, c.id, {}).value();
  EXPECT_EQ(job.state, store::JobState::kQueued);
  Drain();
  const JobView done = service_->GetJob(admin.principal, job.id).value();
  ASSERT_EQ(done.state, store::JobState::kSucceeded) << done.error.value_or(Status());
  EXPECT_EQ(done.done, 3);
  EXPECT_EQ(done.total, 3);

  const CatalogView cat = service_->GetCatalog(admin.principal, c.id).value();
  EXPECT_EQ(cat.table_count, 4);
  ASSERT_EQ(cat.databases.size(), 3u);
  EXPECT_EQ(cat.databases[0].name, "analytics");
  EXPECT_EQ(cat.databases[1].name, "consumer_db");
  ASSERT_TRUE(cat.databases[1].error.has_value());
  EXPECT_EQ(cat.databases[1].error->code(), Code::kPermissionDenied);
  EXPECT_TRUE(cat.databases[1].schemas.empty());
  EXPECT_EQ(cat.databases[2].schemas[0].tables.size(), 3u);
  EXPECT_EQ(cat.databases[2].schemas[0].tables[0].name, "customers");
  EXPECT_FALSE(cat.databases[2].schemas[0].tables[0].selected);
  EXPECT_TRUE(warehouse_.column_reads.empty()) << "a fetch reads no columns";
  EXPECT_EQ(service_->GetConnection(admin.principal, c.id).value().last_fetched_at, cat.fetched_at);

  // Every database unreadable: the fetch fails and says why.
  warehouse_.broken = {"dev", "analytics", "consumer_db"};
  warehouse_.catalog.databases.clear();
  const JobView failing = service_->StartFetch(admin.principal, c.id, {}).value();
  Drain();
  const JobView failed = service_->GetJob(admin.principal, failing.id).value();
  ASSERT_EQ(failed.state, store::JobState::kFailed);
  EXPECT_EQ(failed.error->code(), Code::kPermissionDenied);
  EXPECT_NE(failed.error->message().find("no database could be read"), std::string::npos);
}

TEST_F(ServiceTest, SaveReadsTheColumnsOfTheSelectedTablesOnlyAndKeepsIds) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  Selection sel;
  EXPECT_EQ(service_->SaveSelection(admin.principal, c.id, sel).status().code(),
            Code::kFailedPrecondition);
  (void)service_->StartFetch(admin.principal, c.id, {}).value();
  Drain();

  sel.tables = {{"dev", "public", "orders"}};
  sel.include = {"dev.public.*", "analytics"};
  sel.exclude = {"dev.public.pay*"};
  const SelectionPreview preview = service_->PreviewSelection(admin.principal, c.id, sel).value();
  EXPECT_EQ(preview.selected, 3);             // orders, customers, daily
  EXPECT_EQ(preview.matched_by_patterns, 3);  // customers, orders, daily
  Selection bad = sel;
  bad.include = {"dev.\"unterminated"};
  EXPECT_EQ(service_->PreviewSelection(admin.principal, c.id, bad).status().code(),
            Code::kInvalidArgument);
  bad = sel;
  bad.tables.push_back({"dev", "public", "nope"});
  EXPECT_EQ(service_->SaveSelection(admin.principal, c.id, bad).status().message(),
            "tables[1]: is not in the last fetch; fetch the metadata again");

  const SaveStarted started = service_->SaveSelection(admin.principal, c.id, sel).value();
  EXPECT_EQ(started.selected, 3);
  Drain();
  ASSERT_EQ(service_->GetJob(admin.principal, started.job.id).value().state,
            store::JobState::kSucceeded);
  ASSERT_EQ(warehouse_.column_reads.size(), 1u);
  const std::set<TableRef> expected = {
      {"analytics", "mart", "daily"}, {"dev", "public", "customers"}, {"dev", "public", "orders"}};
  EXPECT_EQ(warehouse_.column_reads[0], expected) << "payroll's columns were never read";

  const auto saved = service_->ListSavedTables(admin.principal, c.id).value();
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_EQ(saved[0].database, "analytics");
  EXPECT_EQ(saved[2].name, "orders");
  const SavedTableDetail orders =
      service_->GetSavedTable(admin.principal, c.id, saved[2].id).value();
  ASSERT_EQ(orders.columns.size(), 2u);
  EXPECT_EQ(orders.columns[1].name, "total");
  EXPECT_EQ(orders.columns[1].type, "numeric(12,2)");
  EXPECT_EQ(orders.columns[1].family, warehouse::TypeFamily::kDecimal);
  EXPECT_EQ(orders.columns[1].position, 2);

  const CatalogView cat = service_->GetCatalog(admin.principal, c.id).value();
  ASSERT_TRUE(cat.saved_at.has_value());
  const auto& dev_tables = cat.databases[2].schemas[0].tables;  // customers, orders, payroll
  EXPECT_TRUE(dev_tables[0].selected && dev_tables[0].saved);
  EXPECT_EQ(dev_tables[1].column_count, 2);
  EXPECT_FALSE(dev_tables[2].selected || dev_tables[2].saved);
  EXPECT_EQ(cat.selection.include, sel.include);
  EXPECT_EQ(service_->GetConnection(admin.principal, c.id).value().saved_table_count, 3);

  // Saving again keeps each table's id.
  sel.include.clear();
  (void)service_->SaveSelection(admin.principal, c.id, sel).value();
  Drain();
  const auto again = service_->ListSavedTables(admin.principal, c.id).value();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, saved[2].id);
}

TEST_F(ServiceTest, DataMapDecisionsSurviveARefreshAndAResaveAndMarksCompareSaves) {
  auto lines = FakeWarehouse::MakeTable(
      "order_lines", {{"line_id", "integer"}, {"order_id", "integer"}, {"customer_id", "integer"}});
  lines.constraints.push_back(warehouse::Constraint{warehouse::ConstraintKind::kForeignKey,
                                                    "lines_customer_fk",
                                                    {"customer_id"},
                                                    "public",
                                                    "customers",
                                                    {"id"}});
  warehouse_.Schema("dev", "public").tables.push_back(lines);
  const SignedIn admin = Admin();
  const Principal& who = admin.principal;
  const ConnectionView c = service_->CreateConnection(who, Input()).value();
  (void)service_->StartFetch(who, c.id, {}).value();
  Drain();
  const DataMapView empty = service_->GetDataMap(who, c.id).value();
  EXPECT_FALSE(empty.saved_at.has_value());
  EXPECT_TRUE(empty.tables.empty());
  EXPECT_TRUE(empty.relationships.empty());
  EXPECT_EQ(service_->GetDataMap(who, "no-such-connection").status().code(), Code::kNotFound);

  const auto save = [&](std::vector<std::string> exclude) {
    Selection sel;
    sel.include = {"dev.public.*"};
    sel.exclude = std::move(exclude);
    (void)service_->SaveSelection(who, c.id, sel).value();
    Drain();
  };
  const auto find = [](const DataMapView& m, const std::string& to) -> const DataMapRelationship* {
    for (const auto& r : m.relationships) {
      if (r.relationship.from.table == "order_lines" && r.relationship.to.table == to) return &r;
    }
    return nullptr;
  };
  save({"dev.public.payroll"});
  DataMapView map = service_->GetDataMap(who, c.id).value();
  ASSERT_TRUE(map.saved_at.has_value());
  ASSERT_EQ(map.tables.size(), 3u);  // customers, order_lines, orders
  EXPECT_EQ(map.tables[1].ref.table, "order_lines");
  ASSERT_EQ(map.relationships.size(), 2u);
  EXPECT_EQ(map.relationships[0].relationship.status, datamap::RelationshipStatus::kDeclared);
  ASSERT_NE(find(map, "orders"), nullptr);
  const std::string inferred = find(map, "orders")->relationship.id;
  const std::string declared = find(map, "customers")->relationship.id;
  EXPECT_EQ(find(map, "customers")->to_table_id, map.tables[0].id);
  EXPECT_EQ(find(map, "orders")->mark, Mark::kNone) << "nothing was saved before";
  EXPECT_EQ(map.counts.declared, 1);
  EXPECT_EQ(map.counts.inferred, 1);

  // Decisions: inferred ones only, by an id of the current map.
  EXPECT_EQ(service_->SetRelationshipDecision(who, c.id, declared, datamap::Decision::kReject)
                .status()
                .code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(service_->SetRelationshipDecision(who, c.id, "ffffffffffffffff", std::nullopt)
                .status()
                .code(),
            Code::kNotFound);
  const DataMapRelationship accepted =
      service_->SetRelationshipDecision(who, c.id, inferred, datamap::Decision::kAccept).value();
  EXPECT_EQ(accepted.relationship.status, datamap::RelationshipStatus::kAccepted);
  const DataMapTable customers =
      service_->SetTableRole(who, c.id, map.tables[0].id, datamap::TableRole::kFact).value();
  EXPECT_EQ(customers.role.role, datamap::TableRole::kFact);
  EXPECT_TRUE(customers.role.overridden);
  EXPECT_EQ(service_->SetTableRole(who, c.id, "nope", std::nullopt).status().code(),
            Code::kNotFound);

  // A refresh and a re-save of the same tables: decisions kept, nothing marked.
  (void)service_->StartRefresh(who, c.id).value();
  Drain();
  save({"dev.public.payroll"});
  map = service_->GetDataMap(who, c.id).value();
  ASSERT_NE(find(map, "orders"), nullptr);
  EXPECT_EQ(find(map, "orders")->relationship.status, datamap::RelationshipStatus::kAccepted);
  EXPECT_EQ(find(map, "orders")->mark, Mark::kNone);
  EXPECT_TRUE(map.removed_relationships.empty());
  EXPECT_EQ(map.tables[0].role.role, datamap::TableRole::kFact);
  EXPECT_EQ(map.counts.accepted, 1);

  // Without orders: the inferred relationship is removed (still accepted); with it again: new.
  save({"dev.public.payroll", "dev.public.orders"});
  map = service_->GetDataMap(who, c.id).value();
  EXPECT_EQ(find(map, "orders"), nullptr);
  ASSERT_EQ(map.removed_relationships.size(), 1u);
  EXPECT_EQ(map.removed_relationships[0].relationship.id, inferred);
  EXPECT_EQ(map.removed_relationships[0].mark, Mark::kRemoved);
  EXPECT_EQ(map.removed_relationships[0].relationship.status,
            datamap::RelationshipStatus::kAccepted);
  EXPECT_FALSE(map.removed_relationships[0].to_table_id.empty());
  save({"dev.public.payroll"});
  map = service_->GetDataMap(who, c.id).value();
  ASSERT_NE(find(map, "orders"), nullptr);
  EXPECT_EQ(find(map, "orders")->mark, Mark::kNew);
  EXPECT_EQ(find(map, "orders")->relationship.status, datamap::RelationshipStatus::kAccepted);
  EXPECT_EQ(find(map, "customers")->mark, Mark::kNone);

  // Exports name saved tables only, with the decisions applied.
  const DataMapExport ddl = service_->ExportDataMap(who, c.id, datamap::ExportFormat::kDdl).value();
  EXPECT_EQ(ddl.file_name, "schema.sql");
  EXPECT_NE(ddl.bytes.find("order_lines"), std::string::npos);
  EXPECT_EQ(ddl.bytes.find("payroll"), std::string::npos);
  EXPECT_EQ(service_->ExportDataMap(who, c.id, datamap::ExportFormat::kDdl).value().bytes,
            ddl.bytes);

  // Audited; nothing of it in clear at rest; gone with the connection.
  int audited = 0;
  const auto audit = service_->ListAudit(who, 1000).value();
  for (const auto& e : audit) {
    audited += e.action == "datamap.relationship" || e.action == "datamap.role";
  }
  EXPECT_EQ(audited, 2);
  EXPECT_EQ(StoreFiles().find("order_lines"), std::string::npos);
  ASSERT_TRUE(service_->DeleteConnection(who, c.id).ok());
  EXPECT_EQ(service_->GetDataMap(who, c.id).status().code(), Code::kNotFound);
  EXPECT_EQ(
      store_->GetConnectionDocument(who.org_id, c.id, std::string(datamap::kDecisionsDocument))
          .status()
          .code(),
      Code::kNotFound);
}

TEST_F(ServiceTest, RefreshMarksChangesAndKeepsTheSelection) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  (void)service_->StartFetch(admin.principal, c.id, {}).value();
  Drain();
  Selection sel;
  sel.tables = {{"dev", "public", "orders"}, {"dev", "public", "customers"}};
  sel.include = {"dev.staging"};
  sel.exclude = {"dev.staging.tmp_*"};
  (void)service_->SaveSelection(admin.principal, c.id, sel).value();
  Drain();

  // The warehouse changes: customers dropped, a column of orders altered and one added, new
  // tables in staging (one excluded) and in public.
  auto& pub = warehouse_.Schema("dev", "public");
  pub.tables.erase(std::remove_if(pub.tables.begin(), pub.tables.end(),
                                  [](const auto& t) { return t.name == "customers"; }),
                   pub.tables.end());
  for (auto& t : pub.tables) {
    if (t.name != "orders") continue;
    t.columns[1].type = "numeric(18,4)";
    t.columns.push_back(t.columns[0]);
    t.columns.back().name = "placed_at";
    t.columns.back().position = 3;
    t.columns.back().type = "timestamp without time zone";
  }
  pub.tables.push_back(FakeWarehouse::MakeTable("refunds", {{"id", "integer"}}));
  auto& staging = warehouse_.Schema("dev", "staging");
  staging.tables.push_back(FakeWarehouse::MakeTable("events", {{"id", "integer"}}));
  staging.tables.push_back(FakeWarehouse::MakeTable("tmp_load", {{"id", "integer"}}));

  const JobView refresh = service_->StartRefresh(admin.principal, c.id).value();
  Drain();
  ASSERT_EQ(service_->GetJob(admin.principal, refresh.id).value().state,
            store::JobState::kSucceeded);
  const CatalogView cat = service_->GetCatalog(admin.principal, c.id).value();
  std::map<std::string, TableNode> dev;
  for (const auto& s : cat.databases[2].schemas) {
    for (const auto& t : s.tables) dev[s.name + "." + t.name] = t;
  }
  EXPECT_EQ(dev.at("public.orders").mark, Mark::kChanged);
  EXPECT_TRUE(dev.at("public.orders").selected);
  EXPECT_EQ(dev.at("public.refunds").mark, Mark::kNew);
  EXPECT_FALSE(dev.at("public.refunds").selected) << "no include matches it";
  EXPECT_EQ(dev.at("staging.events").mark, Mark::kNew);
  EXPECT_TRUE(dev.at("staging.events").selected) << "an include matches it";
  EXPECT_FALSE(dev.at("staging.tmp_load").selected) << "an exclude matches it";
  EXPECT_EQ(dev.at("public.payroll").mark, Mark::kNone);
  ASSERT_EQ(cat.removed.size(), 1u);
  EXPECT_EQ(cat.removed[0].table, "customers");

  // Nothing was saved by the refresh; the saved table shows its column marks.
  const auto saved = service_->ListSavedTables(admin.principal, c.id).value();
  ASSERT_EQ(saved.size(), 2u);
  const auto& orders_row = saved[1].name == "orders" ? saved[1] : saved[0];
  EXPECT_EQ(orders_row.mark, Mark::kChanged);
  const SavedTableDetail orders =
      service_->GetSavedTable(admin.principal, c.id, orders_row.id).value();
  EXPECT_EQ(orders.columns.size(), 2u);
  EXPECT_EQ(orders.columns[1].mark, Mark::kChanged);
  EXPECT_EQ(orders.columns[1].type, "numeric(12,2)") << "still what was saved";
  // The new column is not saved yet; it is marked on the saved table's view of the refresh.
  EXPECT_TRUE(orders.removed_columns.empty());

  // A second refresh with no change keeps the marks (they are against what is saved).
  (void)service_->StartRefresh(admin.principal, c.id).value();
  Drain();
  const CatalogView again = service_->GetCatalog(admin.principal, c.id).value();
  EXPECT_EQ(again.removed.size(), 1u);
}

// The saved-table read takes its change marks from a decoded catalog kept in memory: every
// write of the catalog (refresh, re-save, delete), by this instance or another one sharing the
// store, must show on the next read of each instance.
TEST_F(ServiceTest, SavedTableMarksFollowEveryCatalogWriteOnEveryInstance) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  (void)service_->StartFetch(admin.principal, c.id, {"dev"}).value();
  Drain();
  Selection sel;
  sel.tables = {{"dev", "public", "orders"}, {"dev", "public", "customers"}};
  (void)service_->SaveSelection(admin.principal, c.id, sel).value();
  Drain();
  auto other_store = OpenStore();
  auto other = MakeService(*other_store);  // a second instance: its own store handle and cache
  const auto rows = service_->ListSavedTables(admin.principal, c.id).value();
  ASSERT_EQ(rows.size(), 2u);
  const std::string orders_id = rows[0].name == "orders" ? rows[0].id : rows[1].id;
  const auto read = [&](Service& s) {
    return s.GetSavedTable(admin.principal, c.id, orders_id).value();
  };
  // Both instances have read (and keep) the document of the save: no marks.
  for (Service* s : {service_.get(), other.get()}) {
    const SavedTableDetail d = read(*s);
    EXPECT_EQ(d.table.mark, Mark::kNone);
    for (const auto& col : d.columns) EXPECT_EQ(col.mark, Mark::kNone) << col.name;
    EXPECT_EQ(s->GetCatalog(admin.principal, c.id).value().table_count, 3);
  }

  // A column of orders changes and one is dropped; this instance refreshes.
  for (auto& t : warehouse_.Schema("dev", "public").tables) {
    if (t.name != "orders") continue;
    t.columns[0].type = "bigint";
    t.columns.pop_back();
  }
  (void)service_->StartRefresh(admin.principal, c.id).value();
  Drain();
  for (Service* s : {other.get(), service_.get()}) {
    const SavedTableDetail d = read(*s);
    EXPECT_EQ(d.table.mark, Mark::kChanged);
    ASSERT_EQ(d.columns.size(), 2u) << "what is saved, until the next save";
    EXPECT_EQ(d.columns[0].name, "id");
    EXPECT_EQ(d.columns[0].mark, Mark::kChanged);
    EXPECT_EQ(d.columns[1].mark, Mark::kNone);
    EXPECT_EQ(d.removed_columns, std::vector<std::string>{"total"});
    const auto listed = s->ListSavedTables(admin.principal, c.id).value();
    for (const auto& row : listed)
      EXPECT_EQ(row.mark, row.id == orders_id ? Mark::kChanged : Mark::kNone) << row.name;
  }

  // The other instance saves again: the marks are gone everywhere, the new columns are saved.
  (void)other->SaveSelection(admin.principal, c.id, sel).value();
  while (other->RunOneJob().value()) {
  }
  for (Service* s : {service_.get(), other.get()}) {
    const SavedTableDetail d = read(*s);
    EXPECT_EQ(d.table.mark, Mark::kNone);
    ASSERT_EQ(d.columns.size(), 1u);
    EXPECT_EQ(d.columns[0].type, "bigint");
    EXPECT_EQ(d.columns[0].mark, Mark::kNone);
    EXPECT_TRUE(d.removed_columns.empty());
  }

  // A refresh that finds nothing new keeps no marks; the next change is seen again.
  (void)other->StartRefresh(admin.principal, c.id).value();
  while (other->RunOneJob().value()) {
  }
  EXPECT_EQ(read(*service_).table.mark, Mark::kNone);
  for (auto& t : warehouse_.Schema("dev", "public").tables) {
    if (t.name == "orders") t.columns[0].type = "integer";
  }
  (void)other->StartRefresh(admin.principal, c.id).value();
  while (other->RunOneJob().value()) {
  }
  EXPECT_EQ(read(*service_).columns[0].mark, Mark::kChanged);

  // Deleted on one instance: gone on both (nothing answered from memory).
  ASSERT_TRUE(other->DeleteConnection(admin.principal, c.id).ok());
  for (Service* s : {service_.get(), other.get()}) {
    EXPECT_EQ(s->GetSavedTable(admin.principal, c.id, orders_id).status().code(), Code::kNotFound);
    EXPECT_EQ(s->GetCatalog(admin.principal, c.id).status().code(), Code::kNotFound);
  }
}

// With no cache (catalog_cache_tables = 0) the reads are the same, document by document.
TEST_F(ServiceTest, SavedTableMarksAreTheSameWithoutTheCatalogCache) {
  Options o;
  o.catalog_cache_tables = 0;
  auto uncached_store = OpenStore();
  Service uncached(Deps{*uncached_store, registry_, *keys_, clock_, random_, logger_}, o);
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  (void)service_->StartFetch(admin.principal, c.id, {"dev"}).value();
  Drain();
  Selection sel;
  sel.tables = {{"dev", "public", "orders"}};
  (void)service_->SaveSelection(admin.principal, c.id, sel).value();
  Drain();
  const std::string id = service_->ListSavedTables(admin.principal, c.id).value().at(0).id;
  for (auto& t : warehouse_.Schema("dev", "public").tables) {
    if (t.name == "orders") t.columns[1].type = "numeric(18,4)";
  }
  (void)uncached.StartRefresh(admin.principal, c.id).value();
  while (uncached.RunOneJob().value()) {
  }
  for (Service* s : {service_.get(), &uncached}) {
    const SavedTableDetail d = s->GetSavedTable(admin.principal, c.id, id).value();
    EXPECT_EQ(d.table.mark, Mark::kChanged);
    EXPECT_EQ(d.columns.at(1).mark, Mark::kChanged);
    EXPECT_EQ(d.columns.at(0).mark, Mark::kNone);
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs

TEST_F(ServiceTest, CancelStopsARunningJobFromAnyInstance) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  warehouse_.block_until_cancelled = true;
  auto second_store = OpenStore();
  auto worker = MakeService(*second_store, 1);
  worker->Start();
  const JobView job = service_->StartFetch(admin.principal, c.id, {"dev"}).value();
  for (int i = 0; i < 2000 && !warehouse_.blocked; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(warehouse_.blocked);
  EXPECT_EQ(service_->GetJob(admin.principal, job.id).value().state, store::JobState::kRunning);
  const JobView requested = service_->CancelJob(admin.principal, job.id).value();
  EXPECT_TRUE(requested.cancel_requested);
  const JobView done = WaitForJob(admin.principal, job.id);
  EXPECT_EQ(done.state, store::JobState::kFailed);
  ASSERT_TRUE(done.error.has_value());
  EXPECT_EQ(done.error->code(), Code::kCancelled);
  worker->Stop();

  // A queued job is cancelled at once.
  warehouse_.block_until_cancelled = false;
  const JobView queued = service_->StartRefresh(admin.principal, c.id).value();
  EXPECT_EQ(service_->CancelJob(admin.principal, queued.id).value().state,
            store::JobState::kFailed);
  EXPECT_FALSE(service_->RunOneJob().value());
}

TEST_F(ServiceTest, AJobWhoseInstanceDiedIsTakenUpAfterItsLeaseThenFailedAfterTooMany) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  const JobView job = service_->StartFetch(admin.principal, c.id, {}).value();
  ASSERT_TRUE(store_->ClaimJob("dead-instance", 2s, 3).value().has_value());
  EXPECT_FALSE(service_->RunOneJob().value()) << "the lease still holds";
  clock_.Advance(3s);
  EXPECT_TRUE(service_->RunOneJob().value());
  const JobView done = service_->GetJob(admin.principal, job.id).value();
  EXPECT_EQ(done.state, store::JobState::kSucceeded);

  const JobView doomed = service_->StartFetch(admin.principal, c.id, {}).value();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->ClaimJob("dies-" + std::to_string(i), 2s, 3).value().has_value());
    clock_.Advance(3s);
  }
  EXPECT_FALSE(service_->RunOneJob().value());
  const JobView failed = service_->GetJob(admin.principal, doomed.id).value();
  EXPECT_EQ(failed.state, store::JobState::kFailed);
  EXPECT_EQ(failed.error->code(), Code::kUnavailable);
  EXPECT_NE(failed.error->message().find("interrupted 3 times"), std::string::npos);
}

TEST_F(ServiceTest, TwoInstancesRunEachJobExactlyOnce) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  constexpr int kJobs = 12;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i)
    ids.push_back(service_->StartFetch(admin.principal, c.id, {}).value().id);
  auto store_a = OpenStore();
  auto store_b = OpenStore();
  auto a = MakeService(*store_a, 2);
  auto b = MakeService(*store_b, 2);
  a->Start();
  b->Start();
  for (const auto& id : ids)
    EXPECT_EQ(WaitForJob(admin.principal, id).state, store::JobState::kSucceeded);
  a->Stop();
  b->Stop();
  EXPECT_EQ(warehouse_.listings, kJobs) << "each job listed the databases once";
  const auto counts = service_->JobCounts().value();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].kind, "fetch");
  EXPECT_EQ(counts[0].state, store::JobState::kSucceeded);
  EXPECT_EQ(counts[0].count, kJobs);
}

TEST_F(ServiceTest, NoSecretReachesTheStoreTheLogsTheAuditOrAView) {
  const SignedIn admin = Admin();
  const ConnectionView c = service_->CreateConnection(admin.principal, Input()).value();
  ConnectionPatch patch;
  patch.secrets["secret_access_key"] = Secret(std::string(kSecretKey) + "2");
  (void)service_->UpdateConnection(admin.principal, c.id, patch).value();
  (void)service_->TestConnection(admin.principal, c.id).value();
  (void)service_->StartFetch(admin.principal, c.id, {}).value();
  Drain();
  (void)service_->Login("admin@acme.example", Secret(std::string(kSecretKey)), "1.2.3.4");
  ConnectionInput bad = Input();
  bad.settings.erase("region");
  const Status error = service_->CreateConnection(admin.principal, bad).status();
  EXPECT_EQ(error.ToString().find(kSecretKey), std::string::npos);
  ASSERT_TRUE(service_->RotateMasterKey(admin.principal).ok());

  EXPECT_EQ(StoreFiles().find(kSecretKey), std::string::npos);
  EXPECT_EQ(StoreFiles().find(kPassword), std::string::npos);
  for (const auto& line : sink_->lines())
    EXPECT_EQ(line.find(kSecretKey), std::string::npos) << line;
  const auto audit = service_->ListAudit(admin.principal, 1000).value();
  for (const auto& e : audit) {
    EXPECT_EQ(e.detail.find(kSecretKey), std::string::npos) << e.action;
    EXPECT_EQ(e.detail.find(kPassword), std::string::npos) << e.action;
  }
  std::set<std::string> actions;
  for (const auto& e : audit) actions.insert(e.action);
  for (const char* a : {"setup", "connection.create", "connection.update", "connection.test",
                        "metadata.fetch", "login.failure", "keys.rotate"}) {
    EXPECT_EQ(actions.count(a), 1u) << a;
  }
}

}  // namespace
}  // namespace schemaport::service
