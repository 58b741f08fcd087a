# embed(FILE SYMBOL OUT): generate OUT, a C file defining `const unsigned char SYMBOL[]` with the bytes of
# FILE and `const size_t SYMBOL_len`, so that the binary carries it (the demo's template).
function(embed file symbol out)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DFILE=${file} -DSYMBOL=${symbol} -DOUT=${out} -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    VERBATIM)
endfunction()
