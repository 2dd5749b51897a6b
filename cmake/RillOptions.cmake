# RillOptions.cmake — every build option in one place.
option(RILL_TESTS "Build unit and integration tests" ON)
option(RILL_FUZZ "Build libFuzzer targets (needs clang)" OFF)
set(RILL_SANITIZER "" CACHE STRING "Sanitizers: empty, address, undefined, address,undefined, thread")
set_property(CACHE RILL_SANITIZER PROPERTY STRINGS "" address undefined "address,undefined" thread)

if(RILL_SANITIZER)
  if(NOT RILL_SANITIZER MATCHES "^(address|undefined|thread|address,undefined|undefined,address)$")
    message(FATAL_ERROR "RILL_SANITIZER: unsupported value '${RILL_SANITIZER}'")
  endif()
  add_compile_options(-fsanitize=${RILL_SANITIZER} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${RILL_SANITIZER})
endif()

# jemalloc instead of glibc malloc (needs libjemalloc-dev; never with
# sanitizers, which bring their own).  Off by default: it holds 2 M small
# strings in 20% less RSS at the same request speed, but snapshots and log
# replay walk the keyspace 25-65% slower, as it puts a key's entry, name,
# header and value in four size-class slabs (docs/decisions.md, "jemalloc").
option(RILL_JEMALLOC "Link jemalloc (libjemalloc-dev) unless sanitizers are on" OFF)
if(RILL_SANITIZER OR RILL_FUZZ)
  set(RILL_JEMALLOC OFF)
endif()

if(RILL_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(WARNING "RILL_FUZZ needs clang; fuzz targets disabled")
  set(RILL_FUZZ OFF)
endif()

# Tests run longer under sanitizers.
set(RILL_TEST_TIMEOUT_FACTOR 1)
if(RILL_SANITIZER)
  set(RILL_TEST_TIMEOUT_FACTOR 3)
endif()

# Coverage instrumentation for the library code the fuzz targets call.
if(RILL_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
