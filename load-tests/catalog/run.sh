#!/usr/bin/env bash
# The identity record (configs/identities.yaml: full name, email, phone,
# birth date, street, city, postcode, country, IBAN, card) made by sdg and,
# side by side on one core, by Python Faker, Mimesis and Faker.js (installed
# here with pip and npm into a temp dir, never in the test suite).
#   bash load-tests/catalog/run.sh [ROWS_FOR_PEERS]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
rows="${1:-200000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --locked -p sdg 2>&1 | tail -1
sdg="$CARGO_TARGET_DIR/release/sdg"

python3 -m pip install -q --disable-pip-version-check --target "$work/py" "faker==40.63.0" "mimesis==18.0.0" 2>&1 | grep -v "Running pip as the 'root' user" || true
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "@faker-js/faker@10.6.0" >/dev/null)

echo "== Python Faker 40.63.0 (de_DE), $rows rows, one core"
PYTHONPATH="$work/py" python3 - "$rows" <<'PY'
import sys, time
from faker import Faker
n = int(sys.argv[1]); f = Faker("de_DE"); Faker.seed(1)
t = time.perf_counter()
for _ in range(n):
    (f.name(), f.email(), f.phone_number(), f.date_of_birth(), f.street_address(), f.city(), f.postcode(),
     f.country_code(), f.iban(), f.credit_card_number("visa"))
s = time.perf_counter() - t
print(f"faker: {n / s:,.0f} rows/s")
PY

echo "== Mimesis 18.0.0 (de), $rows rows, one core (no IBAN in Mimesis: a second card number stands in)"
PYTHONPATH="$work/py" python3 - "$rows" <<'PY'
import sys, time
from mimesis import Person, Address, Datetime, Payment, Finance, Locale
n = int(sys.argv[1]); p = Person(Locale.DE, seed=1); a = Address(Locale.DE, seed=1); d = Datetime(Locale.DE, seed=1); pay = Payment(seed=1)
t = time.perf_counter()
for _ in range(n):
    (p.full_name(), p.email(), p.telephone(), d.date(), a.address(), a.city(), a.postal_code(), a.country_code(),
     pay.credit_card_number(), pay.credit_card_number())
s = time.perf_counter() - t
print(f"mimesis: {n / s:,.0f} rows/s")
PY

echo "== Faker.js 10.6.0 (de), $rows rows, one core"
(cd "$work" && node --input-type=module -e "
import { fakerDE as f } from '@faker-js/faker';
const n = Number(process.argv[1]); f.seed(1);
const t = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  [f.person.fullName(), f.internet.email(), f.phone.number(), f.date.birthdate(), f.location.streetAddress(), f.location.city(),
   f.location.zipCode(), f.location.countryCode(), f.finance.iban(), f.finance.creditCardNumber('visa')];
}
const s = Number(process.hrtime.bigint() - t) / 1e9;
console.log('faker.js: ' + Math.round(n / s).toLocaleString('en-US') + ' rows/s');
" "$rows")

echo "== sdg (configs/identities.yaml), 5 000 000 rows, one worker"
for f in arrow csv; do "$sdg" bench configs/identities.yaml --workers 1 --format "$f" --rows 5000000; done
