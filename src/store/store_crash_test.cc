// Crash safety, against both backends: a child process writing to the store is killed with
// SIGKILL at seeded random points; every time, the store opens afterwards and holds either the
// old or the new state, never a mix.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "store/store_test_backends.h"

namespace schemaport::store {
namespace {

using namespace std::chrono_literals;
using testing::BackendNames;
using testing::Backends;

constexpr int kIterations = 25;
constexpr std::uint64_t kSeed = 20261128;

template <typename Backend>
class StoreCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_path_ = backend_.dir() / "keys" / "master.key";
    keys_ = crypto::LocalKeyFile::Open(key_path_, random_).value();
    crypto_ = std::make_unique<crypto::Crypto>(*keys_, random_);
  }

  StoreDeps deps() { return StoreDeps{*crypto_, hasher_, clock_, random_}; }

  // The tables of one generation: distinct counts so that a mix is visible in the count too.
  static std::vector<SavedTable> Generation(char gen) {
    const int tables = gen == 'A' ? 300 : 220;
    const int columns = gen == 'A' ? 30 : 12;
    std::vector<SavedTable> out;
    for (int i = 0; i < tables; ++i) {
      SavedTable t;
      t.id = std::string(1, gen) + std::to_string(i);
      t.database = "dev";
      t.schema = "public";
      t.name = std::string(1, gen) + "_table_" + std::to_string(i);
      t.kind = "table";
      t.attributes["generation"] = std::string(1, gen);
      for (int c = 0; c < columns; ++c) {
        t.columns.push_back({"col" + std::to_string(c), "integer", c + 1, true, "", {}});
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  // Checks that the saved tables are exactly one generation; returns it.
  static char CheckOneGeneration(const std::vector<SavedTable>& tables) {
    if (tables.empty()) return '?';
    const std::string gen = tables[0].attributes.at("generation");
    const std::vector<SavedTable> expected = Generation(gen[0]);
    EXPECT_EQ(tables.size(), expected.size()) << "a mix of generations";
    for (const SavedTable& t : tables) {
      EXPECT_EQ(t.attributes.at("generation"), gen) << "a mix of generations in " << t.id;
      EXPECT_EQ(t.columns.size(), expected[0].columns.size()) << t.id;
    }
    return gen[0];
  }

  // Forks a child that opens the store, reports ready through a pipe, then runs `work` until
  // it is killed. The parent kills it after a random delay and reaps it.
  void RunAndKill(Random& timing, std::chrono::microseconds max_delay,
                  const std::function<void(Store&)>& work) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(ready[0]);
      auto store = backend_.Open(deps());
      if (!store.ok()) ::_exit(3);
      const char byte = 1;
      if (::write(ready[1], &byte, 1) != 1) ::_exit(4);
      for (;;) work(**store);
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "child failed to open the store";
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(
        timing.Uniform(static_cast<std::uint64_t>(max_delay.count()) + 1)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    // Killed by us, not exited on its own (which would mean the work failed).
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  }

  Backend backend_;
  SystemRandom random_;
  SystemClock clock_;
  crypto::PasswordHasher hasher_{crypto::PasswordHasher::Minimum()};
  std::filesystem::path key_path_;
  std::unique_ptr<crypto::LocalKeyFile> keys_;
  std::unique_ptr<crypto::Crypto> crypto_;
};

TYPED_TEST_SUITE(StoreCrashTest, Backends, BackendNames);

TYPED_TEST(StoreCrashTest, KilledSaveLeavesOldOrNewMetadataNeverAMix) {
  std::string org_id, conn_id;
  {
    auto store = this->backend_.Open(this->deps()).value();
    org_id = store->CreateOrg("org").value().id;
    Connection c;
    c.org_id = org_id;
    c.data_store_type = "redshift";
    conn_id = store->CreateConnection(c).value().id;
    ASSERT_TRUE(store->ReplaceSavedTables(org_id, conn_id, this->Generation('A')).ok());
  }
  SeededRandom timing(kSeed);
  int seen[2] = {0, 0};
  for (int i = 0; i < kIterations; ++i) {
    // The child alternates between the generations as fast as it can.
    this->RunAndKill(timing, 60ms, [&, next = 'B'](Store& store) mutable {
      if (!store.ReplaceSavedTables(org_id, conn_id, TestFixture::Generation(next)).ok()) {
        ::_exit(5);
      }
      next = next == 'A' ? 'B' : 'A';
    });
    if (::testing::Test::HasFatalFailure()) return;
    auto store = this->backend_.Open(this->deps());
    ASSERT_TRUE(store.ok()) << "iteration " << i << ": " << store.status();
    auto tables = (*store)->ListSavedTables(org_id, conn_id);
    ASSERT_TRUE(tables.ok()) << "iteration " << i << ": " << tables.status();
    const char gen = this->CheckOneGeneration(*tables);
    ASSERT_TRUE(gen == 'A' || gen == 'B') << "iteration " << i;
    ++seen[gen == 'B'];
  }
  ::testing::Test::RecordProperty("old_or_A", seen[0]);
  ::testing::Test::RecordProperty("new_or_B", seen[1]);
}

TYPED_TEST(StoreCrashTest, KilledKeyRotationLeavesEverythingReadable) {
  std::string org_id;
  std::vector<std::string> conn_ids;
  {
    auto store = this->backend_.Open(this->deps()).value();
    org_id = store->CreateOrg("org").value().id;
    for (int i = 0; i < 40; ++i) {
      Connection c;
      c.org_id = org_id;
      c.data_store_type = "redshift";
      c.name = "conn" + std::to_string(i);
      c.credentials["secret_access_key"] = Secret("secret-" + std::to_string(i));
      conn_ids.push_back(store->CreateConnection(c).value().id);
    }
  }
  SeededRandom timing(kSeed + 1);
  for (int i = 0; i < kIterations / 2; ++i) {
    this->RunAndKill(timing, 40ms, [](Store& store) {
      if (!store.RotateMasterKey().ok()) ::_exit(5);
    });
    if (::testing::Test::HasFatalFailure()) return;
    // A fresh process would read the key file from disk: do the same.
    auto keys = crypto::LocalKeyFile::Open(this->key_path_, this->random_);
    ASSERT_TRUE(keys.ok()) << "iteration " << i << ": " << keys.status();
    crypto::Crypto crypto(**keys, this->random_);
    auto store = this->backend_.Open(StoreDeps{crypto, this->hasher_, this->clock_, this->random_});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->GetOrg(org_id).ok()) << "iteration " << i;
    for (std::size_t k = 0; k < conn_ids.size(); ++k) {
      auto c = (*store)->GetConnection(org_id, conn_ids[k]);
      ASSERT_TRUE(c.ok()) << "iteration " << i << ": " << c.status();
      EXPECT_EQ(c->credentials.at("secret_access_key").Reveal(), "secret-" + std::to_string(k));
    }
    // Finishing the interrupted rotation leaves one version in use.
    ASSERT_TRUE((*store)->RewrapDataKeys().ok());
    EXPECT_EQ((*store)->MasterKeyIdsInUse().value(),
              std::vector<std::string>{(*keys)->Current().value().id});
  }
}

}  // namespace
}  // namespace schemaport::store
