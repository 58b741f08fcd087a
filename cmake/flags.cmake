# Strict warnings as errors and hardening flags for every target of the project.
# Third-party headers are included as SYSTEM (pkg-config IMPORTED targets) so they do not trip -Werror.

set(CEREMONY_WARNINGS
  -Wall -Wextra -Werror -Wpedantic
  -Wshadow -Wconversion -Wsign-conversion -Wformat=2 -Wformat-security
  -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
  -Wcast-qual -Wpointer-arith -Wwrite-strings -Wundef -Wvla
  -Wnull-dereference -Wimplicit-fallthrough -Wmissing-declarations)

set(CEREMONY_HARDENING
  -fstack-protector-strong -fstack-clash-protection -fPIE
  -fno-strict-overflow -fno-delete-null-pointer-checks)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  list(APPEND CEREMONY_HARDENING -fcf-protection=full)
endif()

add_compile_options(${CEREMONY_WARNINGS} ${CEREMONY_HARDENING})
add_compile_definitions(_GNU_SOURCE)
if(NOT CEREMONY_SANITIZE AND NOT CEREMONY_FUZZ)
  add_compile_definitions($<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
endif()
add_link_options(-pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(CEREMONY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(CEREMONY_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CEREMONY_FUZZ needs clang: cmake -DCMAKE_C_COMPILER=clang -DCEREMONY_FUZZ=ON")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
