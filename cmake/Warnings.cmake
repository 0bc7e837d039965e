# Warnings as errors for our own code only; third-party headers are included as system headers.
function(schemaport_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow=local
                                           -Wnon-virtual-dtor -Wimplicit-fallthrough
                                           # designated initializers may leave defaulted members out
                                           -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false -Wrestrict positives inside std::string at -O2/-O3 (GCC bug 105329),
    # and false -Wmaybe-uninitialized ones inside std::regex and std::function under the
    # sanitizers.
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized)
  endif()
  if(SCHEMAPORT_FUZZ)
    # The fuzz build (clang) looks for crashes; warnings are the GCC builds' job.
    target_compile_options(${target} PRIVATE -Wno-error)
  endif()
endfunction()

# schemaport_library(NAME SOURCES... DEPS...): one static library per subsystem.
function(schemaport_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  schemaport_warnings(${name})
endfunction()
