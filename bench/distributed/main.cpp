// weft-bench-distributed: MPI and Kokkos around Google Benchmark.
//
//   mpiexec -n 2 weft-bench-distributed [--benchmark_filter=...] [--benchmark_format=json]
//
// Every rank runs every case (see common.hpp for how they stay in step);
// only rank 0 prints or writes results. scripts/bench_distributed.py runs it
// at 1 and 2 ranks and writes bench/results/distributed.md.

#include "common.hpp"

#include <weft/version.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

// What the ranks other than 0 report to: nothing.
class silent_reporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

std::string mpi_library() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string s(text, length);
  if (auto end = s.find_first_of(",\n"); end != std::string::npos) s.resize(end);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  Kokkos::initialize(argc, argv);
  int status = 0;
  {
    // Google Benchmark accepts a file reporter only with --benchmark_out.
    bool writes_file = false;
    for (int i = 1; i < argc; ++i) writes_file = writes_file || std::string(argv[i]).rfind("--benchmark_out=", 0) == 0;
    if (!weft_bench::initialize_benchmark(argc, argv)) {
      status = 1;
    } else {
      benchmark::AddCustomContext("kokkos_version", weft_bench::kokkos_version());
      benchmark::AddCustomContext("kokkos_execution_space", weft_dbench::exec_space::name());
      benchmark::AddCustomContext("kokkos_concurrency", std::to_string(weft_dbench::exec_space().concurrency()));
      benchmark::AddCustomContext("mpi_ranks", std::to_string(weft_dbench::world_size()));
      benchmark::AddCustomContext("mpi_library", mpi_library());
      benchmark::AddCustomContext("weft_version", std::to_string(WEFT_VERSION_MAJOR) + "." +
                                                      std::to_string(WEFT_VERSION_MINOR) + "." +
                                                      std::to_string(WEFT_VERSION_PATCH));
      weft_dbench::register_vector_benchmarks();
      weft_dbench::register_grid_benchmarks();
      weft_dbench::register_fields_benchmarks();
#ifdef WEFT_BENCH_HDF5
      weft_dbench::register_hdf5_benchmarks();
#endif
      weft_dbench::register_sort_benchmarks();
      weft_dbench::register_reproducible_benchmarks();
      weft_dbench::register_balance_benchmarks();
      weft_dbench::register_collectives_benchmarks();
      if (weft_dbench::world_rank() == 0) {
        benchmark::RunSpecifiedBenchmarks();
      } else {
        silent_reporter display, file;
        if (writes_file) benchmark::RunSpecifiedBenchmarks(&display, &file);
        else benchmark::RunSpecifiedBenchmarks(&display);
      }
      benchmark::Shutdown();
    }
    weft_bench::release_cache();
  }
  Kokkos::finalize();
  MPI_Finalize();
  return status;
}
