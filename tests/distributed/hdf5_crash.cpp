// A run killed while it writes a checkpoint: the previous checkpoint must
// stay whole and loadable, and nothing half-written may appear under the
// checkpoint's name. Driven by hdf5_crash.cmake, one mode per mpiexec run:
//
//   weft_hdf5_crash <dir> good        writes checkpoint <dir>/ckpt.h5 (version 1)
//   weft_hdf5_crash <dir> die         starts replacing it (version 2); the last
//                                     rank _exits after the first field, the
//                                     others are left in the next collective
//                                     write until mpiexec kills them
//   weft_hdf5_crash <dir> die-first   a first checkpoint <dir>/first.h5; every
//                                     rank raises SIGKILL after the first field
//   weft_hdf5_crash <dir> verify      at any rank count: ckpt.h5 loads bitwise
//                                     as version 1; first.h5 does not exist
#include <weft/hdf5.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

namespace {
using memory = Kokkos::DefaultExecutionSpace::memory_space;
constexpr std::int64_t n0 = 96, n1 = 80, nx = 100003;

KOKKOS_INLINE_FUNCTION double u_at(std::int64_t i, std::int64_t j, int version) {
  return version * 1000.0 + i + j / 128.0;
}
KOKKOS_INLINE_FUNCTION std::int64_t x_at(std::int64_t i, int version) { return version * 1000000 + 7 * i; }

void write(const weft::communicator& comm, const std::string& path, int version, bool die, bool everyone) {
  weft::distributed_grid<double, 2, memory> u(comm, {n0, n1});
  weft::distributed_vector<std::int64_t, memory> x(comm, nx);
  weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = u_at(i, j, version); });
  weft::for_each_index(x, KOKKOS_LAMBDA(std::int64_t i, std::int64_t & v) { v = x_at(i, version); });
  weft::checkpoint_writer ckpt(comm, path);
  ckpt.write("u", u, {{"version", version}});
  if (die) {
    std::fflush(stdout);
    if (everyone) std::raise(SIGKILL);
    if (comm.rank() == comm.size() - 1) _exit(3);
  }
  ckpt.write("x", x);
  ckpt.write_attribute("version", version);
  ckpt.commit();
}

int verify(const weft::communicator& comm, const std::string& dir) {
  int bad = 0;
  weft::hdf5_file f(comm, dir + "/ckpt.h5", weft::hdf5_file::read);
  bad += f.read_attribute<int>("version") != 1;
  weft::distributed_grid<double, 2, memory> u(comm, {n0, n1}, {.halo = 2, .periodic = {}, .dims = {}});
  weft::distributed_vector<std::int64_t, memory> x(comm, nx);
  weft::load(f, "u", u);
  weft::load(f, "x", x);
  // Bitwise: the values are exact in double.
  const auto field = weft::gather(u, 0);
  const auto all = weft::gather(x, 0);
  for (std::size_t k = 0; k < field.size(); ++k) bad += field[k] != u_at(std::int64_t(k) / n1, std::int64_t(k) % n1, 1);
  for (std::size_t k = 0; k < all.size(); ++k) bad += all[k] != x_at(std::int64_t(k), 1);
  bad += std::filesystem::exists(dir + "/first.h5");
  int total = 0;
  MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (comm.rank() == 0)
    std::printf("verify at %d ranks: %s\n", comm.size(),
                total == 0 ? "the previous checkpoint is intact" : "WRONG: the checkpoint is damaged");
  return total == 0 ? 0 : 1;
}
}  // namespace

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    weft::communicator comm(MPI_COMM_WORLD);
    const std::string dir = argc > 2 ? argv[1] : ".", mode = argc > 2 ? argv[2] : "";
    if (mode == "good") write(comm, dir + "/ckpt.h5", 1, false, false);
    else if (mode == "die") write(comm, dir + "/ckpt.h5", 2, true, false);
    else if (mode == "die-first") write(comm, dir + "/first.h5", 2, true, true);
    else if (mode == "verify") status = verify(comm, dir);
    else {
      std::fprintf(stderr, "usage: weft_hdf5_crash <dir> good|die|die-first|verify\n");
      status = 2;
    }
  }
  MPI_Finalize();
  return status;
}
