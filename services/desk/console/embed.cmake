# embed.cmake - turns the console's files into one C source of byte arrays, so sb-desk serves
# them from its own binary (no files to deploy next to it). Run as
#   cmake -DOUT=<file.c> -DDIR=<folder> -DFILES=index.html,app.js,app.css -P embed.cmake
# Plain CMake (file(READ ... HEX)): no xxd, no linker tricks, the same on every platform.
string(REPLACE "," ";" FILES "${FILES}")
set(body "/* Generated from services/desk/console by embed.cmake: do not edit. */\n")
string(APPEND body "#include \"services/desk/console.h\"\n\n")
set(table "")
set(i 0)
foreach(name IN LISTS FILES)
  file(READ "${DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # Lines of 32 bytes keep the generated file readable in a diff.
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n    " bytes "${bytes}")
  string(APPEND body "static const unsigned char asset_${i}[] = {\n    ${bytes}0x00};\n")
  string(APPEND table "    {\"${name}\", asset_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst desk_console_asset desk_console_assets[] = {\n${table}    {0, 0, 0}};\n")
file(WRITE "${OUT}.tmp" "${body}")
# Only a changed output rebuilds sb-desk.
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
file(REMOVE "${OUT}.tmp")
