#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Runs weft's prebuilt tests, examples and benchmarks in one short window,
# with no build step: what the ctest suite runs (local tests; distributed and
# checkpoint tests at 1 and 2 ranks, which share the one GPU), the examples'
# own checks, then the local and distributed benchmarks with short
# repetitions. The programs may be built for CUDA or for OpenMP: the script
# does not look.
#
#   bash scripts/gpu_check.sh [BUNDLE]      # or WEFT_CHECK_BINARIES=BUNDLE
#
# BUNDLE is a folder made by scripts/gpu_bundle.sh (bin/, lib/, mpi/,
# build-info.txt); a program missing from it is reported and its steps skipped.
#
# Results (WEFT_CHECK_RESULTS, default build/gpu-check-<UTC time>), four files:
#   summary.md          the machine (GPU, driver, CUDA, Kokkos), each step's
#                       result and time, the benchmark tables
#   bench-local.json, bench-distributed.json   Google Benchmark's output
#   logs.tar.gz         every step's output
#
# Settings:
#   WEFT_CHECK_BUDGET=360     seconds: a step that would start later is skipped,
#                             and none runs past it (the whole run stays near 6 minutes,
#                             leaving a 15-minute GPU lease room for its start and a rerun)
#   WEFT_CHECK_BENCH_RESERVE=100  seconds of the budget that only the benchmarks use
#   WEFT_CHECK_SKIP=regex     steps whose names match are skipped (e.g. '^bench\.')
#   WEFT_CHECK_ONLY=regex     only the steps whose names match run
#   WEFT_CHECK_BENCH_FILTER   --benchmark_filter for weft-bench (default: all)
#   WEFT_CHECK_BENCH_DISTRIBUTED_FILTER   the same for weft-bench-distributed (default:
#                             dot, scan, stencils, reproducible sums, 1-D halos)
#   WEFT_CHECK_BENCH_MIN_TIME --benchmark_min_time in seconds (default 0.02)
#   WEFT_CHECK_THREADS=3      OpenMP threads of the single-process programs
# The exit status is 0 only if every step that ran passed.
set -uo pipefail
# All in one block, read whole before it runs: editing this file during a run
# does not change the run.
{
start=$(date +%s)
repo=$(cd "$(dirname "$0")/.." && pwd)
bundle="${1:-${WEFT_CHECK_BINARIES:-}}"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/weft-check.XXXXXX")
if [ -f "$bundle" ]; then  # a packed bundle (.tar.gz, .tar.xz, .tar.zst): unpacked here
  mkdir -p "$scratch/bundle"
  # tar, or Python's tarfile where tar lacks the compressor (xz, zstd).
  tar -xf "$bundle" -C "$scratch/bundle" 2> /dev/null ||
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle" "$scratch/bundle" ||
    { echo "gpu_check.sh: cannot unpack $bundle" >&2; exit 2; }
  bundle=$(find "$scratch/bundle" -maxdepth 2 -name build-info.txt | head -n 1)
  bundle=$(dirname "${bundle:-$scratch/bundle/x/x}")
fi
if [ -z "$bundle" ] || [ ! -d "$bundle/bin" ]; then
  echo "usage: scripts/gpu_check.sh BUNDLE   (a folder with bin/, or a .tar.* of one, made by scripts/gpu_bundle.sh)" >&2
  exit 2
fi
bundle=$(cd "$bundle" && pwd)
bin="$bundle/bin"
results="${WEFT_CHECK_RESULTS:-$repo/build/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$results"
results=$(cd "$results" && pwd)
budget="${WEFT_CHECK_BUDGET:-360}"
# The last seconds of the budget are kept for the benchmarks: the tests and
# examples stop short of them.
bench_reserve="${WEFT_CHECK_BENCH_RESERVE:-100}"
phase_end=$((budget - bench_reserve))
threads="${WEFT_CHECK_THREADS:-3}"
logs="$scratch/logs"
mkdir -p "$logs"
steps_file="$scratch/steps.tsv"
: > "$steps_file"

# --- The run-time environment ------------------------------------------------
# The bundle's libraries go to weft's programs and mpiexec only (not to this
# machine's own tools), and of the GCC run-time libraries this machine's own
# are taken where they are as new (they are backward compatible).
program_libs=""
if [ -d "$bundle/lib" ]; then
  program_libs="$scratch/lib"
  mkdir -p "$program_libs"
  for lib in "$bundle/lib"/*; do
    name=$(basename "$lib")
    system=$(ldconfig -p 2>/dev/null | awk -v n="$name" '$1 == n && /x86-64/ {print $NF; exit}')
    case "$name" in
      libstdc++.so.*)
        newest=$(grep -ao 'GLIBCXX_3\.4\.[0-9]*' "$lib" | sort -t. -k3 -n | tail -n 1)
        if [ -n "$system" ] && grep -aq "$newest" "$system"; then continue; fi ;;
      libgcc_s.so.* | libgomp.so.*)
        if [ -n "$system" ]; then continue; fi ;;
    esac
    ln -s "$lib" "$program_libs/$name"
  done
fi
# The CUDA driver (libcuda.so.1) is the machine's own; where the loader does
# not know it, look where container images of NVIDIA machines mount it.
driver_libs=""
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
  for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib64 /usr/local/cuda/compat; do
    [ -e "$dir/libcuda.so.1" ] && driver_libs="${driver_libs:+$driver_libs:}$dir"
  done
fi
WEFT_CHECK_LIBS="$program_libs"
for extra in "${LD_LIBRARY_PATH:-}" "$driver_libs"; do
  [ -n "$extra" ] && WEFT_CHECK_LIBS="${WEFT_CHECK_LIBS:+$WEFT_CHECK_LIBS:}$extra"
done
export WEFT_CHECK_LIBS
mpiexec=""
if [ -x "$bundle/mpi/bin/orterun" ]; then
  # The bundled Open MPI, moved from its install prefix.
  export OPAL_PREFIX="$bundle/mpi" PATH="$bundle/mpi/bin:$PATH"
  [ -d "$bundle/mpi/pmix" ] && export PMIX_MCA_mca_base_component_path="$bundle/mpi/pmix"
  mpiexec="$bundle/mpi/bin/orterun"
elif command -v mpiexec > /dev/null; then
  mpiexec=$(command -v mpiexec)
fi
# Open MPI: root allowed, more ranks than cores allowed, shared memory
# without the single-copy mechanism (refused in some virtual machines), no
# network transports; other MPIs ignore these. weft stages GPU buffers
# through host memory unless MPI says it is CUDA-aware.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 \
  OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_osc=^ucx \
  OMPI_MCA_plm_rsh_agent=false
export OMP_PROC_BIND=false OMP_WAIT_POLICY=passive

elapsed() { echo $(($(date +%s) - start)); }

# run_step NAME TIMEOUT [PASS_REGEX] -- COMMAND...
# Runs COMMAND (with a time limit of TIMEOUT seconds, less if the budget is
# nearer) unless it is skipped; records pass, FAIL, timeout or skipped.
run_step() {
  local name="$1" limit="$2" pass_regex="" status result t0 t1 left
  shift 2
  if [ "$1" != "--" ]; then pass_regex="$1"; shift; fi
  shift
  if [ -n "${WEFT_CHECK_ONLY:-}" ] && ! [[ "$name" =~ ${WEFT_CHECK_ONLY} ]]; then return 0; fi
  if [ -n "${WEFT_CHECK_SKIP:-}" ] && [[ "$name" =~ ${WEFT_CHECK_SKIP} ]]; then
    printf '%s\tskipped\t-\tWEFT_CHECK_SKIP\n' "$name" >> "$steps_file"; return 0
  fi
  local program="" word
  for word in "$@"; do
    case "$word" in "$bin"/*) program="$word"; break ;; esac
  done
  if [ -n "$program" ] && [ ! -x "$program" ]; then
    printf '%s\tskipped\t-\t%s not built\n' "$name" "$(basename "$program")" >> "$steps_file"; return 0
  fi
  left=$((phase_end - $(elapsed)))
  if [ "$left" -lt 5 ]; then
    printf '%s\tskipped\t-\tout of time (WEFT_CHECK_BUDGET=%s)\n' "$name" "$budget" >> "$steps_file"; return 0
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "[gpu_check $(elapsed)s] $name" >&2
  t0=$(date +%s%N)
  (cd "$scratch" && timeout -k 5 "$limit" bash -c '"$@"' run_step "$@") > "$logs/$name.log" 2>&1
  status=$?
  t1=$(date +%s%N)
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    result=timeout
  elif [ "$status" -ne 0 ]; then
    result=FAIL
  elif [ -n "$pass_regex" ] && ! grep -Eq "$pass_regex" "$logs/$name.log"; then
    result=FAIL
  else
    result=pass
  fi
  local note
  note=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/$name.log" | grep -E 'test cases|assertions' | tail -n 1 | tr '\t|' '  ')
  [ "$result" != pass ] && [ -z "$note" ] && note="exit $status: $(tail -n 1 "$logs/$name.log" | cut -c1-120 | tr '\t|' '  ')"
  printf '%s\t%s\t%s\t%s\n' "$name" "$result" "$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d / 1e9}')" "$note" >> "$steps_file"
  echo "[gpu_check $(elapsed)s] $name: $result" >&2
}

# mpirun_n RANKS [VARIABLE=value...] PROGRAM ARGS...: RANKS processes, one
# OpenMP thread each (the ranks inherit the environment).
mpirun_n() {
  local ranks="$1" settings=()
  shift
  while [[ "$1" == *=* ]]; do settings+=("$1"); shift; done
  if [ -z "$mpiexec" ]; then
    echo "no mpiexec: neither BUNDLE/mpi nor one on the PATH" >&2
    return 127
  fi
  env ${WEFT_CHECK_LIBS:+LD_LIBRARY_PATH="$WEFT_CHECK_LIBS"} OMP_NUM_THREADS=1 "${settings[@]}" \
    "$mpiexec" -n "$ranks" "$@"
}
local_run() { env ${WEFT_CHECK_LIBS:+LD_LIBRARY_PATH="$WEFT_CHECK_LIBS"} OMP_NUM_THREADS="$threads" "$@"; }
# run_step runs its command through bash under timeout: these go along.
export -f mpirun_n local_run
export mpiexec threads

# --- The machine ----------------------------------------------------------------
{
  echo "# weft GPU check"
  echo
  echo "Run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n), $(nproc) cores, from $bundle."
  echo
  echo '## Machine'
  echo
  if command -v nvidia-smi > /dev/null && nvidia-smi > "$logs/nvidia-smi.log" 2>&1; then
    echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -n 1)"
    echo "- driver: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -n 1)"
    echo "- CUDA (driver's): $(sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' "$logs/nvidia-smi.log" | head -n 1)"
  else
    echo "- GPU: no GPU (nvidia-smi absent or failing)"
  fi
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "- MPI launcher: ${mpiexec:-none}"
  if [ -f "$bundle/build-info.txt" ]; then
    echo
    echo '```'
    cat "$bundle/build-info.txt"
    echo '```'
  fi
  # Kokkos' own account of itself (Kokkos 4 and later; Kokkos 3 has no such option).
  if [ -x "$bin/weft_local_tests" ] &&
     local_run "$bin/weft_local_tests" --kokkos-print-configuration --list-tags \
       > "$logs/kokkos-configuration.log" 2>&1; then
    echo
    echo '```'
    sed -n '1,/^All available tags\|^[0-9]* tags/p' "$logs/kokkos-configuration.log" | grep -v 'tags' | head -n 80
    echo '```'
  fi
} > "$scratch/machine.md"
cat "$scratch/machine.md" >&2

# --- The ctest suite ------------------------------------------------------------
for family in for_each reduce scan stencil sort compaction by_key histogram reproducible dispatch; do
  run_step "local.$family" 240 -- local_run "WEFT_TEST_CHECKSUMS=$scratch/local-$family.txt" \
    "$bin/weft_local_tests" "[$family]"
done
# Reproducible sums: the bits of this run (each space the build enables
# already agrees with the first) against those of a CPU build, where the
# bundle carries them (gpu_bundle.sh with WEFT_BUNDLE_REFERENCE).
if [ -f "$bundle/reference/local-reproducible.txt" ] && [ -f "$scratch/local-reproducible.txt" ]; then
  run_step local.reproducible.same_bits_as_reference 30 -- \
    diff "$bundle/reference/local-reproducible.txt" "$scratch/local-reproducible.txt"
fi
for read in diagonal far inside; do
  run_step "local.reach_check.$read" 60 -- local_run "$bin/weft_reach_check" "$read"
done
for case in fresh nested; do
  run_step "local.environment.$case" 60 "ok: $case" -- local_run "$bin/weft_local_environment_check" "$case"
done
for ranks in 1 2; do
  run_step "distributed.ranks$ranks" 300 -- mpirun_n "$ranks" "$bin/weft_distributed_tests"
done
for entry in fresh:1 fresh:2 mpi_first:2 both_first:2; do
  run_step "distributed.environment.${entry%%:*}.ranks${entry##*:}" 60 "ok: ${entry%%:*}" -- \
    mpirun_n "${entry##*:}" "$bin/weft_environment_check" "${entry%%:*}"
done
for ranks in 1 2; do
  mkdir -p "$scratch/hdf5-ranks$ranks"
  run_step "hdf5.ranks$ranks" 180 -- mpirun_n "$ranks" "WEFT_TEST_DIR=$scratch/hdf5-ranks$ranks" \
    "$bin/weft_hdf5_tests"
done

# --- The examples' own checks ---------------------------------------------------
run_step example.heat2d_local 60 -- local_run "$bin/heat2d_local" 96 200
for ranks in 1 2; do
  run_step "example.dot_norm.ranks$ranks" 60 -- mpirun_n "$ranks" "$bin/dot_norm" 100003
  run_step "example.poisson_cg.ranks$ranks" 60 -- mpirun_n "$ranks" "$bin/poisson_cg" 32
  run_step "example.poisson_cg_mg.ranks$ranks" 60 -- \
    mpirun_n "$ranks" "$bin/poisson_cg" 32 --precondition mg --check-iterations 12
  run_step "example.train_logreg.ranks$ranks" 60 -- mpirun_n "$ranks" "$bin/train_logreg" 20000 30
  run_step "example.heat2d.ranks$ranks" 60 -- mpirun_n "$ranks" "$bin/heat2d" 96 200 "$scratch/heat2d-ranks$ranks"
  run_step "example.image_filter.ranks$ranks" 60 -- \
    mpirun_n "$ranks" "$bin/image_filter" --generate 97 "$scratch/filter-ranks$ranks"
  run_step "example.gray_scott.ranks$ranks" 60 -- \
    mpirun_n "$ranks" "$bin/gray_scott" 97 600 "$scratch/gray_scott-ranks$ranks"
  layouts=1x1
  [ "$ranks" -eq 2 ] && layouts="2x1 1x2"
  for layout in $layouts; do
    run_step "example.train_digits.$layout.ranks$ranks" 120 -- mpirun_n "$ranks" "$bin/train_digits" \
      --layout "$layout" --epochs 15 --hidden 128 --reproducible --min-accuracy 0.95
  done
done
run_step example.balance.ranks3 90 -- mpirun_n 3 "$bin/balance" --check

# --- Benchmarks, short repetitions ----------------------------------------------
phase_end=$budget
min_time="${WEFT_CHECK_BENCH_MIN_TIME:-0.02}"
bench_flags=(--benchmark_min_time="$min_time" --benchmark_repetitions=3
             --benchmark_report_aggregates_only=true --benchmark_format=console)
run_step bench.local 60 -- local_run "$bin/weft-bench" "${bench_flags[@]}" \
  ${WEFT_CHECK_BENCH_FILTER:+--benchmark_filter="$WEFT_CHECK_BENCH_FILTER"} \
  --benchmark_out="$results/bench-local.json" --benchmark_out_format=json
run_step bench.distributed.ranks2 120 -- mpirun_n 2 "$bin/weft-bench-distributed" "${bench_flags[@]}" \
  --benchmark_filter="${WEFT_CHECK_BENCH_DISTRIBUTED_FILTER:-^(dist_dot|dist_scan|dist_stencil[123]d/(weft|kokkos|trusted|exchange)|dist_repro_sum|halo1d)/}" \
  --benchmark_out="$results/bench-distributed.json" --benchmark_out_format=json

# --- The summary ----------------------------------------------------------------
wall=$(elapsed)
failed=$(awk -F'\t' '$2 == "FAIL" || $2 == "timeout"' "$steps_file" | wc -l)
passed=$(awk -F'\t' '$2 == "pass"' "$steps_file" | wc -l)
skipped=$(awk -F'\t' '$2 == "skipped"' "$steps_file" | wc -l)
{
  cat "$scratch/machine.md"
  echo
  echo "## Steps"
  echo
  echo "$passed passed, $failed failed, $skipped skipped, in ${wall} s (budget ${budget} s)."
  echo
  echo "| step | result | seconds | note |"
  echo "|---|---|---:|---|"
  awk -F'\t' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}' "$steps_file"
  for json in "$results/bench-local.json" "$results/bench-distributed.json"; do
    [ -s "$json" ] || continue
    echo
    echo "## $(basename "$json" .json): medians of 3"
    echo
    if command -v python3 > /dev/null; then
      python3 - "$json" <<'PY' || echo "(the JSON could not be read)"
import json, sys
text = open(sys.argv[1]).read()
try:
    data = json.loads(text)
except ValueError:  # cut off by the time limit: keep the cases written whole
    end = text.rfind("\n    }")
    data = json.loads(text[:end + 6] + "\n  ]\n}") if end > 0 else {}
    print("(cut off by the time limit: the cases finished before it)")
    print()
ctx = data.get("context", {})
keys = ("kokkos_version", "kokkos_execution_space", "kokkos_concurrency", "mpi_ranks", "num_cpus")
print(", ".join(f"{k}: {ctx[k]}" for k in keys if k in ctx))
print()
# Speed relative to weft's variant of the same case (<case>/<variant>/<size>...):
# above 1, the variant is faster than weft.
rows = [b for b in data.get("benchmarks", [])
        if b.get("aggregate_name", "median") == "median" and not b.get("error_occurred")]
def split(b):
    parts = b.get("run_name", b["name"]).split("/")
    return parts[1] if len(parts) > 2 else "", tuple(parts[:1] + parts[2:])
weft_time = {split(b)[1]: b["real_time"] for b in rows if split(b)[0] == "weft"}
print("| benchmark | time | unit | rate | weft's time / this |")
print("|---|---:|---|---:|---:|")
for b in rows:
    variant, key = split(b)
    ratio = f"{weft_time[key] / b['real_time']:.2f}" if key in weft_time and b["real_time"] > 0 else ""
    rate = ""
    for key, unit in (("bytes_per_second", "GB/s"), ("items_per_second", "G items/s")):
        if key in b:
            rate = f"{b[key] / 1e9:.3g} {unit}"
            break
    name = b.get("run_name", b["name"])
    print(f"| {name} | {b['real_time']:.4g} | {b.get('time_unit', 'ns')} | {rate} | {ratio} |")
PY
    fi
  done
} > "$results/summary.md"
tar -czf "$results/logs.tar.gz" -C "$scratch" logs
rm -rf "$scratch"
echo "[gpu_check] $passed passed, $failed failed, $skipped skipped in ${wall} s; results in $results" >&2
[ "$failed" -eq 0 ]
exit
}
