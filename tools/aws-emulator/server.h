// The emulator process: the AWS endpoint (HTTP or HTTPS) serving every emulated service on one
// port, and the admin endpoint (HTTP, its own port) for faults, the statement log and counters.
//
// Protocols: awsJson1_1 services are dispatched by X-Amz-Target (RedshiftData.*,
// RedshiftServerless.*, secretsmanager.*); awsQuery services (STS, redshift) by the form's
// Action and the credential scope's service. Every request is SigV4-verified.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "config.h"
#include "core/core.h"

namespace schemaport::emulator {

class Emulator {
 public:
  // Keeps its own copy of `config`. REQUIRES: `clock` outlives the emulator.
  // Thread safety: Start and Stop from one thread; requests are served on internal threads.
  Emulator(EmulatorConfig config, const Clock& clock);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Installs the catalog objects into every mapped database, binds both ports and starts
  // serving in background threads. Fails with a clear message (PostgreSQL unreachable, port in
  // use, unreadable certificate).
  Status Start();
  // Stops serving, cancels running statements and joins the threads. Idempotent.
  void Stop();

  int port() const;
  int admin_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace schemaport::emulator
