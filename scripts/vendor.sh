#!/usr/bin/env bash
# Copy the pinned front-end packages from the npm registry into static/vendor/<name>-<version>/
# (only the dist files the pages load, plus each package's licence). The copies are committed,
# so a fresh machine needs no npm; running this again skips packages already in place.
#   scripts/vendor.sh           # fetch what is missing
#   scripts/vendor.sh --force   # fetch everything again
set -euo pipefail
cd "$(dirname "$0")/.."
force=${1:-}

# One package per line: npm spec | folder under static/vendor | files under package/ to copy.
# Bump a version here (and in the templates that name the folder), then run this script.
PACKAGES=(
  "leaflet@1.9.4|leaflet-1.9.4|LICENSE dist/leaflet.js dist/leaflet.css dist/images/*.png"
  "@geoman-io/leaflet-geoman-free@2.20.2|leaflet-geoman-free-2.20.2|LICENSE dist/leaflet-geoman.min.js dist/leaflet-geoman.css"
  "leaflet.markercluster@1.5.3|leaflet.markercluster-1.5.3|MIT-LICENCE.txt dist/leaflet.markercluster.js dist/MarkerCluster.css dist/MarkerCluster.Default.css"
  "chart.js@4.6.1|chart.js-4.6.1|LICENSE.md dist/chart.umd.min.js"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r spec folder files <<<"$entry"
  dest="static/vendor/$folder"
  if [ -f "$dest/.complete" ] && [ "$force" != "--force" ]; then
    echo "vendor: $folder is in place"
    continue
  fi
  command -v npm >/dev/null || {
    echo "vendor: npm is needed to fetch $spec (apt-get install -y npm)" >&2; exit 1; }
  work="$tmp/$folder"
  mkdir -p "$work"
  # npm checks the tarball against the registry's integrity hash; we record that hash.
  (cd "$work" && npm pack "$spec" --json --silent >pack.json)
  read -r tarball integrity < <(node -e \
    'const [p] = require(process.argv[1]); console.log(p.filename, p.integrity)' "$work/pack.json")
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
  echo "$spec $integrity" >"$dest/.complete"
  echo "vendor: $spec -> $dest"
done
