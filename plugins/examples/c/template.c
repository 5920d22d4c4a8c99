/* display_name: "<first> <last>" from two text fields, null when either is;
 * cut at 512 bytes, never inside a character. */
#include "sdg_plugin.h"

SDG_FUNCTION(display_name, SDG_UTF8) {
    if (sdg_any_null(b, i)) return SDG_NULL;
    uint32_t la, lb;
    const char *a = sdg_str(sdg_input(b, 0), i, &la);
    const char *c = sdg_str(sdg_input(b, 1), i, &lb);
    static char text[512];
    uint32_t n = 0;
    for (uint32_t k = 0; k < la && n < sizeof text; k++) text[n++] = a[k];
    if (n < sizeof text) text[n++] = ' ';
    for (uint32_t k = 0; k < lb && n < sizeof text; k++) text[n++] = c[k];
    out->str = text;
    out->len = sdg_utf8_cut(text, n);
    return SDG_OK;
}
