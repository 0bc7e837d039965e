#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // schemaport holds access keys, master keys and passwords in memory: no core file may hold them.
  if (const schemaport::Status s = schemaport::DisableCoreDumps(); !s.ok()) {
    std::cerr << "schemaport: " << s.message() << "\n";
    return 1;
  }
  std::vector<std::string> args(argv, argv + argc);
  return schemaport::cli::Run(args, schemaport::ProcessEnvironment(), std::cin, std::cout,
                              std::cerr);
}
