//! The example plugins of `plugins/examples/c`, written with the Rust SDK:
//! one module exporting all five functions.
//!
//! ```text
//! rustup target add wasm32-unknown-unknown
//! cargo build --release --target wasm32-unknown-unknown -p sdg-plugin-examples
//! # → target/wasm32-unknown-unknown/release/sdg_plugin_examples.wasm
//! ```

use sdg_plugin::{Error, Row};

sdg_plugin::plugin! {
    // A config is refused at load (`sdg validate` reports it) when its rate
    // is not a number of 0 or more.
    init(config) {
        match config.get("rate") {
            None => Ok(()),
            Some(r) if r.as_f64().is_some_and(|r| r >= 0.0) => Ok(()),
            Some(_) => Err(Error::new("config.rate must be a number of 0 or more")),
        }
    }

    /// amount × quantity × (1 + config.rate), rounded to cents; null when an input is.
    fn with_tax(row: &Row) -> Option<f64> {
        let gross = row.f64(0)? * row.f64(1)? * (1.0 + sdg_plugin::config().number("rate").unwrap_or(0.2));
        Some((gross * 100.0).round() / 100.0)
    }

    /// An int64 number as text with its Luhn check digit appended.
    fn with_check_digit(row: &Row) -> Result<Option<String>, Error> {
        let Some(v) = row.i64(0) else { return Ok(None) };
        if v < 0 {
            return Err(Error::new("with_check_digit needs numbers of 0 or more"));
        }
        let mut text = v.to_string();
        text.push(char::from(b'0' + luhn_digit(&text)));
        Ok(Some(text))
    }

    /// "<first> <last>" from two text fields; null when either is.
    fn display_name(row: &Row) -> Option<String> {
        Some(format!("{} {}", row.str(0)?, row.str(1)?))
    }

    /// A roll of two dice from the row's random bits (no inputs).
    fn dice(row: &Row) -> Option<i64> {
        Some((row.random(0) % 6 + 1 + row.random(1) % 6 + 1) as i64)
    }

    /// The input times two; a null stays null.
    fn doubled(row: &Row) -> Option<i64> {
        row.i64(0).map(|v| v.wrapping_mul(2))
    }
}

/// The Luhn check digit of a number written in decimal.
pub fn luhn_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, c)| {
            let d = u32::from(c - b'0');
            if k % 2 == 0 {
                let d = 2 * d;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}
