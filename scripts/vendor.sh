#!/usr/bin/env bash
# Copy the pinned front-end packages from the npm registry into static/vendor/<name>-<version>/
# (only the dist files the pages load, plus each package's licence). The copies are committed,
# so a fresh machine needs no npm; running this again skips packages already in place.
# Each tarball must match the integrity hash recorded below (npm's `dist.integrity`, sha512)
# before anything is copied, and static/vendor/MANIFEST.sha256 records the sha256 of every file
# copied, which tests/geo/test_vendor.py checks against the committed files.
#   scripts/vendor.sh           # fetch what is missing or differs from the manifest
#   scripts/vendor.sh --force   # fetch everything again
#   scripts/vendor.sh --check   # `make vendor-check`: fetch everything into a temporary folder
#                               # and compare with the committed copies and manifest; no writes
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in ""|--force|--check) ;; *) echo "usage: $0 [--force|--check]" >&2; exit 2;; esac

# One package per line: npm spec | folder under static/vendor | files under package/ to copy.
# Bump a version here (and in the templates that name the folder), then run this script.
PACKAGES=(
  "leaflet@1.9.4|leaflet-1.9.4|LICENSE dist/leaflet.js dist/leaflet.css dist/images/*.png"
  "@geoman-io/leaflet-geoman-free@2.20.2|leaflet-geoman-free-2.20.2|LICENSE dist/leaflet-geoman.min.js dist/leaflet-geoman.css"
  "leaflet.markercluster@1.5.3|leaflet.markercluster-1.5.3|MIT-LICENCE.txt dist/leaflet.markercluster.js dist/MarkerCluster.css dist/MarkerCluster.Default.css"
  "chart.js@4.6.1|chart.js-4.6.1|LICENSE.md dist/chart.umd.min.js"
  # For the tests only (tests/browser/test_accessibility.py injects it); no page loads it.
  "axe-core@4.14.1|axe-core-4.14.1|LICENSE axe.min.js"
)
# The registry's integrity hash of each tarball: `npm view <spec> dist.integrity`. A new
# version needs its line here too; the script refuses a package without one.
declare -A INTEGRITY=(
  [leaflet@1.9.4]="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
  [@geoman-io/leaflet-geoman-free@2.20.2]="sha512-KQpSe0VKyuVCudq/08rMjJW1vvIwFldTwBny2wZ7ABcyyUAP7/eoFo967hCu9yRqAAHb4QOxC6gY5dGqttY68g=="
  [leaflet.markercluster@1.5.3]="sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA=="
  [chart.js@4.6.1]="sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="
  [axe-core@4.14.1]="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=static/vendor
[ "$mode" = "--check" ] && out="$tmp/out" && mkdir "$out"
manifest=$out/MANIFEST.sha256
touch "$manifest"
: >"$tmp/manifest"

for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r spec folder files <<<"$entry"
  dest="$out/$folder"
  want=${INTEGRITY[$spec]:-}
  [ -n "$want" ] || {
    echo "vendor: no integrity hash recorded for $spec; add it to INTEGRITY in $0" \
      "(npm view $spec dist.integrity)" >&2; exit 1; }
  # In place: fetched from the recorded tarball, and every file still as the manifest says.
  grep -F " $folder/" "$manifest" >"$tmp/old" || true
  if [ -z "$mode" ] && [ "$(cat "$dest/.complete" 2>/dev/null)" = "$spec $want" ] &&
      [ -s "$tmp/old" ] && (cd "$out" && sha256sum --quiet -c -) <"$tmp/old" >/dev/null 2>&1
  then
    cat "$tmp/old" >>"$tmp/manifest"
    echo "vendor: $folder is in place"
    continue
  fi
  command -v npm >/dev/null || {
    echo "vendor: npm is needed to fetch $spec:" \
      "apt-get install -y $(scripts/debian-packages.sh vendor | xargs)" >&2; exit 1; }
  work="$tmp/$folder"
  mkdir -p "$work"
  (cd "$work" && npm pack "$spec" --json --silent >pack.json)
  read -r tarball reported < <(node -e \
    'const [p] = require(process.argv[1]); console.log(p.filename, p.integrity)' "$work/pack.json")
  # Hash the tarball ourselves (SRI form: "sha512-" + base64 of the digest) and compare it with
  # the recorded hash, before anything from it is unpacked.
  got=$(node -e 'const fs = require("fs"), crypto = require("crypto");
    const digest = crypto.createHash("sha512").update(fs.readFileSync(process.argv[1]));
    console.log("sha512-" + digest.digest("base64"))' "$work/$tarball")
  if [ "$got" != "$want" ]; then
    echo "vendor: INTEGRITY MISMATCH for $spec: the tarball hashes to" >&2
    echo "vendor:   $got" >&2
    echo "vendor: but $0 records" >&2
    echo "vendor:   $want" >&2
    echo "vendor: (the registry reported $reported). Nothing was copied; stopping." >&2
    exit 1
  fi
  tar -xzf "$work/$tarball" -C "$work"
  rm -rf "$dest"
  mkdir -p "$dest"
  for pattern in $files; do
    # shellcheck disable=SC2086  # the pattern is a glob on purpose
    for src in "$work"/package/$pattern; do
      [ -e "$src" ] || { echo "vendor: $spec has no $pattern" >&2; exit 1; }
      rel=${src#"$work/package/"}
      rel=${rel#dist/}
      mkdir -p "$dest/$(dirname "$rel")"
      cp "$src" "$dest/$rel"
    done
  done
  # The source maps are not shipped; drop the comments that name them, so browsers' devtools
  # and Django's manifest storage (collectstatic) do not look for files that are not there.
  find "$dest" \( -name '*.js' -o -name '*.css' \) -exec \
    sed -i -E '/^\/[/*][#@] sourceMappingURL=[^ ]*( \*\/)?$/d' {} +
  echo "$spec $want" >"$dest/.complete"
  (cd "$out" && find "$folder" -type f ! -name .complete -print0 | sort -z |
    xargs -0 sha256sum) >>"$tmp/manifest"
  echo "vendor: $spec -> $dest (integrity verified)"
done
LC_ALL=C sort -k2 "$tmp/manifest" >"$manifest"
if [ "$mode" = "--check" ]; then
  # Everything the script would write, against what is committed (other folders included).
  if ! diff -r "$out" static/vendor >"$tmp/diff"; then
    cat "$tmp/diff" >&2
    echo "vendor: static/vendor/ differs from the verified tarballs (above); \`make vendor\`" \
      "restores the copies and the manifest" >&2
    exit 1
  fi
  echo "vendor: static/vendor/ is exactly what the verified tarballs give"
else
  echo "vendor: wrote $manifest"
fi
