#!/usr/bin/env bash
# sdg's Gaussian copula beside the `copulas` Python library's
# GaussianMultivariate (SDV's engine), installed here with pip into a temp
# dir, never in the test suite. On the Palmer penguins
# (configs/datasets/penguins.csv):
#   1. fidelity of 10 000 rows of each against the data, both scored by
#      `sdg fit --compare` (the same KS / TV / correlation / quality code), on
#      the four measurements (`copulas` models numbers only; rows with a
#      null dropped, which it cannot read);
#   2. sdg on all eight mixed columns (its own report);
#   3. sampling speed: `copulas` sampling 100 000 rows vs `sdg bench` of the
#      same four-column model (one core).
#   bash load-tests/copula/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sdg-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --locked -p sdg 2>&1 | tail -1
sdg="$CARGO_TARGET_DIR/release/sdg"
python3 -m pip install -q --disable-pip-version-check --target "$work/py" "copulas==0.12.3" 2>&1 | grep -v "Running pip as the 'root' user" || true

cols=bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g
python3 - "$work" <<'PY'
import csv, sys
rows = list(csv.DictReader(open("configs/datasets/penguins.csv")))
cols = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
with open(f"{sys.argv[1]}/numeric.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(cols)
    for r in rows:
        if all(r[c] for c in cols):
            w.writerow([r[c] for c in cols])
PY

echo "== copulas 0.12.3 GaussianMultivariate: fit, sample 10 000 and 100 000 rows"
PYTHONPATH="$work/py" python3 - "$work" <<'PY'
import sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from copulas.multivariate import GaussianMultivariate
w = sys.argv[1]
data = pd.read_csv(f"{w}/numeric.csv")
t = time.perf_counter(); m = GaussianMultivariate(); m.fit(data); fit_s = time.perf_counter() - t
m.sample(10_000).to_csv(f"{w}/copulas.csv", index=False)
t = time.perf_counter(); m.sample(100_000); s = time.perf_counter() - t
print(f"copulas: fit {fit_s * 1e3:.0f} ms; sampling {100_000 / s:,.0f} rows/s")
PY

echo "== fidelity on the four measurements (10 000 rows each, scored by sdg fit --compare)"
printf 'copulas: '; "$sdg" fit "$work/numeric.csv" --json --compare "$work/copulas.csv" | python3 -c "import json,sys; f=json.load(sys.stdin)['fidelity']; print('KS max %.4f, max |dSpearman| %.4f, max |dPearson| %.4f, quality %.4f' % (max(c['value'] for c in f['columns']), f['max_spearman_delta'], f['max_pearson_delta'], f['quality']))"
printf 'sdg:     '; "$sdg" fit "$work/numeric.csv" --json --rows 10000 | python3 -c "import json,sys; f=json.load(sys.stdin)['fidelity']; print('KS max %.4f, max |dSpearman| %.4f, max |dPearson| %.4f, quality %.4f' % (max(c['value'] for c in f['columns']), f['max_spearman_delta'], f['max_pearson_delta'], f['quality']))"

echo "== sdg on all eight columns (mixed types, nulls kept)"
"$sdg" fit configs/datasets/penguins.csv --rows 10000

echo "== sdg sampling the four-column model, one worker"
cat > "$work/bench.yaml" <<YAML
name: copula-bench
seed: 1
destination: { type: BLACKHOLE }
pools: [{ name: d, source: { type: file, path: $work/numeric.csv } }]
copulas: [{ name: m, source: { pool: d }, columns: [$cols] }]
fields:
  - { name: bill_length_mm, type: COPULA_GENERATED, params: { model: m } }
  - { name: bill_depth_mm, type: COPULA_GENERATED, params: { model: m } }
  - { name: flipper_length_mm, type: COPULA_GENERATED, params: { model: m } }
  - { name: body_mass_g, type: COPULA_GENERATED, params: { model: m } }
YAML
"$sdg" bench "$work/bench.yaml" --workers 1 --rows 20000000
