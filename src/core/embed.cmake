# cmake -DIN=FILE -DOUT=FILE.c -DNAME=symbol -P embed.cmake: FILE as a C string constant
# (hex escapes, so no byte needs quoting), `const char NAME[]`.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" body "${hex}")
string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){32})" "\\1\"\n    \"" body "${body}")
file(WRITE "${OUT}" "/* Generated from ${IN} by embed.cmake; do not edit. */\nextern const char ${NAME}[];\nconst char ${NAME}[] =\n    \"${body}\";\n")
