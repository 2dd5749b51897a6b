# RillHelpers.cmake — one line per test.

# rill_unit_test(name): builds tests/unit/<name>_test.c against rillcore and
# cmocka, registers ctest "rill.unit.<name>".
function(rill_unit_test name)
  add_executable(${name}_test ${CMAKE_SOURCE_DIR}/tests/unit/${name}_test.c)
  target_link_libraries(${name}_test PRIVATE rillcore PkgConfig::CMOCKA)
  target_include_directories(${name}_test PRIVATE ${CMAKE_SOURCE_DIR}/tests/support)
  add_test(NAME rill.unit.${name} COMMAND ${name}_test)
  math(EXPR t "30 * ${RILL_TEST_TIMEOUT_FACTOR}")
  set_tests_properties(rill.unit.${name} PROPERTIES TIMEOUT ${t})
endfunction()

# rill_fuzz_target(name): builds tests/fuzz/fuzz_<name>.c with libFuzzer and
# registers a short ctest run "rill.fuzz.<name>" over the seed corpus.
function(rill_fuzz_target name)
  add_executable(fuzz_${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c)
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_${name} PRIVATE rillcore)
  set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  # New inputs go to a scratch corpus in the build tree; the seeds stay read-only.
  set(scratch ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-${name})
  file(MAKE_DIRECTORY ${scratch})
  add_test(NAME rill.fuzz.${name}
           COMMAND fuzz_${name} -max_total_time=20 -max_len=4096 ${scratch} ${corpus})
  math(EXPR t "120 * ${RILL_TEST_TIMEOUT_FACTOR}")
  set_tests_properties(rill.fuzz.${name} PROPERTIES TIMEOUT ${t})
endfunction()
