/* doubled: the input times two; a null input stays null (the pass-through). */
#include "sdg_plugin.h"

SDG_FUNCTION(doubled, SDG_INT64) {
    if (!sdg_valid(sdg_input(b, 0), i)) return SDG_NULL;
    out->i64 = 2 * sdg_i64(sdg_input(b, 0), i);
    return SDG_OK;
}
