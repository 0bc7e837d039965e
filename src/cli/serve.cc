// `schemaport serve` and `schemaport users add`: the server's start-up over src/runtime's wiring.
#include "cli/serve.h"

#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <iostream>

#include "portal/portal.h"
#include "runtime/runtime.h"
#include "server/server.h"
#include "service/service.h"

namespace schemaport::cli {

namespace {

void PrintError(std::ostream& err, const Status& status) {
  err << "schemaport: " << status.message() << "\n";
}

// The server's own configuration keys (appended to the runtime's, so one file holds both).
ConfigSchema ServeConfigSchema() {
  ConfigSchema s;
  s.String("server.listen", "127.0.0.1:8443", "HOST:PORT to listen on (port 0: any free port)")
      .String("server.host_names", "localhost,127.0.0.1,::1",
              "comma-separated DNS names and IP addresses of the self-signed certificate")
      .String("server.tls_cert", "", "PEM certificate chain; empty: self-signed under the data dir")
      .String("server.tls_key", "", "PEM private key of server.tls_cert")
      .Int("server.threads", 16, 2, 512, "connection worker threads")
      .Int("server.max_body_bytes", 1 << 20, 1024, 64 << 20, "request body limit (bigger: 413)")
      .Int("server.keep_alive_seconds", 5, 1, 300, "idle keep-alive connections close after this")
      .Int("server.keep_alive_max_requests", 1000, 1, 1000000, "requests on one connection")
      .Bool("server.trust_forwarded_for", false,
            "take the client address from X-Forwarded-For (only behind a reverse proxy)")
      .SecretKey("server.metrics_token", "when set, GET /metrics requires this Bearer token")
      .Int("jobs.lease_seconds", 30, 2, 3600,
           "a job whose instance stops renewing its lease this long is taken over by another");
  return s;
}

// "127.0.0.1:8443", "[::1]:0", "localhost:8443".
Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  const std::string bad = "--listen / server.listen: \"" + listen + "\" is not HOST:PORT";
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return InvalidArgument(bad);
  std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535 ||
      host.empty()) {
    return InvalidArgument(bad);
  }
  return std::make_pair(host, port);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    pos = comma + 1;
  }
  return out;
}

service::Options ServiceOptions(const runtime::Runtime& rt) {
  service::Options o;
  o.job_lease = std::chrono::seconds(rt.config.GetInt("jobs.lease_seconds"));
  o.worker_threads = rt.worker_threads;
  o.max_job_attempts = rt.max_job_attempts;
  o.session_idle = rt.session_idle;
  o.session_absolute = rt.session_absolute;
  return o;
}

// The portal (web/, embedded by src/portal). A build with -DSCHEMAPORT_PORTAL=OFF has no files:
// then the server answers non-API paths with 404.
server::AssetLookup PortalAssets() {
  if (portal::Index() == nullptr) return nullptr;
  return [](std::string_view path) -> std::optional<server::StaticAsset> {
    const portal::Asset* a = portal::Find(path);
    if (a == nullptr) return std::nullopt;
    return server::StaticAsset{a->content_type, a->body, a->etag, a->immutable};
  };
}

// Blocks SIGINT and SIGTERM in this thread (and so in every thread started after), for sigwait.
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  int Wait() const {
    int sig = 0;
    while (sigwait(&set_, &sig) != 0) {
    }
    return sig;
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

int Serve(const ServerCommands& c, const Environment& env, std::ostream& out, std::ostream& err) {
  // Before any thread exists, so that every thread inherits the mask and only sigwait sees them.
  BlockedSignals signals;
  // A client that goes away mid-response must not end the process: writes then fail with EPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  auto logger = Logger::Stderr(LogLevel::kInfo);
  auto metrics = std::make_shared<server::Metrics>();
  runtime::Options options;
  options.config_path = c.config;
  options.data_dir_override = c.data_dir;
  options.extra_config = ServeConfigSchema();
  options.logger = logger;
  options.observer = [metrics](const runtime::AwsCall& call) {
    // "redshift-data" from an AWS host name, "RedshiftData" (the target prefix) from a custom
    // endpoint.
    if (call.service == "redshift-data" || call.service == "RedshiftData") {
      metrics->RecordDataApiCall(call.operation, call.outcome);
    }
  };
  auto wired = runtime::Wire(options, env);
  if (!wired.ok()) return PrintError(err, wired.status()), 2;
  runtime::Runtime& rt = **wired;
  const Config& config = rt.config;

  auto listen = ParseListen(c.listen.empty() ? config.GetString("server.listen") : c.listen);
  if (!listen.ok()) return PrintError(err, listen.status()), 2;
  server::CertificateOptions cert;
  cert.cert_file = config.GetString("server.tls_cert");
  cert.key_file = config.GetString("server.tls_key");
  cert.data_dir = rt.data_dir;
  cert.host_names = SplitList(config.GetString("server.host_names"));
  auto paths = server::PrepareCertificate(cert, rt.clock);
  if (!paths.ok()) return PrintError(err, paths.status()), 2;
  if (paths->generated) {
    logger->Info("made a self-signed TLS certificate", {{"cert_file", paths->cert_file.string()}});
  }

  service::Service service(
      service::Deps{*rt.store, *rt.registry, *rt.keys, rt.clock, rt.random, logger},
      ServiceOptions(rt));
  auto setup_token = service.PrepareSetup();
  if (!setup_token.ok()) return PrintError(err, setup_token.status()), 1;

  server::Options so;
  so.host = listen->first;
  so.port = listen->second;
  so.certificate = *paths;
  so.threads = static_cast<int>(config.GetInt("server.threads"));
  so.max_body_bytes = static_cast<std::size_t>(config.GetInt("server.max_body_bytes"));
  so.keep_alive_timeout = std::chrono::seconds(config.GetInt("server.keep_alive_seconds"));
  so.keep_alive_max_requests =
      static_cast<std::size_t>(config.GetInt("server.keep_alive_max_requests"));
  so.trust_forwarded_for = config.GetBool("server.trust_forwarded_for");
  so.metrics_token = config.GetSecret("server.metrics_token").Reveal();
  so.assets = PortalAssets();
  server::Server server(service, std::move(so), logger, rt.clock, rt.random, metrics);
  if (Status started = server.Start(); !started.ok()) return PrintError(err, started), 1;
  service.Start();
  logger->Info("serving", {{"url", server.url()}, {"store", rt.describe}});

  out << "Listening on " << server.url() << "\n";
  if (*setup_token) {
    // Printed once, on standard output only: never written to the log.
    out << "Setup token: " << (*setup_token)->Reveal() << "\n"
        << "Open " << server.url() << " and enter it to create the first organization and admin\n"
        << "(or run `schemaport users add`).\n";
  }
  out.flush();

  const int sig = signals.Wait();
  logger->Info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  server.Stop();
  service.Stop();
  logger->Info("stopped");
  return 0;
}

int UsersAdd(const ServerCommands& c, const Environment& env, std::istream& in, std::ostream& out,
             std::ostream& err) {
  store::Role role = c.role == "admin" ? store::Role::kAdmin : store::Role::kMember;
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const Secret password(std::move(line));
  if (password.empty()) {
    return PrintError(err,
                      InvalidArgument("Password: give the new user's password on standard input")),
           2;
  }
  runtime::Options options;
  options.config_path = c.config;
  options.data_dir_override = c.data_dir;
  options.extra_config = ServeConfigSchema();
  auto wired = runtime::Wire(options, env);
  if (!wired.ok()) return PrintError(err, wired.status()), 2;
  runtime::Runtime& rt = **wired;
  service::Service service(
      service::Deps{*rt.store, *rt.registry, *rt.keys, rt.clock, rt.random, nullptr},
      ServiceOptions(rt));
  auto user = service.AddUserFromShell(c.org, c.email, role, password);
  if (!user.ok()) {
    const Code code = user.status().code();
    return PrintError(err, user.status()),
           code == Code::kInvalidArgument || code == Code::kAlreadyExists ? 2 : 1;
  }
  out << "Added " << store::RoleName(user->role) << " " << user->email << " (user id " << user->id
      << ").\n";
  return 0;
}

}  // namespace

std::unique_ptr<ServerCommands> AddServerCommands(CLI::App& app) {
  auto c = std::make_unique<ServerCommands>();
  c->serve = app.add_subcommand("serve", "Run the HTTPS server: the REST API and the portal");
  c->serve->add_option("--config", c->config, "server configuration file (TOML)");
  c->serve->add_option("--data-dir", c->data_dir, "data directory (overrides data_dir)");
  c->serve->add_option("--listen", c->listen,
                       "HOST:PORT (overrides server.listen; port 0: any free port)");

  auto* users = app.add_subcommand("users", "Manage user accounts");
  users->require_subcommand(1);
  c->users_add = users->add_subcommand(
      "add",
      "Add a user (password on standard input); with an empty store, creates the organization");
  c->users_add->add_option("--config", c->config, "server configuration file (TOML)");
  c->users_add->add_option("--data-dir", c->data_dir, "data directory (overrides data_dir)");
  c->users_add->add_option("--org", c->org, "organization name or id")->required();
  c->users_add->add_option("--email", c->email, "the user's e-mail address")->required();
  c->users_add->add_option("--role", c->role, "admin or member")
      ->required()
      ->check(CLI::IsMember({"admin", "member"}));
  return c;
}

int RunServerCommands(const ServerCommands& commands, const Environment& env, std::istream& in,
                      std::ostream& out, std::ostream& err) {
  if (commands.serve->parsed()) return Serve(commands, env, out, err);
  if (commands.users_add->parsed()) return UsersAdd(commands, env, in, out, err);
  return -1;
}

}  // namespace schemaport::cli
