#!/usr/bin/env bash
# expect_error.sh <app> <pattern> <args...>: passes if the app exits non-zero
# and prints exactly one line on stderr, "<app name>: error: ..." matching <pattern>.
app=$1 pattern=$2
shift 2
work=$(mktemp -d)
cd "$work"
"$app" "$@" > stdout.txt 2> stderr.txt
status=$?
lines=$(wc -l < stderr.txt)
cat stderr.txt
if [ "$status" -eq 0 ]; then echo "FAIL: exit code 0"; exit 1; fi
if [ "$lines" -ne 1 ]; then echo "FAIL: $lines lines on stderr, expected 1"; exit 1; fi
grep -q "^$(basename "$app"): error: .*$pattern" stderr.txt || { echo "FAIL: message does not match '$pattern'"; exit 1; }
echo "PASS"
