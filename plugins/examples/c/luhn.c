/* with_check_digit: an int64 number as text with its Luhn check digit appended. */
#include "sdg_plugin.h"

SDG_FUNCTION(with_check_digit, SDG_UTF8) {
    if (sdg_any_null(b, i)) return SDG_NULL;
    int64_t v = sdg_i64(sdg_input(b, 0), i);
    if (v < 0) {
        sdg_error(b, "with_check_digit needs numbers of 0 or more");
        return -2;
    }
    static char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
    /* digits[] holds the number backwards: double every other from the right. */
    int sum = 0;
    for (int k = 0; k < n; k++) {
        int d = digits[k] - '0';
        if (k % 2 == 0) { d *= 2; if (d > 9) d -= 9; }
        sum += d;
    }
    static char text[25];
    for (int k = 0; k < n; k++) text[k] = digits[n - 1 - k];
    text[n] = (char)('0' + (10 - sum % 10) % 10);
    out->str = text;
    out->len = (uint32_t)(n + 1);
    return SDG_OK;
}
