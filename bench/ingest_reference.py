#!/usr/bin/env python3
"""Python reference for the aircraft ingest benchmark (stdlib only; stores nothing).

Reads every .json / .json.gz file in a folder (sorted by name), detects the format per file
(readsb-hist snapshot {"now", "aircraft": [...]} or a flat list of {icao, altitude, speed}),
computes the per-aircraft statistics statehouse computes (observations, max altitude, average
altitude, max ground speed, average ground speed; "ground" counts as 0 for the average but not for
the max) and prints one JSON line:

    {"files": N, "records": N, "seconds": S, "records_per_second": R, "aircraft": N, "errors": N}

Written the way one would write it in plain Python (json.load, a dict of lists), not deliberately
slow: it is the baseline the Node ingest must beat by 2x in records/s.

Usage: python3 bench/ingest_reference.py DIR [--stats OUT.json]
  --stats writes the computed statistics, for checking them against statehouse's.
"""
import gzip
import json
import os
import sys
import time


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = argv[1]
    stats_out = argv[argv.index("--stats") + 1] if "--stats" in argv else None
    names = sorted(
        n for n in os.listdir(folder) if n.endswith(".json") or n.endswith(".json.gz")
    )
    # icao -> [observations, max_alt, sum_alt, alt_count, max_gs, sum_gs, gs_count]
    stats = {}
    files = records = errors = 0
    started = time.perf_counter()
    for name in names:
        try:
            doc = read(os.path.join(folder, name))
        except (OSError, EOFError, ValueError) as err:  # truncated gzip, bad JSON
            errors += 1
            print(f"{name}: {err}", file=sys.stderr)
            continue
        if isinstance(doc, dict) and isinstance(doc.get("aircraft"), list):
            rows = doc["aircraft"]
            id_key, alt_key, gs_key = "hex", "alt_baro", "gs"
        elif isinstance(doc, list):
            rows = doc
            id_key, alt_key, gs_key = "icao", "altitude", "speed"
        else:
            errors += 1
            print(f"{name}: neither format", file=sys.stderr)
            continue
        files += 1
        for row in rows:
            if not isinstance(row, dict):
                continue
            icao = row.get(id_key)
            if not isinstance(icao, str) or not icao:
                continue
            icao = icao.lower()
            records += 1
            s = stats.get(icao)
            if s is None:
                s = stats[icao] = [0, None, 0.0, 0, None, 0.0, 0]
            s[0] += 1
            alt = row.get(alt_key)
            if alt == "ground":
                s[3] += 1
            elif isinstance(alt, (int, float)) and not isinstance(alt, bool):
                s[2] += alt
                s[3] += 1
                if s[1] is None or alt > s[1]:
                    s[1] = alt
            gs = row.get(gs_key)
            if isinstance(gs, (int, float)) and not isinstance(gs, bool):
                s[5] += gs
                s[6] += 1
                if s[4] is None or gs > s[4]:
                    s[4] = gs
    # The averages are part of the work: compute them as statehouse's read would.
    result = {
        icao: {
            "observations": s[0],
            "max_altitude_baro": s[1],
            "avg_altitude": s[2] / s[3] if s[3] else None,
            "max_ground_speed": s[4],
            "avg_speed": s[5] / s[6] if s[6] else None,
        }
        for icao, s in stats.items()
    }
    seconds = time.perf_counter() - started
    if stats_out:
        with open(stats_out, "w") as f:
            json.dump(result, f, sort_keys=True)
    print(
        json.dumps(
            {
                "files": files,
                "records": records,
                "seconds": round(seconds, 3),
                "records_per_second": round(records / seconds) if seconds > 0 else None,
                "aircraft": len(result),
                "errors": errors,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
