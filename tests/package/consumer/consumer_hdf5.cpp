// Uses the installed weft::hdf5 component: a grid saved as a checkpoint and
// loaded back on another process grid, checked.
#include <weft/hdf5.hpp>

#include <cstdio>
#include <string>

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  bool ok = false;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    weft::communicator comm(MPI_COMM_WORLD);
    const std::string path = argc > 1 ? argv[1] : "consumer.h5";
    weft::distributed_grid<double, 2> u(comm, {40, 30});
    weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = i * 30 + j; });
    weft::save(path, "u", u, {{"step", 7}});
    weft::distributed_grid<double, 2> v(comm, {40, 30}, {.halo = 2, .periodic = {}, .dims = {1, 0, 0}});
    weft::load(path, "u", v);
    const double total = weft::reduce(v);
    ok = total == 1199.0 * 1200.0 / 2;
    if (comm.rank() == 0)
      std::printf("weft::hdf5 consumer on %d ranks: total %g: %s\n", comm.size(), total, ok ? "ok" : "WRONG");
  }
  MPI_Finalize();
  return ok ? 0 : 1;
}
