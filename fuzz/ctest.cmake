# Fuzz targets in `make test`: one ctest test per fuzz/fuzz_*.cc (fuzz.query for fuzz_query.cc)
# that replays its corpus and regressions and fuzzes it for ~10 s. Included from
# tests/CMakeLists.txt (the g++ test build); the targets themselves come from the clang fuzz
# build (TIDAL_FUZZ_BUILD_DIR, `make fuzz-build`). A missing fuzz build fails the tests with a
# message saying how to build it.
set(TIDAL_FUZZ_BUILD_DIR "${PROJECT_SOURCE_DIR}/build-fuzz"
    CACHE PATH "The clang/libFuzzer build whose targets `make test` runs")
set(TIDAL_FUZZ_CHECK_SECONDS 10 CACHE STRING "Seconds of fuzzing per target in `make test`")

file(GLOB TIDAL_FUZZ_TEST_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.cc)
list(REMOVE_ITEM TIDAL_FUZZ_TEST_SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_support.cc)
foreach(source ${TIDAL_FUZZ_TEST_SOURCES})
  get_filename_component(target ${source} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" short_name ${target})
  add_test(NAME fuzz.${short_name}
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/fuzz/run_fuzz.py check
                   --build ${TIDAL_FUZZ_BUILD_DIR} --target ${target}
                   --seconds ${TIDAL_FUZZ_CHECK_SECONDS})
  set_tests_properties(fuzz.${short_name} PROPERTIES TIMEOUT 600
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endforeach()
