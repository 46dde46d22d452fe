#pragma once
// Helpers for the weft::hdf5 tests: where files go, values that are a
// function of the global index (random bit patterns, so only a bitwise round
// trip passes), vectors and grids filled with them and checked, grid layouts
// to save with and load into, host staging on demand.

#include <weft/hdf5.hpp>

#include "distributed.hpp"

#include <mpi.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

// A plain struct stored as an HDF5 compound type (with padding at the end).
struct particle {
  double position[3];
  float mass;
  std::int32_t id;
  std::uint8_t flags;
};

template <>
struct weft::hdf5_members<particle> {
  static constexpr auto members =
      std::tuple{weft::hdf5_member{"position", &particle::position}, weft::hdf5_member{"mass", &particle::mass},
                 weft::hdf5_member{"id", &particle::id}, weft::hdf5_member{"flags", &particle::flags}};
};

namespace weft_test {

using memory = Kokkos::DefaultExecutionSpace::memory_space;
using value_types = std::tuple<float, double, std::int64_t, Kokkos::complex<double>, std::array<float, 3>, particle>;

// ---- Files ---------------------------------------------------------------

inline std::string test_dir() {
  const char* env = std::getenv("WEFT_TEST_DIR");
  static const std::string dir = env && *env ? env : "weft-hdf5-test-files";
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

inline std::string test_path(const std::string& name) { return test_dir() + "/" + name; }

// test_path(name), with whatever an earlier run left there removed.
inline std::string fresh_path(const std::string& name) {
  const std::string path = test_path(name);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) std::filesystem::remove_all(path);
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

// Leftover temporary files of checkpoints ("<path>.tmp.*").
inline int temporaries_of(const std::string& path) {
  int count = 0;
  const auto p = std::filesystem::path(path);
  for (const auto& entry : std::filesystem::directory_iterator(p.parent_path()))
    count += entry.path().filename().string().rfind(p.filename().string() + ".tmp.", 0) == 0;
  return count;
}

// ---- Values: a function of the global index, so any rank knows any value ----

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

template <class T>
T from_bits(std::uint64_t bits) {
  static_assert(sizeof(T) <= sizeof(bits));
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

// Random bit patterns: floats include NaNs with payloads, infinities,
// subnormals and negative zero, so only a bitwise round trip passes.
template <class T>
T value_at(std::int64_t i, std::uint64_t seed) {
  auto bits = [&](int k) { return mix(static_cast<std::uint64_t>(i) * 8 + k + seed * 0x100000001b3ull); };
  if constexpr (std::is_same_v<T, particle>) {
    particle p{};
    for (int d = 0; d < 3; ++d) p.position[d] = from_bits<double>(bits(d));
    p.mass = from_bits<float>(bits(3));
    p.id = from_bits<std::int32_t>(bits(4));
    p.flags = from_bits<std::uint8_t>(bits(5));
    return p;
  } else if constexpr (std::is_same_v<T, Kokkos::complex<double>>) {
    T c;
    c.real() = from_bits<double>(bits(0));
    c.imag() = from_bits<double>(bits(1));
    return c;
  } else if constexpr (std::is_same_v<T, std::array<float, 3>>) {
    return {from_bits<float>(bits(0)), from_bits<float>(bits(1)), from_bits<float>(bits(2))};
  } else {
    return from_bits<T>(bits(0));
  }
}

template <class T>
bool same_bits(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, particle>) {  // members only: padding is not data
    return std::memcmp(a.position, b.position, sizeof a.position) == 0 &&
           std::memcmp(&a.mass, &b.mass, sizeof a.mass) == 0 && a.id == b.id && a.flags == b.flags;
  } else {
    return std::memcmp(&a, &b, sizeof(T)) == 0;
  }
}

template <class T>
T sentinel() {
  return value_at<T>(-12345, 99);
}

inline std::int64_t sum_over(const weft::communicator& comm, std::int64_t mine) {
  std::int64_t total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT64_T, MPI_SUM, comm.native());
  return total;
}

// ---- Vectors ---------------------------------------------------------------

// Owned elements from value_at(global index, seed); ghosts the sentinel.
template <class T>
void fill_pattern(const weft::distributed_vector<T, memory>& x, std::uint64_t seed) {
  auto all = Kokkos::create_mirror_view(x.with_halo());
  for (std::size_t k = 0; k < all.extent(0); ++k) all(k) = sentinel<T>();
  for (std::int64_t i = 0; i < x.local_size(); ++i) all(x.halo_width() + i) = value_at<T>(x.offset() + i, seed);
  Kokkos::deep_copy(x.with_halo(), all);
}

// Elements, over all ranks, that are not what fill_pattern(x, seed) put there
// (ghosts must still hold the sentinel). The same count on every rank.
template <class T>
std::int64_t count_wrong(const weft::distributed_vector<T, memory>& x, std::uint64_t seed) {
  auto all = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x.with_halo());
  std::int64_t bad = 0;
  const std::int64_t g = x.halo_width();
  for (std::int64_t k = 0; k < static_cast<std::int64_t>(all.extent(0)); ++k) {
    const bool owned = k >= g && k < g + x.local_size();
    bad += !same_bits(all(k), owned ? value_at<T>(x.offset() + k - g, seed) : sentinel<T>());
  }
  return sum_over(x.comm(), bad);
}

// The partitions a restart may meet: test_partitions() (block, weighted,
// weighted with empty ranks, from_sizes), each tried against the next.
inline std::vector<named_partition> partitions(std::int64_t n, int ranks) { return test_partitions(n, ranks); }

// ---- Grids -----------------------------------------------------------------

template <class T, int R>
using dgrid = weft::distributed_grid<T, R, memory>;

template <class G>
std::int64_t global_index(const G& g, const std::array<std::int64_t, G::rank>& local) {
  std::int64_t at = 0;
  for (int d = 0; d < G::rank; ++d) at = at * g.global_extent(d) + g.offset(d) + local[d];
  return at;
}

// Calls f(storage point, interior point or nothing) over a grid's storage.
template <class G, class F>
void for_each_stored(const G& g, F f) {
  const auto& s = g.with_halo();
  const std::int64_t h = g.halo_width();
  auto inside = [&](std::int64_t k, int d) { return k >= h && k < h + g.local_extent(d); };
  if constexpr (G::rank == 2) {
    for (std::int64_t i = 0; i < std::int64_t(s.extent(0)); ++i)
      for (std::int64_t j = 0; j < std::int64_t(s.extent(1)); ++j)
        f(std::array<std::int64_t, 2>{i, j}, inside(i, 0) && inside(j, 1), std::array<std::int64_t, 2>{i - h, j - h});
  } else {
    for (std::int64_t i = 0; i < std::int64_t(s.extent(0)); ++i)
      for (std::int64_t j = 0; j < std::int64_t(s.extent(1)); ++j)
        for (std::int64_t k = 0; k < std::int64_t(s.extent(2)); ++k)
          f(std::array<std::int64_t, 3>{i, j, k}, inside(i, 0) && inside(j, 1) && inside(k, 2),
            std::array<std::int64_t, 3>{i - h, j - h, k - h});
  }
}

template <class V, std::size_t R>
auto& at(const V& v, const std::array<std::int64_t, R>& p) {
  if constexpr (R == 2)
    return v(p[0], p[1]);
  else
    return v(p[0], p[1], p[2]);
}

template <class T, int R>
void fill_pattern(const dgrid<T, R>& g, std::uint64_t seed) {
  auto all = Kokkos::create_mirror_view(g.with_halo());
  for_each_stored(g, [&](const auto& s, bool interior, const auto& p) {
    at(all, s) = interior ? value_at<T>(global_index(g, p), seed) : sentinel<T>();
  });
  Kokkos::deep_copy(g.with_halo(), all);
}

template <class T, int R>
std::int64_t count_wrong(const dgrid<T, R>& g, std::uint64_t seed) {
  auto all = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, g.with_halo());
  std::int64_t bad = 0;
  for_each_stored(g, [&](const auto& s, bool interior, const auto& p) {
    bad += !same_bits(at(all, s), interior ? value_at<T>(global_index(g, p), seed) : sentinel<T>());
  });
  return sum_over(g.comm(), bad);
}

// Grid layouts to save with and load into: halo widths, periodicity and
// process grids (MPI's choice, and all ranks along one dimension or another).
template <int R>
std::vector<weft::grid_options> grid_layouts(int ranks) {
  std::vector<weft::grid_options> out;
  out.push_back({.halo = 1, .periodic = {true, true, true}, .dims = {}});
  weft::grid_options a{.halo = 2, .periodic = {false, false, false}, .dims = {}};
  a.dims.fill(1);
  a.dims[0] = ranks;
  out.push_back(a);
  weft::grid_options b{.halo = 0, .periodic = {false, true, false}, .dims = {}};
  b.dims.fill(1);
  b.dims[R - 1] = ranks;
  out.push_back(b);
  return out;
}

// Blocks moved directly, or staged through a host buffer so small that they
// take many rounds, a different number on each rank (what device memory and
// grids with a halo get).
struct staging {
  explicit staging(bool on) {
    if (on) {
      setenv("WEFT_MPI_STAGING", "1", 1);
      setenv("WEFT_HDF5_STAGING_BYTES", "1000", 1);
    }
  }
  ~staging() {
    unsetenv("WEFT_MPI_STAGING");
    unsetenv("WEFT_HDF5_STAGING_BYTES");
  }
};

// Runs body(comm) on the first `ranks` ranks of MPI_COMM_WORLD only; the
// others wait at the barrier after it.
template <class Body>
void on_first_ranks(int ranks, Body body) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm sub = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank < ranks ? 0 : MPI_UNDEFINED, rank, &sub);
  if (sub != MPI_COMM_NULL) {
    {
      weft::communicator comm(sub);
      body(comm);
    }
    MPI_Comm_free(&sub);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace weft_test
