#!/usr/bin/env bash
# Runs one libFuzzer harness of Fuzz/ for SECONDS, with AddressSanitizer.
#
#   bash Scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#   TARGET: image | checkpoint | notebook | tokenizers     (Fuzz/Sources/Fuzz<Target>)
#
# Builds Fuzz/ in release with AddressSanitizer and libFuzzer's coverage into .build-fuzz, seeds .fuzz/TARGET/seeds
# from the test fixtures and notebooks (once), keeps what libFuzzer learns in .fuzz/TARGET/corpus,
# and writes any crashing input to .fuzz/TARGET/crashes/. Exits non-zero on a crash, a leak, a
# time-out (10 s for one input) or an input using more than 2 GiB. Prints libFuzzer's final
# statistics (executions, coverage). Turn every crash into a regression test before fixing it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
target=${1:?usage: bash Scripts/fuzz.sh image|checkpoint|notebook|tokenizers SECONDS [libFuzzer flags]}
seconds=${2:?usage: bash Scripts/fuzz.sh TARGET SECONDS}
shift 2
case "$target" in
  image) product=FuzzImage ;;
  checkpoint) product=FuzzCheckpoint ;;
  notebook) product=FuzzNotebook ;;
  tokenizers) product=FuzzTokenizers ;;
  *) echo "fuzz: unknown target '$target' (image, checkpoint, notebook, tokenizers)" >&2; exit 2 ;;
esac

# Coverage as -sanitize=fuzzer instruments it, and libFuzzer's driver without its main: SwiftPM gives
# every executable a main of its own, which hands the harness to LLVMFuzzerRunDriver.
runtime=$(ls /opt/swift/usr/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null \
  || ls "$(dirname "$(readlink -f "$(command -v swift)")")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a)
swift build --package-path Fuzz -c release --scratch-path .build-fuzz --product "$product" \
  -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  -Xlinker "$runtime" -Xlinker -lstdc++ >&2

work=.fuzz/$target
mkdir -p "$work/corpus" "$work/crashes"
if [ ! -d "$work/seeds" ]; then
  mkdir -p "$work/seeds"
  case "$target" in
    image)
      find Tests/LoupeImageTests/Fixtures Notebooks/images -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \) \
        -size -300k -exec cp -t "$work/seeds" {} + ;;
    checkpoint)
      find Tests/LoupeModelsTests/Fixtures/checkpoints Tests/LoupeModelsTests/Fixtures/fuzz -type f \( -name '*.pt' -o -name '*.bin' -o -name '*.safetensors' \) \
        -size -300k -exec cp -t "$work/seeds" {} + ;;
    notebook)
      n=0; for f in Notebooks/*.md Notebooks/*/*.md Tests/LoupeNotebookTests/Fixtures/parsing/*; do
        [ -f "$f" ] && cp "$f" "$work/seeds/$((n += 1)).md"; done ;;
    tokenizers)
      # A selector byte below 192 makes the rest a text (see FuzzTokenizers.swift).
      python3 - "$work/seeds" <<'PY'
import json, sys
cases = json.load(open("Tests/LoupeTextTests/Fixtures/clip_tokens.json"))["cases"]
for i, case in enumerate(cases[:300]):
    open(f"{sys.argv[1]}/{i}", "wb").write(b"\x00" + case["text"].encode("utf-8"))
open(f"{sys.argv[1]}/vocab", "wb").write(b"\xc0[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##b\n")
open(f"{sys.argv[1]}/merges", "wb").write(b"\xe0#version: 0.2\na b\nab c</w>\n")
PY
      ;;
  esac
fi

# Pictures up to 25 megapixels (the default limit is 200): a 200-megapixel decode takes over 10 s
# under AddressSanitizer and would count as a hang; the limit's own check runs either way.
export LOUPE_MAX_IMAGE_PIXELS=${LOUPE_MAX_IMAGE_PIXELS:-25000000}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/Fuzz/lsan-suppressions.txt:print_suppressions=0}
".build-fuzz/release/$product" "$work/corpus" "$work/seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/crashes/" -print_final_stats=1 "$@"
