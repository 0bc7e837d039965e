// The `schemaport` command line. Its parts are wired by src/runtime (shared with the server).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "core/core.h"

namespace schemaport::cli {

// Runs the command line `args` (args[0] is the program name) with the given environment and
// standard streams; returns the process exit status (0 only on success).
int Run(const std::vector<std::string>& args, const Environment& env, std::istream& in,
        std::ostream& out, std::ostream& err);

}  // namespace schemaport::cli
