#!/bin/sh
# Seeds the fuzz corpora (corpus/TARGET, not committed) from a folder of flow log samples.
# Usage: tests/fuzz/seed.sh SAMPLES_DIR
set -eu
samples=${1:?usage: seed.sh SAMPLES_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/corpus/file" "$here/corpus/record" "$here/corpus/tuple" "$here/corpus/filter"
n=0
find "$samples" -type f \( -name '*.json' -o -name '*.log' -o -name '*.txt' \) | sort | while read -r f; do
    n=$((n + 1))
    # Whole files for the file target (libFuzzer cuts them to -max_len).
    cp "$f" "$here/corpus/file/sample-$n"
    cp "$f" "$here/corpus/record/sample-$n"
    # Every quoted tuple-looking string for the tuple target (first byte: 0 = NSG, 1 = VNet).
    grep -oE '[0-9]{9,13},[0-9a-fA-F.:]+,[0-9a-fA-F.:]+,[0-9]*,[0-9]*,[A-Za-z0-9]+,[A-Za-z],[A-Za-z][^"\\]*' "$f" |
        head -n 50 | while read -r t; do
            kind=0
            case "$t" in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9],*) kind=1 ;; esac
            h=$(printf '%s' "$t" | cksum | cut -d' ' -f1)
            { printf "\\$(printf '%03o' "$kind")"; printf '%s' "$t"; } >"$here/corpus/tuple/t-$h"
        done
done
for expr in '' 'allow' 'deny and dport 22' 'src 10.0.0.0/8 and not dst 10.1.2.3' \
    'rule ~ "Allow.*" or nsg = NSG1' 'proto tcp and (dport 443 or sport 80)' 'last 15m' \
    'bytes > 1000 and packets < 5' 'state E or state B' 'ssh or rdp' 'mac 00-0D-3A-00-00-01'; do
    h=$(printf '%s' "$expr" | cksum | cut -d' ' -f1)
    printf '%s' "$expr" >"$here/corpus/filter/f-$h"
done
echo "seeded: $(ls "$here/corpus/file" | wc -l) files, $(ls "$here/corpus/tuple" | wc -l) tuples, $(ls "$here/corpus/filter" | wc -l) filters"
