# Every dependency comes from a Debian 12 package (see scripts/install-deps).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(CURL REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(simdjson REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
# yaml-cpp (libyaml-cpp-dev): the Data Map's dbt sources export, quoted as YAML requires.
find_package(yaml-cpp REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# Debian's cpp-httplib ships no CMake config and is built as a shared library:
# link it through pkg-config and never define CPPHTTPLIB_* macros ourselves.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# ICU (libicu-dev): Unicode regular expressions for the AWS model patterns (\p{L}, code points).
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-i18n icu-uc)
# libxml2 (libxml2-dev): XML replies of the AWS query protocol (STS, redshift).
find_package(LibXml2 REQUIRED)
if(SCHEMAPORT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SCHEMAPORT_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()
