/* console.h - the web console's files, compiled into sb-desk by console/embed.cmake. */
#ifndef DESK_CONSOLE_H
#define DESK_CONSOLE_H

#include <stddef.h>

typedef struct desk_console_asset {
    const char          *name;   /* file name under console/, e.g. "app.js"; NULL ends the table */
    const unsigned char *data;   /* its bytes (NUL-terminated, not counted in len) */
    size_t               len;
} desk_console_asset;

/* Every file of the console, in the order CMakeLists.txt lists them; ends with {NULL}. */
extern const desk_console_asset desk_console_assets[];

#endif
