#!/usr/bin/env bash
# defect_study.sh <dendra-defect-study> <mpiexec> <work dir>
# A two-case sweep on 2 ranks, one case per rank at a time: both cases must
# fail by the crack criterion with results.csv, damage maps and plots written;
# run again, the sweep must resume (nothing recomputed, same results).
set -euo pipefail
app=$1 mpiexec=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
sweep=(--set "Defect study/Shapes=triangle" --set "Defect study/Aspect ratios=3, 5"
       --set "Simulation/End time=150" --set "Simulation/Number of steps=30")
"$mpiexec" -np 2 "$app" "${sweep[@]}" | tee first.txt
out=dendra-defect-study-output
python3 - "$out" <<'PY'
import csv, os, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
assert len(rows) == 2, f"expected 2 cases, got {len(rows)}"
for r in rows:
    name = f"{r['shape']} AR {r['aspect_ratio']}"
    assert r["status"] == "failed", f"{name}: status {r['status']}"
    t = float(r["failure_time[s]"])
    assert 0 < t <= 150, f"{name}: failure time {t}"
    assert float(r["peak_max_principal_stress[Pa]"]) > 5e8, f"{name}: peak stress {r['peak_max_principal_stress[Pa]']}"
    assert r["classification"] == "bulk", f"{name}: deep defects damage the bulk, got {r['classification']}"
    cells = list(csv.DictReader(open(os.path.join(out, "cases", f"triangle_ar{float(r['aspect_ratio']):g}",
                                                  "damage_map.csv"))))
    assert max(float(c["damage"]) for c in cells) > 0.95, f"{name}: damage map without a crack"
for png in ("failure_time.png", "damage_maps.png"):
    assert os.path.getsize(os.path.join(out, png)) > 10000, f"{png} missing or empty"
print("defect study: 2 cases failed as expected; results, maps and plots written")
PY
cp "$out/results.csv" first.csv
"$mpiexec" -np 2 "$app" "${sweep[@]}" | tee second.txt
test "$(grep -c 'done earlier' second.txt)" = 2 || { echo "the second run did not resume both cases"; exit 1; }
cmp first.csv "$out/results.csv" || { echo "resumed results differ"; exit 1; }
echo "defect study: resumed without recomputing"
