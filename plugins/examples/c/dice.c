/* dice: a roll of two dice per row, from the row's seeded random source
 * (the same on any worker count). No inputs. */
#include "sdg_plugin.h"

SDG_FUNCTION(dice, SDG_INT64) {
    out->i64 = (int64_t)(sdg_random(b, i, 0) % 6 + 1) + (int64_t)(sdg_random(b, i, 1) % 6 + 1);
    return SDG_OK;
}
