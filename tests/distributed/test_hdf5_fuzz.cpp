// Randomized save/load round trips (weft::hdf5): vectors and 2-D/3-D grids
// of several value types, random shapes, partitions, process grids, halos
// and ghosts, saved one way (by name, into an open file, in a checkpoint of
// several fields; staged or direct) and loaded into another layout, with the
// checksums verified both ways. Every case must come back bitwise.
//
// The same cases on every rank (one seed). WEFT_HDF5_FUZZ_CASES sets how
// many (100 by default: ctest runs them at 1 to 4 ranks and under both of
// Open MPI's MPI-IO components), WEFT_HDF5_FUZZ_SEED the seed; by hand:
//   WEFT_HDF5_FUZZ_CASES=3000 mpiexec -n 3 weft_hdf5_tests "[hdf5][fuzz]"
//   OMPI_MCA_io=romio321 WEFT_HDF5_FUZZ_CASES=3000 mpiexec -n 4 weft_hdf5_tests "[hdf5][fuzz]"
#include <weft/hdf5.hpp>

#include <catch2/catch_test_macros.hpp>

#include "hdf5.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace weft_test;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// The case generator: the same draws on every rank.
struct dice {
  std::mt19937_64 engine;
  std::int64_t between(std::int64_t lo, std::int64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine);
  }
  bool coin() { return between(0, 1) == 1; }
};

// A random process grid of `ranks` ranks in R dimensions, each dimension
// no longer than `fit` (when given).
template <int R>
std::array<int, 3> process_grid(dice& d, int ranks, const std::array<std::int64_t, R>* fit) {
  std::vector<std::array<int, 3>> all;
  for (int a = 1; a <= ranks; ++a)
    for (int b = 1; b <= ranks; ++b)
      for (int c = 1; c <= (R == 3 ? ranks : 1); ++c) {
        const std::array<int, 3> dims{a, b, R == 3 ? c : 0};
        bool fits = a * b * c == ranks;
        for (int k = 0; fit && k < R; ++k) fits = fits && dims[k] <= (*fit)[k];
        if (fits) all.push_back(dims);
      }
  return all[static_cast<std::size_t>(d.between(0, std::int64_t(all.size()) - 1))];
}

// A random grid layout; with pick_extents, extents it can hold, otherwise a
// layout that fits the given extents (every block at least one cell, and at
// least a halo wide where it is split or wraps).
template <int R>
weft::grid_options grid_layout(dice& d, int ranks, std::array<std::int64_t, R>& extents, bool pick_extents) {
  weft::grid_options o{.halo = int(d.between(0, 2)),
                       .periodic = {d.coin(), d.coin(), d.coin()},
                       .dims = process_grid<R>(d, ranks, pick_extents ? nullptr : &extents)};
  auto least = [&](int k) { return std::int64_t(o.dims[k]) * std::max(1, o.halo); };
  if (pick_extents) {
    for (int k = 0; k < R; ++k) extents[k] = least(k) + d.between(0, 11);
  } else {
    for (bool fits = false; !fits; --o.halo) {
      fits = true;
      for (int k = 0; k < R; ++k) fits = fits && extents[k] >= least(k);
      if (fits) break;
    }
  }
  return o;
}

weft::partition vector_partition(dice& d, std::int64_t n, int ranks) {
  switch (d.between(0, 2)) {
    case 0:
      return weft::partition::block(n, ranks);
    case 1: {
      std::vector<double> w(ranks);
      for (auto& x : w) x = double(d.between(0, 4));
      w[static_cast<std::size_t>(d.between(0, ranks - 1))] = 1;  // not all zero
      return weft::partition::weighted(n, w);
    }
    default: {
      std::vector<std::int64_t> sizes(ranks, 0);
      std::int64_t left = n;
      for (int r = 0; r + 1 < ranks; ++r) left -= sizes[r] = d.between(0, left);
      sizes[ranks - 1] = left;
      return weft::partition::from_sizes(sizes);
    }
  }
}

// How a case is saved.
enum class way { by_name, open_file, checkpoint };

template <class X, class Make>
void round_trip(const weft::communicator& comm, dice& d, const std::string& path, int index, Make make_loaded,
                const X& saved, std::uint64_t seed) {
  const way how = static_cast<way>(d.between(0, 2));
  const bool staged_save = d.coin(), staged_load = d.coin();
  {
    const staging mode(staged_save);
    switch (how) {
      case way::by_name:
        weft::save(path, "x", saved, {{"case", index}}, {.overwrite = true});
        break;
      case way::open_file: {
        weft::hdf5_file f(comm, path, weft::hdf5_file::create);
        weft::save(f, "g/x", saved, {{"case", index}});
        f.close();
        break;
      }
      case way::checkpoint: {
        weft::checkpoint_writer ckpt(comm, path, {.sync = false, .verify = d.coin()});
        ckpt.write("first", saved);
        ckpt.write("g/x", saved, {{"case", index}});
        ckpt.write_attribute("case", index);
        ckpt.commit();
      }
    }
  }
  const staging mode(staged_load);
  auto loaded = make_loaded();
  fill_pattern(loaded, seed + 1);
  weft::load(path, how == way::by_name ? "x" : "g/x", loaded);
  CAPTURE(index, static_cast<int>(how), staged_save, staged_load);
  REQUIRE(count_wrong(loaded, seed) == 0);
}

template <class T>
void one_case(const weft::communicator& comm, dice& d, const std::string& path, int index) {
  const int ranks = comm.size();
  const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(index);
  switch (d.between(0, 2)) {
    case 0: {
      const std::int64_t n = d.coin() ? d.between(0, 20) : d.between(21, 5000);
      weft::distributed_vector<T, memory> x(comm, vector_partition(d, n, ranks), weft::halo{int(d.between(0, 2))});
      fill_pattern(x, seed);
      const auto p = vector_partition(d, n, ranks);
      const int ghosts = int(d.between(0, 2));
      CAPTURE(n);
      round_trip(
          comm, d, path, index, [&] { return weft::distributed_vector<T, memory>(comm, p, weft::halo{ghosts}); }, x,
          seed);
      break;
    }
    case 1: {
      std::array<std::int64_t, 2> n{};
      const auto saving = grid_layout<2>(d, ranks, n, true);
      const auto loading = grid_layout<2>(d, ranks, n, false);
      dgrid<T, 2> g(comm, n, saving);
      fill_pattern(g, seed);
      CAPTURE(n[0], n[1], saving.halo, loading.halo);
      round_trip(
          comm, d, path, index, [&] { return dgrid<T, 2>(comm, n, loading); }, g, seed);
      break;
    }
    default: {
      std::array<std::int64_t, 3> n{};
      const auto saving = grid_layout<3>(d, ranks, n, true);
      const auto loading = grid_layout<3>(d, ranks, n, false);
      dgrid<T, 3> g(comm, n, saving);
      fill_pattern(g, seed);
      CAPTURE(n[0], n[1], n[2], saving.halo, loading.halo);
      round_trip(
          comm, d, path, index, [&] { return dgrid<T, 3>(comm, n, loading); }, g, seed);
    }
  }
}

}  // namespace

TEST_CASE("random save/load round trips come back bitwise", "[hdf5][fuzz]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int cases = env_int("WEFT_HDF5_FUZZ_CASES", 100);
  dice d{std::mt19937_64(static_cast<std::uint64_t>(env_int("WEFT_HDF5_FUZZ_SEED", 20261207)))};
  const std::string path = test_path("fuzz.h5");
  for (int k = 0; k < cases; ++k) {
    switch (d.between(0, 3)) {
      case 0:
        one_case<double>(comm, d, path, k);
        break;
      case 1:
        one_case<float>(comm, d, path, k);
        break;
      case 2:
        one_case<std::int64_t>(comm, d, path, k);
        break;
      default:
        one_case<Kokkos::complex<double>>(comm, d, path, k);
    }
  }
}
