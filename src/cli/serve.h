// Internal to src/cli: `schemaport serve` and `schemaport users add`.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <memory>
#include <string>

#include "core/core.h"

namespace schemaport::cli {

// The parsed options of the server commands; filled by CLI11.
struct ServerCommands {
  CLI::App* serve = nullptr;
  CLI::App* users_add = nullptr;
  std::string config;
  std::string data_dir;
  std::string listen;
  std::string org;
  std::string email;
  std::string role;
};

// Adds `serve` and `users add` to `app`. The result must outlive app.parse().
std::unique_ptr<ServerCommands> AddServerCommands(CLI::App& app);

// Runs the server command that was parsed; -1 when none was.
int RunServerCommands(const ServerCommands& commands, const Environment& env, std::istream& in,
                      std::ostream& out, std::ostream& err);

}  // namespace schemaport::cli
