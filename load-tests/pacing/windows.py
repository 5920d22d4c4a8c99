"""Reads a paced run's CSV (one `at` column, epoch ms, wall clock) on stdin and
prints, per 10 s window from the first row, the rows seen against the rows
the profile of the generator file (argv[1]) lets through in that window."""
import math
import sys

import yaml  # PyYAML (comes with schemathesis; else `pip install pyyaml`)


def seconds(v):
    if isinstance(v, (int, float)):
        return float(v)
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for u in ("ms", "s", "m", "h"):
        if v.endswith(u):
            return float(v[: -len(u)]) * units[u]
    raise ValueError(v)


def integral(rate):
    """rows_by(τ) of a `rate:` value, as docs/CONFIG.md defines it."""
    if isinstance(rate, (int, float)):
        return lambda t: rate * t
    p = rate.get("profile", "bursts")
    if p == "ramp":
        a, b, T = rate["from"], rate["to"], seconds(rate["over"])
        return lambda t: a * t + (b - a) * t * t / (2 * T) if t <= T else (a + b) * T / 2 + b * (t - T)
    if p == "steps":
        steps = [(s["rate"], seconds(s["for"])) for s in rate["steps"]]
        period = sum(d for _, d in steps)
        per = sum(r * d for r, d in steps)

        def f(t):
            cycles, left = (divmod(t, period) if rate.get("repeat") else (0, t))
            rows = cycles * per
            for k, (r, d) in enumerate(steps):
                if left <= d or k == len(steps) - 1:
                    return rows + r * left
                rows += r * d
                left -= d
            return rows
        return f
    if p == "sine":
        B, A, P = rate["base"], rate["amplitude"], seconds(rate["period"])
        return lambda t: B * t + A * P / (2 * math.pi) * (1 - math.cos(2 * math.pi * t / P))
    if p == "poisson":
        return lambda t: rate["mean"] * t
    base, b = rate["base"], rate["bursts"]
    every, on, factor = seconds(b["every"]), seconds(b["for"]), b["factor"]

    def g(t):
        cycles, phase = divmod(t, every)
        per = base * (every + on * (factor - 1))
        within = base * factor * phase if phase < on else base * (on * factor + phase - on)
        return cycles * per + within
    return g


spec = yaml.safe_load(open(sys.argv[1]))
rows_by = integral(spec["rate"])
lines = sys.stdin.read().split("\n")[1:]
times = [int(x) for x in lines if x.strip()]
t0 = times[0]
window = 10_000
counts = {}
for t in times:
    counts[(t - t0) // window] = counts.get((t - t0) // window, 0) + 1
last = max(counts)
worst = 0.0
print(f"{spec['name']}: {len(times)} rows")
print(f"  {'window':>9} {'rows':>9} {'target':>10} {'error':>8}")
for k in range(last):  # the last window is cut short by the end
    want = rows_by((k + 1) * 10) - rows_by(k * 10)
    got = counts.get(k, 0)
    err = (got - want) / want * 100
    worst = max(worst, abs(err))
    print(f"  {k*10:>4}-{k*10+10:<4} {got:>9} {want:>10.0f} {err:>+7.2f}%")
print(f"  worst window: {worst:.2f} %")
