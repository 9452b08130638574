# Sanitizer and fuzzing builds (README "Sanitizers and fuzzing").
#
#   WAYHOME_SANITIZE=ON  every target with AddressSanitizer + UndefinedBehaviorSanitizer;
#                        any finding aborts (UBSan is not recoverable, with one narrow
#                        exception: see tests/sanitizers/ubsan.supp).
#   WAYHOME_FUZZ=ON      clang only: also -fsanitize=fuzzer-no-link everywhere and the
#                        libFuzzer harnesses of tests/fuzz (linked with -fsanitize=fuzzer).
#
# One build serves both (./dev test --sanitize and ./dev fuzz share build-asan), so CI
# compiles the code once more, not twice. The flags are global (add_compile_options)
# so the test fixtures and the binary the end-to-end tests start are instrumented too.
if(WAYHOME_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "WAYHOME_FUZZ needs clang (libFuzzer): configure with "
                      "CC=clang CXX=clang++ (Debian: clang, libclang-rt-14-dev)")
endif()

if(WAYHOME_SANITIZE OR WAYHOME_FUZZ)
  set(_wayhome_sanitizers "address,undefined")
  if(WAYHOME_FUZZ)
    string(APPEND _wayhome_sanitizers ",fuzzer-no-link")
  endif()
  add_compile_options(-fsanitize=${_wayhome_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all
                      # Two checks fire inside RapidJSON 1.1.0's headers (see
                      # tests/sanitizers/ubsan.supp, which suppresses them there by
                      # file). A suppression works only for a recoverable check;
                      # UBSAN_OPTIONS=halt_on_error=1 still stops on any other report.
                      -fsanitize-recover=float-cast-overflow,pointer-overflow)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # RapidJSON's iterators under C++20's reversed operators: noise from a header.
    add_compile_options(-Wno-ambiguous-reversed-operator)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's flow analysis gives false maybe-uninitialized warnings under ASan.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()

# wayhome_add_fuzzer(NAME <name> SOURCES ... LIBRARIES ...): one libFuzzer harness
# `wayhome_fuzz_<name>`, and a CTest (label `fuzz`) that replays its seed corpus
# tests/fuzz/corpus/<name>/ once, so every crash ever saved there stays fixed.
function(wayhome_add_fuzzer)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBRARIES" ${ARGN})
  set(target wayhome_fuzz_${ARG_NAME})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES})
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  target_compile_definitions(
    ${target} PRIVATE WAYHOME_FUZZ_SCHEMA_DIR="${PROJECT_SOURCE_DIR}/schemas/events"
                      WAYHOME_FUZZ_RULES_FILE="${PROJECT_SOURCE_DIR}/deploy/config/rules.json")
  wayhome_apply_warnings(${target})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${ARG_NAME})
  add_test(NAME fuzz_${ARG_NAME}_corpus COMMAND ${target} -runs=0 ${corpus})
  set_tests_properties(fuzz_${ARG_NAME}_corpus PROPERTIES LABELS fuzz TIMEOUT 120)
  set_property(GLOBAL APPEND PROPERTY WAYHOME_FUZZERS ${ARG_NAME})
endfunction()
