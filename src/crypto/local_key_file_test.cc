#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "crypto/crypto.h"

namespace schemaport::crypto {
namespace {

class LocalKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sp-keys-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ / "keys" / "master.key";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string ReadAll() {
    std::ifstream in(path_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  void WriteAll(const std::string& text, mode_t mode) {
    std::filesystem::create_directories(path_.parent_path());
    std::ofstream(path_) << text;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }

  SeededRandom random_{7};
  std::filesystem::path dir_, path_;
};

TEST_F(LocalKeyFileTest, CreatesFileWithMode0600OnFirstOpen) {
  auto keys = LocalKeyFile::Open(path_, random_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ((*keys)->Current().value().id, "1");
  EXPECT_EQ((*keys)->Current().value().material.Reveal().size(), kKeyBytes);
}

TEST_F(LocalKeyFileTest, ReopenReturnsTheSameKey) {
  const Key first = LocalKeyFile::Open(path_, random_).value()->Current().value();
  SystemRandom other;
  const Key again = LocalKeyFile::Open(path_, other).value()->Current().value();
  EXPECT_EQ(again.id, first.id);
  EXPECT_TRUE(again.material.Equals(first.material));
}

TEST_F(LocalKeyFileTest, RefusesFileReadableByGroupOrOthers) {
  ASSERT_TRUE(LocalKeyFile::Open(path_, random_).ok());
  for (mode_t mode : {0640, 0604, 0660, 0644, 0602}) {
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    auto r = LocalKeyFile::Open(path_, random_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
    EXPECT_NE(r.status().message().find("chmod 600"), std::string::npos) << r.status();
    EXPECT_NE(r.status().message().find(path_.string()), std::string::npos);
  }
}

TEST_F(LocalKeyFileTest, RejectsMalformedFileWithoutEchoingKeys) {
  WriteAll("1 c2VjcmV0LWtleS1tYXRlcmlhbA==\n", 0600);  // 19 bytes, not 32
  auto r = LocalKeyFile::Open(path_, random_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(":1:"), std::string::npos) << r.status();
  EXPECT_EQ(r.status().message().find("c2VjcmV0"), std::string::npos);

  WriteAll("# only a comment\n", 0600);
  EXPECT_EQ(LocalKeyFile::Open(path_, random_).status().code(), Code::kInvalidArgument);
  WriteAll("2 " + std::string(43, 'A') + "=\n1 " + std::string(43, 'A') + "=\n", 0600);
  EXPECT_EQ(LocalKeyFile::Open(path_, random_).status().code(), Code::kInvalidArgument);
}

TEST_F(LocalKeyFileTest, RotateAddsDurableVersionAndKeepsOldOnes) {
  auto keys = LocalKeyFile::Open(path_, random_).value();
  const Key v1 = keys->Current().value();
  const Key v2 = keys->Rotate().value();
  EXPECT_EQ(v2.id, "2");
  EXPECT_FALSE(v2.material.Equals(v1.material));
  EXPECT_EQ(keys->Current().value().id, "2");
  EXPECT_TRUE(keys->Get("1").value().material.Equals(v1.material));

  auto reopened = LocalKeyFile::Open(path_, random_).value();
  EXPECT_EQ(reopened->Versions(), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(reopened->Current().value().material.Equals(v2.material));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path_.string() + ".tmp"));
}

TEST_F(LocalKeyFileTest, GetUnknownVersionIsNotFound) {
  auto keys = LocalKeyFile::Open(path_, random_).value();
  EXPECT_EQ(keys->Get("9").status().code(), Code::kNotFound);
}

TEST_F(LocalKeyFileTest, RetireOldVersionsKeepsOnlyCurrent) {
  auto keys = LocalKeyFile::Open(path_, random_).value();
  ASSERT_TRUE(keys->Rotate().ok());
  ASSERT_TRUE(keys->RetireOldVersions().ok());
  EXPECT_EQ(keys->Versions(), std::vector<std::string>{"2"});
  EXPECT_EQ(LocalKeyFile::Open(path_, random_).value()->Get("1").status().code(), Code::kNotFound);
}

TEST_F(LocalKeyFileTest, SeesRotationByAnotherInstanceOfTheFile) {
  // Two owners of the same file, as a server and a `schemaport keys rotate` process are.
  auto server = LocalKeyFile::Open(path_, random_).value();
  auto cli = LocalKeyFile::Open(path_, random_).value();
  const Key v2 = cli->Rotate().value();
  EXPECT_EQ(server->Current().value().id, "2");
  EXPECT_TRUE(server->Get("2").value().material.Equals(v2.material));
  // A rotation by the stale-looking instance builds on the file, never overwriting version 2.
  EXPECT_EQ(server->Rotate().value().id, "3");
  EXPECT_TRUE(cli->Get("3").ok());
  EXPECT_EQ(cli->Versions(), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(LocalKeyFileTest, RefusesFileMadeReadableWhileInUse) {
  auto keys = LocalKeyFile::Open(path_, random_).value();
  ASSERT_TRUE(LocalKeyFile::Open(path_, random_).value()->Rotate().ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_EQ(keys->Current().status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace schemaport::crypto
