# Compile options for the fuzz build (TIDAL_FUZZ=ON): included by the root CMakeLists.txt before
# core/ so that tidalcore is instrumented for libFuzzer and built with ASan + UBSan.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "TIDAL_FUZZ needs clang (libFuzzer): configure with "
                      "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "
                      "(`make fuzz-build` does; `make deps` installs clang and libclang-rt-14-dev)")
endif()
# libFuzzer itself comes with libclang-rt-14-dev, which clang does not pull in: say so at
# configure time rather than as a link error in the middle of the build.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
check_cxx_source_compiles([[
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
]] TIDAL_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT TIDAL_HAVE_LIBFUZZER)
  message(FATAL_ERROR "clang cannot link -fsanitize=fuzzer: libFuzzer is missing "
                      "(Debian: libclang-rt-14-dev; `make deps` installs it)")
endif()
# fuzzer-no-link: coverage instrumentation for libFuzzer without its main(); the fuzz targets
# link -fsanitize=fuzzer themselves. Any UB report aborts, so libFuzzer records it as a crash.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=address,undefined)
# libstdc++'s cheap precondition checks (operator[] bounds, front() of empty, ...): ABI-neutral,
# they turn silent misuse that ASan cannot see (inside a container's capacity) into a crash.
add_compile_definitions(_GLIBCXX_ASSERTIONS)
