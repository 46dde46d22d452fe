// Writes that fail: every rank must get weft::error (never a hang), the
// previous checkpoint must stay whole, and nothing half-written may stay
// behind. Driven by hdf5_faults.cmake, one mode per mpiexec run:
//
//   weft_hdf5_faults <dir> file-size   any file system: the write failures
//       are injected with RLIMIT_FSIZE (a file may not grow past a limit) on
//       rank 0 alone (HDF5's metadata), on the last rank alone (its values),
//       or on every rank, at several limits, through checkpoint_writer,
//       weft::save by name and hdf5_file + weft::save
//   weft_hdf5_faults <dir> full-disk   <dir> is a small file system (a 1 MiB
//       tmpfs): checkpoints of growing size until they no longer fit, with
//       the disk filling up in the values, in HDF5's metadata or in the
//       sidecars
//
// Prints one line per attempt; exits non-zero if anything was wrong.
#include <weft/hdf5.hpp>

#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {
using memory = Kokkos::DefaultExecutionSpace::memory_space;

KOKKOS_INLINE_FUNCTION double value(std::int64_t i, int version) { return version * 1.0e6 + double(i); }

struct fields {
  weft::distributed_vector<double, memory> x;
  weft::distributed_grid<double, 2, memory> u;
};

fields make(const weft::communicator& comm, std::int64_t n, int version) {
  fields f{weft::distributed_vector<double, memory>(comm, weft::partition::block(n, comm.size()), weft::halo{1}),
           weft::distributed_grid<double, 2, memory>(comm, {40, 30}, {.halo = 1, .periodic = {}, .dims = {}})};
  weft::for_each_index(
      f.x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = value(i, version); });
  weft::for_each_index(
      f.u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = value(i * 30 + j, version); });
  return f;
}

// Collective: how many ranks see something wrong.
int failures_on_ranks(int wrong) {
  int total = 0;
  MPI_Allreduce(&wrong, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  return total;
}

// Whether the checkpoint at path holds version `version` of n elements, whole.
bool holds(const weft::communicator& comm, const std::string& path, std::int64_t n, int version) {
  try {
    weft::hdf5_file f(comm, path, weft::hdf5_file::read);
    if (f.read_attribute<int>("version") != version || f.extents("x") != std::vector<std::int64_t>{n}) return false;
    fields g = make(comm, n, 0);
    weft::load(f, "x", g.x);
    weft::load(f, "u", g.u);
    std::int64_t wrong = 0;
    const auto all = weft::gather(g.x, 0);
    const auto grid = weft::gather(g.u, 0);
    for (std::size_t k = 0; k < all.size(); ++k) wrong += all[k] != value(std::int64_t(k), version);
    for (std::size_t k = 0; k < grid.size(); ++k) wrong += grid[k] != value(std::int64_t(k), version);
    MPI_Bcast(&wrong, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    return wrong == 0;
  } catch (const weft::error& e) {
    if (comm.rank() == 0) std::printf("  cannot read the checkpoint: %s\n", e.what());
    return false;
  }
}

int leftovers(const std::string& dir) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    count += entry.path().filename().string().find(".tmp.") != std::string::npos;
  return count;
}

// Limits the size of files this rank writes (soft limit; 0: none).
void limit_file_size(std::uint64_t bytes) {
  rlimit r{};
  getrlimit(RLIMIT_FSIZE, &r);
  r.rlim_cur = bytes ? bytes : r.rlim_max;
  setrlimit(RLIMIT_FSIZE, &r);
}

enum class way { checkpoint, save_by_name, open_file };
const char* way_name(way w) {
  return w == way::checkpoint ? "checkpoint_writer" : w == way::save_by_name ? "save(path)" : "hdf5_file + save";
}

// One attempt to write version `version` (n elements) to path; true if it
// succeeded on every rank, false if it threw weft::error on every rank. A
// split outcome is a failure of the test (reported through `bad`).
bool attempt(const weft::communicator& comm, const std::string& path, way how, std::int64_t n, int version, int& bad) {
  const fields f = make(comm, n, version);
  std::string message;
  bool ok = true;
  try {
    if (how == way::checkpoint) {
      weft::checkpoint_writer ckpt(comm, path);
      ckpt.write("x", f.x);
      ckpt.write("u", f.u, {{"time", 0.5 * version}});
      ckpt.write_attribute("version", version);
      ckpt.commit();
    } else if (how == way::save_by_name) {
      weft::save(path, "x", f.x, {}, {.overwrite = true});
    } else {
      weft::hdf5_file file(comm, path, weft::hdf5_file::read_write);
      weft::save(file, "extra" + std::to_string(version), f.x);
      file.close();
    }
  } catch (const weft::error& e) {
    ok = false;
    message = e.what();
  }
  const int failed = failures_on_ranks(ok ? 0 : 1);
  if (failed != 0 && failed != comm.size()) {
    ++bad;
    std::printf("  rank %d: %s (but %d of %d ranks failed)\n", comm.rank(), ok ? "no error" : message.c_str(), failed,
                comm.size());
  }
  if (comm.rank() == 0 && !ok) std::printf("  weft::error on every rank: %.300s\n", message.c_str());
  return ok;
}

int file_size_faults(const weft::communicator& comm, const std::string& dir) {
  int bad = 0;
  const std::string path = dir + "/ckpt.h5", plain = dir + "/plain.h5", other = dir + "/other.h5";
  const std::int64_t n = 60000;  // 480 KB of values
  int version = 1;
  attempt(comm, path, way::checkpoint, n, version, bad);
  attempt(comm, plain, way::save_by_name, n, version, bad);
  {
    weft::hdf5_file f(comm, other, weft::hdf5_file::create);
    f.close();
  }
  const int last = comm.size() - 1;
  struct injection {
    const char* who;
    int rank;  // -1: every rank
    std::uint64_t limit;
  };
  // Rank 0 alone writes HDF5's metadata: a limit below the file's first
  // few KiB fails it there; other limits fail the values of whoever writes
  // past them.
  const std::vector<injection> injections{{"rank 0", 0, 2048},       {"rank 0", 0, 100000},
                                          {"last rank", last, 4096}, {"last rank", last, 300000},
                                          {"every rank", -1, 2048},  {"every rank", -1, 400000}};
  for (const auto& inject : injections) {
    for (way how : {way::checkpoint, way::save_by_name, way::open_file}) {
      if (comm.rank() == 0)
        std::printf("file-size: %s limited to %llu bytes, %s\n", inject.who,
                    static_cast<unsigned long long>(inject.limit), way_name(how));
      std::fflush(stdout);
      const bool victim = inject.rank < 0 || inject.rank == comm.rank();
      if (victim) limit_file_size(inject.limit);
      const std::string target = how == way::checkpoint ? path : how == way::save_by_name ? plain : other;
      const bool ok = attempt(comm, target, how, n, version + 1, bad);
      if (victim) limit_file_size(0);
      MPI_Barrier(MPI_COMM_WORLD);
      if (ok && comm.size() > 1 && inject.limit < 300000) {
        ++bad;
        if (comm.rank() == 0) std::printf("  WRONG: the write succeeded past the limit\n");
      }
      if (ok && how == way::checkpoint) ++version;
    }
    // The checkpoints hold the last version that was written whole.
    if (!holds(comm, path, n, version)) {
      ++bad;
      if (comm.rank() == 0) std::printf("  WRONG: the checkpoint does not hold version %d whole\n", version);
    }
    if (comm.rank() == 0 && leftovers(dir) != 0) {
      ++bad;
      std::printf("  WRONG: %d temporary files left behind\n", leftovers(dir));
    }
  }
  return bad;
}

int full_disk_faults(const weft::communicator& comm, const std::string& dir) {
  int bad = 0;
  const std::string path = dir + "/ckpt.h5";
  int version = 1;
  std::int64_t whole_n = 10000;
  if (!attempt(comm, path, way::checkpoint, whole_n, version, bad)) return 1;
  // Growing checkpoints: the 1 MiB disk holds the previous one (80 KB and
  // up) beside the new one until, somewhere past 50000 elements, it does not:
  // first the values no longer fit, then only HDF5's metadata or the
  // sidecar, at the sizes in between.
  for (std::int64_t n = 40000; n <= 120000; n += 1777) {
    if (comm.rank() == 0) std::printf("full-disk: checkpoint of %lld elements\n", static_cast<long long>(n));
    std::fflush(stdout);
    if (attempt(comm, path, way::checkpoint, n, version + 1, bad)) {
      ++version;
      whole_n = n;
    }
    if (!holds(comm, path, whole_n, version)) {
      ++bad;
      if (comm.rank() == 0) std::printf("  WRONG: the checkpoint does not hold version %d whole\n", version);
    }
    if (comm.rank() == 0 && leftovers(dir) != 0) {
      ++bad;
      std::printf("  WRONG: %d temporary files left behind\n", leftovers(dir));
    }
  }
  // A file the run keeps open for writing, on the full disk.
  for (std::int64_t n : {50000, 100000, 200000}) {
    if (comm.rank() == 0) std::printf("full-disk: hdf5_file + save of %lld elements\n", static_cast<long long>(n));
    attempt(comm, dir + "/ckpt.h5", way::open_file, n, version + 100 + int(n / 50000), bad);
  }
  return bad;
}
}  // namespace

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    std::signal(SIGXFSZ, SIG_IGN);  // a write past RLIMIT_FSIZE fails with EFBIG instead of killing
    weft::communicator comm(MPI_COMM_WORLD);
    const std::string dir = argc > 2 ? argv[1] : ".", mode = argc > 2 ? argv[2] : "";
    int bad = 0;
    if (mode == "file-size")
      bad = file_size_faults(comm, dir);
    else if (mode == "full-disk")
      bad = full_disk_faults(comm, dir);
    else {
      std::fprintf(stderr, "usage: weft_hdf5_faults <dir> file-size|full-disk\n");
      bad = 1;
    }
    bad = failures_on_ranks(bad);
    if (comm.rank() == 0)
      std::printf("%s: %s\n", mode.c_str(), bad == 0 ? "every failure reached every rank, nothing lost" : "WRONG");
    status = bad == 0 ? 0 : 1;
  }
  MPI_Finalize();
  return status;
}
