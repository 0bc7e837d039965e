include(GoogleTest)

# schemaport_unit_test(NAME SOURCES... DEPS...): unit tests beside the code, labelled `unit`.
# Each test case becomes its own ctest entry.
function(schemaport_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT SCHEMAPORT_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  schemaport_warnings(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "unit;${ARG_LABELS}" TIMEOUT 120)
endfunction()

# schemaport_integration_test(NAME SOURCES... DEPS...): one ctest entry per binary, so the
# PostgreSQL cluster it needs is started once for all of its cases. Labelled `integration`.
function(schemaport_integration_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT SCHEMAPORT_BUILD_TESTS)
    return()
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} schemaport_test_support GTest::gtest GTest::gmock)
  schemaport_warnings(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  set_tests_properties(${name} PROPERTIES LABELS "integration;${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "SCHEMAPORT_SOURCE_DIR=${PROJECT_SOURCE_DIR};SCHEMAPORT_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()
