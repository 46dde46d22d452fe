// Checkpoint I/O (weft::hdf5) against raw MPI-IO of the same bytes:
//
//   io2d/<variant>/n   an n x n double grid (2048: 32 MiB)
//   io3d/<variant>/n   an n x n x n double grid (256: 128 MiB)
//
// variants (every one opens, transfers and closes a file; the time is the
// slowest rank's):
//   save             weft::hdf5_file(create) + weft::save + close: one
//                    contiguous dataset created by rank 0, each rank's block
//                    written with independent MPI-IO (halo skipped), read
//                    back and checked against the checksum
//   load             weft::hdf5_file(read) + weft::load + close, the
//                    checksum of what was loaded checked
//   checkpoint       weft::checkpoint_writer without sync: the same write to a
//                    temporary file, renamed over the previous checkpoint
//   checkpoint_sync  the same with sync (MPI_File_sync, fsync, directory fsync)
//   raw_write        MPI_File_open(create) + truncate + one
//                    MPI_File_write_at_all of each rank's block, packed
//                    beforehand, at its offset in rank order + close
//   raw_write_sync   the same with MPI_File_sync before the close
//   raw_read         MPI_File_open(read) + one MPI_File_read_at_all + close
//
// Files go to $WEFT_BENCH_DIR (default: the working directory), one per
// case. Bandwidth = bytes of the grid / time; reads come from the page cache
// (the file was just written), as a restart on the same node would.

#include "common.hpp"

#include <weft/hdf5.hpp>

#include <array>
#include <cstdlib>
#include <string>
#include <vector>

namespace weft_dbench {
namespace {

template <int Rank>
using dgrid = weft::distributed_grid<double, Rank>;

template <int Rank>
struct io_data {
  weft::communicator comm;
  dgrid<Rank> u, v;
  std::vector<double> packed;  // this rank's block, row-major, for the raw variants
  MPI_Offset offset = 0;       // where it goes in the raw file (bytes)
};

std::string bench_path(const std::string& name) {
  const char* dir = std::getenv("WEFT_BENCH_DIR");
  return (dir && *dir ? std::string(dir) : std::string(".")) + "/" + name;
}

template <int Rank>
io_data<Rank>& io_grids(std::int64_t n) {
  return cached<io_data<Rank>>("io" + std::to_string(Rank) + "/" + std::to_string(n), [n] {
    weft::communicator comm(MPI_COMM_WORLD);
    const weft::grid_options opt{.halo = 1, .periodic = {true, true, true}, .dims = {}};
    std::array<std::int64_t, Rank> extents;
    extents.fill(n);
    io_data<Rank> d{comm, dgrid<Rank>(comm, extents, opt), dgrid<Rank>(comm, extents, opt), {}, 0};
    if constexpr (Rank == 2) {
      weft::for_each_index(d.u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) { x = pattern(i * n + j, 5); });
    } else {
      weft::for_each_index(d.u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t k, double& x) {
        x = pattern((i * n + j) * n + k, 5);
      });
    }
    weft::fill(d.v, 0.0);
    Kokkos::fence();
    // The block packed (outside the timed loop: the raw variants get the
    // contiguous buffer MPI-IO likes best).
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, d.u.local());
    std::int64_t points = 1;
    for (int dim = 0; dim < Rank; ++dim) points *= d.u.local_extent(dim);
    d.packed.resize(points);
    std::int64_t at = 0;
    if constexpr (Rank == 2) {
      for (std::size_t i = 0; i < host.extent(0); ++i)
        for (std::size_t j = 0; j < host.extent(1); ++j) d.packed[at++] = host(i, j);
    } else {
      for (std::size_t i = 0; i < host.extent(0); ++i)
        for (std::size_t j = 0; j < host.extent(1); ++j)
          for (std::size_t k = 0; k < host.extent(2); ++k) d.packed[at++] = host(i, j, k);
    }
    const std::int64_t mine = points * 8;
    std::int64_t before = 0;
    MPI_Exscan(&mine, &before, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    d.offset = world_rank() == 0 ? 0 : before;
    return d;
  });
}

void check_mpi_io(int code, const char* call) {
  if (code != MPI_SUCCESS) fail("io", call, code, MPI_SUCCESS);
}

// The raw baseline: one collective write (or read) of each rank's packed block.
template <int Rank>
void raw_transfer(io_data<Rank>& d, const std::string& path, bool write, bool sync) {
  MPI_File f;
  const int mode = write ? (MPI_MODE_CREATE | MPI_MODE_WRONLY) : MPI_MODE_RDONLY;
  check_mpi_io(MPI_File_open(MPI_COMM_WORLD, path.c_str(), mode, MPI_INFO_NULL, &f), "MPI_File_open");
  const int count = static_cast<int>(d.packed.size());
  if (write) {
    check_mpi_io(MPI_File_set_size(f, 0), "MPI_File_set_size");  // what H5Fcreate's truncation does
    check_mpi_io(MPI_File_write_at_all(f, d.offset, d.packed.data(), count, MPI_DOUBLE, MPI_STATUS_IGNORE),
                 "MPI_File_write_at_all");
    if (sync) check_mpi_io(MPI_File_sync(f), "MPI_File_sync");
  } else {
    check_mpi_io(MPI_File_read_at_all(f, d.offset, d.packed.data(), count, MPI_DOUBLE, MPI_STATUS_IGNORE),
                 "MPI_File_read_at_all");
  }
  check_mpi_io(MPI_File_close(&f), "MPI_File_close");
}

// The grid read back into v (another process grid would do as well) equals u.
template <int Rank>
void check_equal(const std::string& name, const io_data<Rank>& d) {
  const auto a = weft::gather(d.u, 0), b = weft::gather(d.v, 0);
  if (world_rank() != 0) return;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k] != b[k]) fail(name, "point " + std::to_string(k), b[k], a[k]);
}

template <int Rank>
void register_io(std::int64_t n) {
  const std::string primitive = Rank == 2 ? "io2d" : "io3d";
  const double bytes = 8.0 * double(n) * double(n) * (Rank == 3 ? double(n) : 1.0);
  const std::string stem = primitive + "-" + std::to_string(n);
  auto io_traffic = [bytes] { return traffic{1, bytes}; };

  add(primitive, "save", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = io_grids<Rank>(n);
    const std::string path = bench_path(stem + "-save.h5");
    auto step = [&] {
      weft::hdf5_file f(d.comm, path, weft::hdf5_file::create);
      weft::save(f, "u", d.u);
      f.close();
    };
    if (first_time(name)) {
      step();
      weft::fill(d.v, -1.0);
      weft::load(path, "u", d.v);
      check_equal<Rank>(name, d);
    }
    time_loop(state, step);
    return io_traffic();
  });
  add(primitive, "load", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = io_grids<Rank>(n);
    const std::string path = bench_path(stem + "-load.h5");
    if (first_time(name)) weft::save(path, "u", d.u);
    auto step = [&] {
      weft::hdf5_file f(d.comm, path, weft::hdf5_file::read);
      weft::load(f, "u", d.v);
      f.close();
    };
    if (first_time(name + "/check")) {
      weft::fill(d.v, -1.0);
      step();
      check_equal<Rank>(name, d);
    }
    time_loop(state, step);
    return io_traffic();
  });
  for (const bool sync : {false, true}) {
    add(primitive, sync ? "checkpoint_sync" : "checkpoint", n, [=](benchmark::State& state, const std::string& name) {
      auto& d = io_grids<Rank>(n);
      const std::string path = bench_path(stem + "-checkpoint.h5");
      auto step = [&] {
        weft::checkpoint_writer ckpt(d.comm, path, {.sync = sync});
        ckpt.write("u", d.u);
        ckpt.commit();
      };
      if (first_time(name)) {
        step();
        weft::fill(d.v, -1.0);
        weft::load(path, "u", d.v);
        check_equal<Rank>(name, d);
      }
      time_loop(state, step);
      return io_traffic();
    });
    add(primitive, sync ? "raw_write_sync" : "raw_write", n, [=](benchmark::State& state, const std::string& name) {
      auto& d = io_grids<Rank>(n);
      const std::string path = bench_path(stem + "-raw.bin");
      if (first_time(name)) {  // what was written reads back
        raw_transfer(d, path, true, sync);
        const auto written = d.packed;
        std::fill(d.packed.begin(), d.packed.end(), -1.0);
        raw_transfer(d, path, false, false);
        if (d.packed != written) fail(name, "read back", 0, 1);
      }
      time_loop(state, [&] { raw_transfer(d, path, true, sync); });
      return io_traffic();
    });
  }
  add(primitive, "raw_read", n, [=](benchmark::State& state, const std::string&) {
    auto& d = io_grids<Rank>(n);
    const std::string path = bench_path(stem + "-raw.bin");
    raw_transfer(d, path, true, false);
    time_loop(state, [&] { raw_transfer(d, path, false, false); });
    return io_traffic();
  });
}

}  // namespace

void register_hdf5_benchmarks() {
  register_io<2>(2048);
  register_io<3>(256);
}

}  // namespace weft_dbench
