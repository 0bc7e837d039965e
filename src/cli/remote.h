// The CLI commands that drive a schemaport server through its REST API with an API token
// (docs/cli.md): `login`, `logout`, `connections ...`, `metadata ...`, `datamap ...`,
// `tokens ...`, `version`, and `completion bash|zsh`. Everything the portal does can be scripted
// with them; `--json` prints the API's JSON, human output otherwise.
//
// Secrets (the connection's secret key, the login password) are read from stdin or a file,
// never from an argument. Exit codes: api_client.h (kExit*).
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <memory>

#include "core/core.h"

namespace schemaport::cli {

class RemoteCommands {
 public:
  // Adds the subcommands to `app`. REQUIRES: `app` outlives this object.
  explicit RemoteCommands(CLI::App& app);
  ~RemoteCommands();
  RemoteCommands(const RemoteCommands&) = delete;
  RemoteCommands& operator=(const RemoteCommands&) = delete;

  // After app.parse(): runs the parsed command and returns its exit code, or -1 when none of
  // these commands was given. `terminal`: stderr is a terminal (progress bars instead of lines).
  int Run(const Environment& env, std::istream& in, std::ostream& out, std::ostream& err,
          bool terminal);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The bash or zsh completion script for `app` (every subcommand and option).
std::string CompletionScript(const CLI::App& app, std::string_view shell);

}  // namespace schemaport::cli
