// `schemaport keys rotate` on the embedded store: a connection sealed before the rotation still
// opens after it, every data key moves to the new master key, and bad configuration is a clear
// error that changes nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>

#include "cli/cli.h"
#include "runtime/runtime.h"
#include "support/support.h"

namespace schemaport::testing {
namespace {

class CliKeysTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args, std::string* out_text = nullptr,
          std::string* err_text = nullptr) {
    std::istringstream in;
    std::ostringstream out, err;
    args.insert(args.begin(), "schemaport");
    const int rc = cli::Run(args, Environment{}, in, out, err);
    if (out_text) *out_text = out.str();
    if (err_text) *err_text = err.str();
    return rc;
  }
  TempDir dir_;
};

TEST_F(CliKeysTest, RotationKeepsSealedDataReadableAndMovesEveryKey) {
  const std::string data = (dir_ / "data").string();
  std::string connection_id, org_id;
  {
    auto w = runtime::Wire({.config_path = "", .data_dir_override = data}, Environment{});
    ASSERT_TRUE(w.ok()) << w.status();
    auto org = (*w)->store->CreateOrg("acme");
    ASSERT_TRUE(org.ok()) << org.status();
    org_id = org->id;
    store::Connection c;
    c.org_id = org_id;
    c.data_store_type = "redshift";
    c.name = "warehouse";
    c.settings = {{"region", "us-east-1"}};
    c.credentials["secret_access_key"] = Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    auto created = (*w)->store->CreateConnection(c);
    ASSERT_TRUE(created.ok()) << created.status();
    connection_id = created->id;
  }
  std::string out;
  ASSERT_EQ(Run({"keys", "rotate", "--data-dir", data, "--json"}, &out), 0);
  const std::string current = nlohmann::json::parse(out)["current_key"];
  EXPECT_EQ(nlohmann::json::parse(out)["keys_in_use"], nlohmann::json::array({current}));
  ASSERT_EQ(Run({"keys", "rotate", "--data-dir", data}, &out), 0);
  EXPECT_NE(out.find("Rotated the master key"), std::string::npos);

  auto w = runtime::Wire({.config_path = "", .data_dir_override = data}, Environment{});
  ASSERT_TRUE(w.ok()) << w.status();
  auto c = (*w)->store->GetConnection(org_id, connection_id);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->credentials.at("secret_access_key").Reveal(),
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  auto in_use = (*w)->store->MasterKeyIdsInUse();
  ASSERT_TRUE(in_use.ok());
  auto now = (*w)->keys->Current();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(*in_use, std::vector<std::string>{now->id});
  EXPECT_NE(now->id, current);
}

TEST_F(CliKeysTest, BadConfigurationIsAClearError) {
  WriteFile(dir_ / "schemaport.toml", "[keys]\nprovider = \"vault\"\n");
  std::string err;
  EXPECT_EQ(Run({"keys", "rotate", "--config", (dir_ / "schemaport.toml").string()}, nullptr, &err),
            1);
  EXPECT_NE(err.find("schemaport.toml:2: keys.provider: 'vault' is not one of"), std::string::npos)
      << err;
  WriteFile(dir_ / "sm.toml", "[keys]\nprovider = \"aws-secrets-manager\"\n");
  EXPECT_EQ(Run({"keys", "rotate", "--config", (dir_ / "sm.toml").string()}, nullptr, &err), 1);
  EXPECT_NE(err.find("needs keys.secret_id and keys.region"), std::string::npos) << err;
}

TEST_F(CliKeysTest, KeyFileReadableByOthersIsRefused) {
  const std::string data = (dir_ / "data").string();
  ASSERT_EQ(Run({"keys", "rotate", "--data-dir", data}), 0);
  std::filesystem::permissions(dir_ / "data" / "master.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  std::string err;
  EXPECT_EQ(Run({"keys", "rotate", "--data-dir", data}, nullptr, &err), 1);
  EXPECT_NE(err.find("chmod 600"), std::string::npos) << err;
}

}  // namespace
}  // namespace schemaport::testing
