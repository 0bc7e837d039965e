#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return schemaport::cli::Run(args, schemaport::ProcessEnvironment(), std::cin, std::cout, std::cerr);
}
