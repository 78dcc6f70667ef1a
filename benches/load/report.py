#!/usr/bin/env python3
"""Helpers of benches/load/run.sh: readiness, the cross-check of police-api's answers against
PostGIS's, the mixed query file, pgbench latency statistics, and the results table.

Standard library only (runs on a fresh machine without pip)."""

import argparse
import glob
import gzip
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

KINDS = ["street", "polygon", "location", "locate"]
# /api/v2/crimes/counts, against GROUP BY month, category on the PostGIS side.
COUNTS_KINDS = ["counts_circle12", "counts_circle36", "counts_polygon", "counts_force"]
KIND_NAMES = {
    "street": "crimes-street, 1-mile point",
    "polygon": "crimes-street, polygon",
    "location": "crimes-at-location",
    "locate": "locate-neighbourhood",
    "mix": "mix 10:3:4:3",
    "counts_circle12": "v2 counts, 1-mile circle, 12 months",
    "counts_circle36": "v2 counts, 1-mile circle, 36 months",
    "counts_polygon": "v2 counts, polygon, 12 months",
    "counts_force": "v2 counts, force, 36 months",
    "counts_mix": "v2 counts mix 8:4:6:2",
}
# The mixed load: out of every 20 requests, 10 point queries, 3 polygons, 4 at-location,
# 3 locate-neighbourhood. pgbench is given the same weights (run.sh).
MIX_WEIGHTS = {"street": 10, "polygon": 3, "location": 4, "locate": 3}
# The counts mix: out of every 20, 8 circles over 12 months, 4 over 36, 6 polygons over 12,
# 2 forces over 36.
COUNTS_MIX_WEIGHTS = {"counts_circle12": 8, "counts_circle36": 4, "counts_polygon": 6,
                      "counts_force": 2}
MIXES = {"mix": MIX_WEIGHTS, "counts_mix": COUNTS_MIX_WEIGHTS}


def fetch(url, accept_encoding=None):
    """(status, body bytes as sent) of a GET."""
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def cmd_ready(args):
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        try:
            status, _ = fetch(args.url + "/api/forces")
            if status == 200:
                return 0
        except OSError:
            pass
        time.sleep(0.2)
    print(f"no answer from {args.url} within {args.timeout} s", file=sys.stderr)
    return 1


def psql(psql_args, sql):
    result = subprocess.run(
        psql_args + ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"],
        input=sql,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}\n{sql}")
    return result.stdout.strip()


def literal(value):
    return "'" + str(value).replace("'", "''") + "'"


def postgis_answer(psql_args, script_dir, kind, n):
    """Runs the pgbench script of `kind` for query `n`, the pgbench variables given as
    untyped literals (as pgbench's prepared mode passes them)."""
    lines = open(f"{script_dir}/pgbench/{kind}.sql").read().splitlines()
    lookup = next(line for line in lines if line.rstrip().endswith("\\gset"))
    table = re.search(r"FROM (bench_\w+)", lookup).group(1)
    row = json.loads(psql(psql_args, f"SELECT row_to_json(b) FROM {table} b WHERE n = {n}"))
    start = lines.index(lookup) + 1
    query = "\n".join(line for line in lines[start:] if not line.startswith("--"))
    query = re.sub(r"(?<![:\w]):(\w+)", lambda m: literal(row[m.group(1)]), query)
    return psql(psql_args, query)


def cmd_check(args):
    """police-api's JSON must equal PostGIS's, query by query (parsed, so whitespace aside);
    also records the mean body size of each kind over a larger sample, as sent with each
    coding (`kind@coding`) and as `gzip -6` would make it (`kind@gzip-6`); gzip answers must
    decode to the uncompressed answer's bytes."""
    psql_args = args.psql.split()
    sizes = {}
    failures = 0
    for kind in KINDS + COUNTS_KINDS:
        paths = open(f"{args.queries}/{kind}.paths").read().splitlines()
        compared = 0
        for n, path in enumerate(paths[: args.compare], start=1):
            status, body = fetch(args.url + path)
            ours = json.loads(body) if status == 200 else None
            theirs_text = postgis_answer(psql_args, args.scripts, kind, n)
            theirs = json.loads(theirs_text) if theirs_text else None
            if kind == "locate" and status == 404:
                ours = None
            if ours != theirs:
                failures += 1
                print(f"MISMATCH {kind} #{n} {path}: police-api {status} "
                      f"{body[:300]!r} vs PostGIS {theirs_text[:300]!r}", file=sys.stderr)
            compared += 1
        codings = [e for e in args.encodings.split(",") if e and e != "identity"]
        totals = dict.fromkeys([kind, f"{kind}@gzip-6"] + [f"{kind}@{c}" for c in codings], 0)
        sample = paths[: args.sample]
        for path in sample:
            _, body = fetch(args.url + path)
            totals[kind] += len(body)
            totals[f"{kind}@gzip-6"] += len(gzip.compress(body, compresslevel=6, mtime=0))
            for coding in codings:
                _, coded = fetch(args.url + path, coding)
                totals[f"{kind}@{coding}"] += len(coded)
                if coding == "gzip" and len(body) >= 1024 and gzip.decompress(coded) != body:
                    failures += 1
                    print(f"GZIP MISMATCH {kind} {path}", file=sys.stderr)
        for key, total in totals.items():
            sizes[key] = total / max(len(sample), 1)
        print(f"{kind}: {compared} answers compared with PostGIS; mean body "
              f"{sizes[kind]:.0f} bytes over {len(sample)} queries; "
              + ", ".join(f"{k.split('@')[1]} {sizes[k]:.0f}" for k in totals if "@" in k))
    for mix, weights in MIXES.items():
        for suffix in {key[len(k):] for key in sizes for k in weights if key.startswith(k)}:
            if all(k + suffix in sizes for k in weights):
                sizes[mix + suffix] = (sum(sizes[k + suffix] * w for k, w in weights.items())
                                       / sum(weights.values()))
    with open(args.sizes, "w") as out:
        json.dump(sizes, out)
    if failures:
        print(f"{failures} answers differ between police-api and PostGIS", file=sys.stderr)
        return 1
    return 0


def cmd_mix(args):
    """Interleaves the kinds' path files by their weights into one file per mix (mix.paths,
    counts_mix.paths)."""
    for mix, weights in MIXES.items():
        files = {k: open(f"{args.queries}/{k}.paths").read().splitlines() for k in weights}
        positions = dict.fromkeys(weights, 0)
        rounds = min(len(files[k]) // w for k, w in weights.items())
        with open(f"{args.queries}/{mix}.paths", "w") as out:
            for _ in range(rounds):
                for kind, weight in weights.items():
                    for _ in range(weight):
                        out.write(files[kind][positions[kind]] + "\n")
                        positions[kind] += 1
    return 0


def cmd_pgbench_scripts(args):
    """pgbench's -f arguments for a kind: its script, or a mix's scripts with their weights."""
    weights = MIXES.get(args.kind, {args.kind: None})
    for kind, weight in weights.items():
        print("-f")
        print(f"{args.scripts}/pgbench/{kind}.sql" + (f"@{weight}" if weight else ""))
    return 0


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, round((len(sorted_values) - 1) * p / 100))]


def cmd_pgbench(args):
    """Figures of one pgbench run from its per-transaction logs (latency in µs in the third
    column) and its printed summary, as the JSON line wrk's script prints."""
    latencies = []
    for path in glob.glob(args.log_prefix + ".[0-9]*"):
        with open(path) as log:
            for line in log:
                fields = line.split()
                if len(fields) >= 6:
                    latencies.append(int(fields[2]))
    latencies.sort()
    output = open(args.output).read()
    failed = re.search(r"number of failed transactions: (\d+)", output)
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", output)
    if not tps or not latencies:
        print(f"no pgbench figures in {args.output}", file=sys.stderr)
        return 1
    figures = {
        "requests": len(latencies),
        "duration_us": int(len(latencies) / float(tps.group(1)) * 1e6),
        "non_2xx": int(failed.group(1)) if failed else 0,
        "socket_errors": 0,
        "mean_us": sum(latencies) / max(len(latencies), 1),
        "p50_us": percentile(latencies, 50),
        "p99_us": percentile(latencies, 99),
        "p999_us": percentile(latencies, 99.9),
        "max_us": latencies[-1] if latencies else 0,
    }
    print(json.dumps(figures))
    return 0


def cmd_record(args):
    """Appends one measurement to the results file."""
    line = open(args.figures).read().strip().splitlines()[-1]
    figures = json.loads(line)
    figures.update(stage=args.stage, side=args.side, kind=args.kind)
    if args.think_ms is not None:
        figures["think_ms"] = args.think_ms
        figures["connections"] = args.connections
    with open(args.results, "a") as out:
        out.write(json.dumps(figures) + "\n")
    rps = figures["requests"] / (figures["duration_us"] / 1e6)
    print(f"  {args.side:10} {args.kind:9} {rps:9.0f} req/s  p50 {figures['p50_us'] / 1000:.2f} ms"
          f"  p99 {figures['p99_us'] / 1000:.2f} ms  p99.9 {figures['p999_us'] / 1000:.2f} ms"
          f"  errors {figures['non_2xx'] + figures['socket_errors']}")
    return 0


def ms(us):
    return f"{us / 1000:.2f}"


def rate(row):
    return row["requests"] / (row["duration_us"] / 1e6)


def compressed_rows(rows, stage, sizes):
    """Table rows of the compressed runs (kinds `kind@coding`) of a stage."""
    out = []
    for kind in KINDS + ["mix"] + COUNTS_KINDS + ["counts_mix"]:
        def find(side, label):
            return next((r for r in rows if r["stage"] == stage and r["side"] == side
                         and r["kind"] == label), None)
        plain, postgis = find("police-api", kind), find("postgis", kind)
        coded = sorted({r["kind"] for r in rows if r["stage"] == stage
                        and r["kind"].startswith(kind + "@")})
        for label in coded:
            ours = find("police-api", label)
            coding = label.split("@", 1)[1]
            rps = rate(ours)
            size, plain_size = sizes.get(label, 0), sizes.get(kind, 0)
            gzip6 = sizes.get(f"{kind}@gzip-6", 0)
            cells = [KIND_NAMES[kind], coding, f"{rps:,.0f}"]
            cells.append(f"{100 * rps / rate(plain):.0f} %" if plain else "")
            cells += [ms(ours["p50_us"]), ms(ours["p99_us"]), ms(ours["p999_us"]),
                      f"{rps * size / 1e6:,.1f}"]
            if plain and rps < rate(plain):
                seconds_per_answer = 1 / rps - 1 / rate(plain)
                cells.append(f"{plain_size / seconds_per_answer / 1e6:,.0f}")
            else:
                cells.append("")
            cells.append(f"{100 * size / plain_size:.1f} %" if plain_size else "")
            cells.append(f"{100 * size / gzip6:.0f} %" if gzip6 else "")
            cells.append(f"**{rps / rate(postgis):.1f}×**" if postgis else "")
            out.append("| " + " | ".join(cells) + " |")
    return out


def cmd_table(args):
    """The results as Markdown: per stage, the facts of the load, then one row per kind."""
    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    stages = [json.loads(line) for line in open(args.stages) if line.strip()]
    sizes_by_stage = {s["stage"]: s.get("sizes", {}) for s in stages}
    out = []
    out.append("| months | crimes | import rows/s | snapshot build | police-api RSS | "
               "RSS per crime | PostGIS tables built | PostGIS on disk |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in stages:
        out.append(
            f"| {s['stage']} | {s['crimes']:,} | {s['import_rows_per_second']:,.0f} | "
            f"{s['snapshot_seconds']:.2f} s | {s['rss_bytes'] / 2**20:,.0f} MiB | "
            f"{s['rss_bytes'] / max(s['crimes'], 1):.0f} B | {s['postgis_build_seconds']:.0f} s | "
            f"{s['postgis_bytes'] / 2**20:,.0f} MiB |")
    out.append("")
    for s in stages:
        stage = s["stage"]
        sizes = sizes_by_stage.get(stage, {})
        data = " of the real police.uk data" if s.get("data") == "real" else ""
        out.append(f"**{stage} month{'s' if stage != 1 else ''}{data} loaded** "
                   f"({s['crimes']:,} crimes; {args.connections} connections; latency in ms)")
        out.append("")
        out.append("| query | police-api req/s | p50 | p99 | p99.9 | MB/s | PostGIS req/s | p50 "
                   "| p99 | p99.9 | MB/s | ratio |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for kind in KINDS + ["mix"] + COUNTS_KINDS + ["counts_mix"]:
            ours = next((r for r in rows if r["stage"] == stage and r["side"] == "police-api"
                         and r["kind"] == kind), None)
            theirs = next((r for r in rows if r["stage"] == stage and r["side"] == "postgis"
                           and r["kind"] == kind), None)
            if not ours or not theirs:
                continue
            cells = []
            rates = []
            for r in (ours, theirs):
                rps = r["requests"] / (r["duration_us"] / 1e6)
                rates.append(rps)
                mb = rps * sizes.get(kind, 0) / 1e6
                cells += [f"{rps:,.0f}", ms(r["p50_us"]), ms(r["p99_us"]), ms(r["p999_us"]),
                          f"{mb:,.1f}"]
            ratio = rates[0] / rates[1] if rates[1] else float("inf")
            out.append(f"| {KIND_NAMES[kind]} | " + " | ".join(cells) + f" | **{ratio:.1f}×** |")
        coded_rows = compressed_rows(rows, stage, sizes)
        if coded_rows:
            out.append("")
            out.append("Compressed answers (`Accept-Encoding` as named; PostGIS answers "
                       "uncompressed): throughput against the same kind uncompressed, the "
                       "compression rate that implies on the server's one core "
                       "(mean answer / (1/coded − 1/plain req/s)), and the mean size against "
                       "the uncompressed answer and against `gzip -6` of it.")
            out.append("")
            out.append("| query | coding | req/s | of plain | p50 | p99 | p99.9 | wire MB/s "
                       "| compressed MB/s per core | size | vs gzip -6 | vs PostGIS |")
            out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            out.extend(coded_rows)
        paced = next((r for r in rows if r["stage"] == stage and r["kind"] == "mix-paced"), None)
        ours_mix = next((r for r in rows if r["stage"] == stage and r["side"] == "police-api"
                         and r["kind"] == "mix"), None)
        if paced and ours_mix:
            rps = paced["requests"] / (paced["duration_us"] / 1e6)
            max_rps = ours_mix["requests"] / (ours_mix["duration_us"] / 1e6)
            out.append("")
            out.append(f"police-api, mix at {rps:,.0f} req/s ({100 * rps / max_rps:.0f} % of its "
                       f"maximum; {paced['connections']} connections, {paced['think_ms']} ms "
                       f"think time): p50 {ms(paced['p50_us'])} ms, p99 {ms(paced['p99_us'])} ms, "
                       f"p99.9 {ms(paced['p999_us'])} ms.")
        errors = sum(r["non_2xx"] + r["socket_errors"] for r in rows if r["stage"] == stage)
        out.append("")
        out.append(f"Errors (non-2xx answers, socket errors, failed transactions): {errors}.")
        out.append("")
    text = "\n".join(out)
    with open(args.output, "w") as f:
        f.write(text + "\n")
    print(text)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ready")
    p.add_argument("--url", required=True)
    p.add_argument("--timeout", type=float, default=900)
    p.set_defaults(func=cmd_ready)
    p = sub.add_parser("check")
    p.add_argument("--url", required=True)
    p.add_argument("--psql", required=True, help="psql command line, space-separated")
    p.add_argument("--scripts", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--compare", type=int, default=25)
    p.add_argument("--sample", type=int, default=300)
    p.add_argument("--sizes", required=True)
    p.add_argument("--encodings", default="identity",
                   help="comma-separated Accept-Encoding values also measured")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("mix")
    p.add_argument("--queries", required=True)
    p.set_defaults(func=cmd_mix)
    p = sub.add_parser("pgbench-scripts")
    p.add_argument("--scripts", required=True)
    p.add_argument("--kind", required=True)
    p.set_defaults(func=cmd_pgbench_scripts)
    p = sub.add_parser("pgbench")
    p.add_argument("--log-prefix", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_pgbench)
    p = sub.add_parser("record")
    p.add_argument("--results", required=True)
    p.add_argument("--figures", required=True)
    p.add_argument("--stage", type=int, required=True)
    p.add_argument("--side", required=True)
    p.add_argument("--kind", required=True)
    p.add_argument("--think-ms", type=int)
    p.add_argument("--connections", type=int)
    p.set_defaults(func=cmd_record)
    p = sub.add_parser("table")
    p.add_argument("--results", required=True)
    p.add_argument("--stages", required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_table)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
