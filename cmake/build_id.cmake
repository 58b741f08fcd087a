# The build hash that `ceremony --version` prints and that records will carry:
# the commit the binary was built from, with "-dirty" when the work tree had changes.
execute_process(
  COMMAND git -C ${CMAKE_SOURCE_DIR} describe --always --dirty --abbrev=40 --match=NONE
  OUTPUT_VARIABLE CEREMONY_BUILD_ID
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET)
if(NOT CEREMONY_BUILD_ID)
  set(CEREMONY_BUILD_ID "unknown")
endif()
