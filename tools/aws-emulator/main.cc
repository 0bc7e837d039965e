// aws-emulator: a local stand-in for the AWS APIs schemaport calls, backed by PostgreSQL.
//
//   aws-emulator --config emulator.toml [--port N] [--admin-port N] [--host H]
//                [--tls-cert FILE --tls-key FILE] [--statement-log FILE]
//
// On start it prints one JSON line on stdout:
//   {"event":"listening","port":N,"admin_port":M,"tls":false}
// and serves until SIGINT or SIGTERM.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "config.h"
#include "server.h"

int main(int argc, char** argv) {
  using namespace schemaport;
  // The emulator holds IAM secret keys, session tokens and Secrets Manager values.
  if (const Status s = DisableCoreDumps(); !s.ok()) {
    std::cerr << "aws-emulator: " << s.message() << "\n";
    return 1;
  }
  CLI::App app{
      "aws-emulator: local stand-in for Redshift Data API, STS, Secrets Manager, redshift and "
      "redshift-serverless, backed by PostgreSQL"};
  std::string config_path;
  std::optional<int> port, admin_port;
  std::optional<std::string> host, tls_cert, tls_key, statement_log;
  app.add_option("--config", config_path, "TOML configuration file (see docs/aws-emulator.md)")
      ->required();
  app.add_option("--port", port, "AWS endpoint port (0: any free port)");
  app.add_option("--admin-port", admin_port, "admin endpoint port (0: any free port)");
  app.add_option("--host", host, "address to listen on");
  app.add_option("--tls-cert", tls_cert, "PEM certificate: serve HTTPS");
  app.add_option("--tls-key", tls_key, "PEM private key for --tls-cert");
  app.add_option("--statement-log", statement_log,
                 "append executed statements as JSON lines to this file");
  CLI11_PARSE(app, argc, argv);

  auto loaded = emulator::LoadEmulatorConfig(config_path);
  if (!loaded.ok()) {
    std::cerr << "aws-emulator: " << loaded.status().message() << "\n";
    return 2;
  }
  emulator::EmulatorConfig config = std::move(loaded.value());
  if (port) config.server.port = *port;
  if (admin_port) config.server.admin_port = *admin_port;
  if (host) config.server.host = *host;
  if (tls_cert) config.server.tls_cert = *tls_cert;
  if (tls_key) config.server.tls_key = *tls_key;
  if (statement_log) config.server.statement_log = *statement_log;
  if (config.server.tls_cert.empty() != config.server.tls_key.empty()) {
    std::cerr << "aws-emulator: --tls-cert and --tls-key go together\n";
    return 2;
  }
  bool tls = !config.server.tls_cert.empty();

  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  emulator::Emulator emu(std::move(config), clock);
  Status started = emu.Start();
  if (!started.ok()) {
    std::cerr << "aws-emulator: " << started.message() << "\n";
    return 1;
  }
  nlohmann::json line = {
      {"event", "listening"}, {"port", emu.port()}, {"admin_port", emu.admin_port()}, {"tls", tls}};
  std::cout << line.dump() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  emu.Stop();
  std::cout << nlohmann::json{{"event", "stopped"}, {"signal", sig}}.dump() << std::endl;
  return 0;
}
