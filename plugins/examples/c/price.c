/* with_tax: amount × quantity × (1 + config.rate), in cents; null when an input is. */
#include "sdg_plugin.h"

SDG_FUNCTION(with_tax, SDG_FLOAT64) {
    if (sdg_any_null(b, i)) return SDG_NULL;
    double gross = sdg_number(sdg_input(b, 0), i) * sdg_number(sdg_input(b, 1), i) * (1.0 + sdg_config_number("rate", 0.2));
    out->f64 = (double)(int64_t)(gross * 100.0 + (gross >= 0 ? 0.5 : -0.5)) / 100.0;
    return SDG_OK;
}
