#include <weft/hdf5.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI and Kokkos, until main returns
  const weft::communicator& comm = env.world();
  weft::distributed_grid<double, 2> u(comm, {512, 512}, {.halo = 1, .periodic = {true, true}});
  weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = i * 512 + j; });

  // A checkpoint: every field and attribute appears under the final name
  // at once, when commit() renames the finished temporary file.
  weft::checkpoint_writer ckpt(comm, "checkpoint.h5");
  ckpt.write("u", u, {{"time", 0.5}});
  ckpt.write_attribute("step", 1000);
  ckpt.commit();

  // A restart, here on another process grid and halo: the size and the
  // step from the file, then the field (bitwise what was saved).
  weft::hdf5_file f(comm, "checkpoint.h5", weft::hdf5_file::read);
  const auto n = f.extents("u");
  const int step = f.read_attribute<int>("step");
  weft::distributed_grid<double, 2> v(comm, {n[0], n[1]}, {.halo = 2, .dims = {comm.size(), 1}});
  weft::load(f, "u", v);
  v.exchange_halo(weft::clamp{});
  const double total = weft::reduce(v);  // collective, like every weft call
  if (comm.rank() == 0) std::printf("restarted at step %d: total %.0f\n", step, total);
}
