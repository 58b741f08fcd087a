file(READ ${FILE} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${FILE} by cmake/embed_run.cmake. */\n#include <stddef.h>\n"
  "const unsigned char ${SYMBOL}[] = {${bytes}};\nconst size_t ${SYMBOL}_len = ${len};\n")
