// Emulator: starts build/bin/aws-emulator for integration tests and benchmarks.
#include <httplib.h>

#include <regex>

#include "support/support.h"

namespace schemaport::testing {

Result<std::unique_ptr<Emulator>> Emulator::Start(const std::string& config_toml,
                                                  const std::vector<std::string>& extra_args) {
  std::unique_ptr<Emulator> e(new Emulator());
  e->dir_ = std::make_unique<TempDir>("schemaport-emu");
  WriteFile(*e->dir_ / "emulator.toml", config_toml);
  ChildProcess::Options o;
  o.argv = {(BinDir() / "aws-emulator").string(),
            "--config",
            (*e->dir_ / "emulator.toml").string(),
            "--port",
            "0",
            "--admin-port",
            "0",
            "--statement-log",
            (*e->dir_ / "statements.jsonl").string()};
  for (const auto& a : extra_args) o.argv.push_back(a);
  o.log_path = *e->dir_ / "emulator.log";
  e->process_ = SP_TRY(ChildProcess::Start(o));
  const std::string log =
      SP_TRY(e->process_->WaitForLog("\"event\":\"listening\"", std::chrono::seconds(30)));
  std::smatch m;
  if (!std::regex_search(
          log, m, std::regex(R"re("admin_port":(\d+).*"port":(\d+).*"tls":(true|false))re"))) {
    return Internal("aws-emulator did not report its ports; log:\n" + log);
  }
  e->admin_port_ = std::stoi(m[1].str());
  e->port_ = std::stoi(m[2].str());
  e->tls_ = m[3].str() == "true";
  return e;
}

std::string Emulator::EndpointUrl() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

Result<std::string> Emulator::Admin(const std::string& method, const std::string& path,
                                    const std::string& body) {
  httplib::Client client("127.0.0.1", admin_port_);
  client.set_read_timeout(30, 0);
  auto send = [&]() -> httplib::Result {
    if (method == "PUT") return client.Put(path, body, "application/json");
    if (method == "POST") return client.Post(path, body, "application/json");
    if (method == "DELETE") return client.Delete(path);
    return client.Get(path);
  };
  if (method != "GET" && method != "PUT" && method != "POST" && method != "DELETE") {
    return InvalidArgument("unsupported admin method " + method);
  }
  httplib::Result r = send();
  if (!r) return Unavailable("aws-emulator admin endpoint did not answer " + method + " " + path);
  if (r->status / 100 != 2) {
    return Internal("aws-emulator admin " + method + " " + path + " gave HTTP " +
                    std::to_string(r->status) + ": " + r->body);
  }
  return r->body;
}

}  // namespace schemaport::testing
