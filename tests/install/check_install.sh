#!/usr/bin/env bash
# check_install.sh <build dir> <source dir> <work dir>
# cmake --install into <work>/prefix, then configure, build and run the
# example whose CMakeLists.txt and main.cc README.md shows (between the
# markers "<!-- example: FILE -->" and the end of the next code block).
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work" && mkdir -p "$work/example"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
python3 - "$source/README.md" "$work/example" <<'PY'
import re, sys, pathlib
text = pathlib.Path(sys.argv[1]).read_text()
found = re.findall(r"<!-- example: (\S+) -->\s*```[a-z]*\n(.*?)```", text, re.S)
assert {name for name, _ in found} == {"CMakeLists.txt", "main.cc"}, found
for name, body in found:
    (pathlib.Path(sys.argv[2]) / name).write_text(body)
PY
cmake -S "$work/example" -B "$work/example/build" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/example/build" -j 2 > "$work/build.log"
"$work/example/build/example" | tee "$work/run.log"
grep -q "max von Mises stress" "$work/run.log"
