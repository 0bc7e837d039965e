// schemaport demo: the whole product on one machine, from one command (`schemaport demo`,
// `make demo`). It starts, in this order and each in its own process group with a parent-death
// signal (so nothing outlives it, even after a crash or `kill -9`):
//
//   PostgreSQL    a private cluster under <data_dir>/pg (initdb on first run), on a free loopback
//                 port, run as the `postgres` user when started as root (initdb/pg_ctl refuse root)
//   aws-emulator  the local stand-in for AWS, with the sample warehouse below mapped to the
//                 Redshift Serverless workgroup `tickit-demo`
//   schemaport serve  the portal and API over HTTPS (self-signed), with embedded defaults under
//                 <data_dir>/server and AWS endpoints pointing at the emulator (server settings,
//                 never the connection form)
//
// On first run it loads the sample warehouse and creates the demo organization and login; later
// runs reuse the state (PostgreSQL data, the server's store, the login, the access key) unless
// `fresh` is set. Once everything answers it prints the lines of DESIGN §4 (portal URL, login,
// what to paste into the Connect form) and `Press Ctrl-C to stop.`, then waits for SIGINT or
// SIGTERM and stops everything, newest first.
//
// The sample warehouse (tools/demo/, embedded): database `dev` holds the TICKIT schema of the
// Redshift documentation with informational keys and comments, a view, a late-binding view, a
// materialized view (Redshift's shape), an external schema with an external table and a table the
// demo IAM user may not SELECT; database `marketing` has enable_case_sensitive_identifier on and
// a mixed-case quoted table.
//
// Thread safety: Run() is meant for a process's main thread; it blocks SIGINT and SIGTERM in the
// calling thread while it runs.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace schemaport::demo {

// What `schemaport demo` prints for the Connect form.
inline constexpr char kRegion[] = "us-east-1";
inline constexpr char kWorkgroup[] = "tickit-demo";
inline constexpr char kDatabase[] = "dev";
inline constexpr char kOrganization[] = "TICKIT Demo";
inline constexpr char kEmail[] = "demo@example.com";

// One database of the sample warehouse: its name (the same in Redshift and PostgreSQL) and the
// SQL a PostgreSQL superuser runs in it once the emulator has installed its catalog objects.
struct SampleDatabase {
  std::string name;
  std::string_view sql;
};
const std::vector<SampleDatabase>& SampleDatabases();

// The emulator configuration for the sample warehouse.
struct EmulatorSettings {
  int postgres_port = 5432;
  std::string postgres_superuser = "postgres";
  std::string access_key_id;      // AKIA + 16 [A-Z0-9]
  std::string secret_access_key;  // 40 characters
};
std::string EmulatorConfig(const EmulatorSettings& settings);

struct Options {
  // Where the demo keeps its state; created when missing. Its parents must be traversable by the
  // `postgres` user when running as root.
  std::filesystem::path data_dir = "/var/tmp/schemaport-demo";
  std::string host = "127.0.0.1";  // the portal's listen address
  int port = 8443;                 // 0: any free port
  bool fresh = false;              // discard saved state first
  // The directory holding `aws-emulator` (default: the directory of the running executable) and
  // the `schemaport` executable (default: the running one).
  std::filesystem::path bin_dir;
  std::filesystem::path schemaport_exe;
};

// Runs the demo until SIGINT/SIGTERM. Returns the process exit code: 0 after a clean stop, 1 when
// something failed (a one-line reason and how to fix it on `err`, plus the log file to read).
int Run(const Options& options, std::ostream& out, std::ostream& err);

}  // namespace schemaport::demo
