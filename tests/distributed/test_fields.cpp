// Distributed stencils as applications write them: 5-, 9- and 25-point
// stencils (and 7- and 27-point in 3-D) on grids built with default options
// at every boundary, cross stencils on grids that exchange faces only, box
// stencils refused there, and stencils over several fields of different
// types (grids and vectors), against sequential references at 1-4 ranks.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "spaces.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace weft_test;
using Catch::Matchers::ContainsSubstring;

namespace {

enum class bc_kind { periodic, constant, clamp, interior_only };
using ext3 = std::array<std::int64_t, 3>;

KOKKOS_INLINE_FUNCTION double weight(int a, int b, int c) { return 1.0 + 0.3 * a - 0.2 * b + 0.1 * c + 0.05 * a * b; }

template <class Nb>
KOKKOS_INLINE_FUNCTION auto read(const Nb& nb, int a, int b, int c) {
  if constexpr (Nb::rank == 1) return nb(a);
  else if constexpr (Nb::rank == 2) return nb(a, b);
  else return nb(a, b, c);
}

// The box (or cross) of radius r over the first field; with two fields, a
// shared centre product and a difference of the second; with three, the
// third's centre too. The reference below computes the same.
template <int R>
struct coupled {
  int r;
  bool cross;
  template <class A>
  KOKKOS_INLINE_FUNCTION double box(const A& a) const {
    double s = 0;
    const int rb = R >= 2 ? r : 0, rc = R >= 3 ? r : 0;
    for (int i = -r; i <= r; ++i)
      for (int j = -rb; j <= rb; ++j)
        for (int k = -rc; k <= rc; ++k)
          if (!cross || (i != 0) + (j != 0) + (k != 0) <= 1) s += weight(i, j, k) * read(a, i, j, k);
    return s;
  }
  template <class A>
  KOKKOS_INLINE_FUNCTION double operator()(const A& a) const {
    return box(a);
  }
  template <class A, class B>
  KOKKOS_INLINE_FUNCTION weft::values<double, float> operator()(const A& a, const B& b) const {
    const double shared = read(a, 0, 0, 0) * read(b, 0, 0, 0);
    return weft::values{box(a) + shared, static_cast<float>(read(b, 1, 0, 0) - read(b, -1, 0, 0) - shared)};
  }
  template <class A, class B, class C>
  KOKKOS_INLINE_FUNCTION auto operator()(const A& a, const B& b, const C& c) const {
    const double shared = read(a, 0, 0, 0) * read(b, 0, 0, 0);
    return weft::values{box(a) + shared, static_cast<float>(read(b, 1, 0, 0) - shared),
                        static_cast<int>(read(c, 0, 0, 0) * 2 + read(c, 1, 0, 0))};
  }
};

// Where the point is: its global index less its index in the block, which
// must be the block's offset; and a coefficient read there with weft::at.
template <class Coefficient>
struct where {
  Coefficient coefficient;
  template <class Nb>
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    const auto global = nb.index(), local = nb.local_index();
    return 1000.0 * double(global[0] - local[0]) + double(global[1] - local[1]) +
           0.5 * weft::at(coefficient, local);
  }
};

template <class T>
T ref_read(int rank, const ext3& n, const std::vector<T>& in, ext3 q, const std::array<bool, 3>& periodic,
           bc_kind kind, double constant) {
  for (int d = 0; d < rank; ++d) {
    if (q[d] >= 0 && q[d] < n[d]) continue;
    if (periodic[d] || kind == bc_kind::periodic) q[d] = ((q[d] % n[d]) + n[d]) % n[d];
    else if (kind == bc_kind::clamp) q[d] = q[d] < 0 ? 0 : n[d] - 1;
    else return static_cast<T>(constant);
  }
  return in[(q[0] * n[1] + q[1]) * n[2] + q[2]];
}

struct fields3 {
  std::vector<double> a;
  std::vector<float> b;
  std::vector<int> c;
};

fields3 reference(int rank, const ext3& n, int r, bool cross, const std::array<bool, 3>& periodic, bc_kind kind,
                  double constant, int count, const fields3& in, fields3 out) {
  const int rb = rank >= 2 ? r : 0, rc = rank >= 3 ? r : 0;
  for (std::int64_t i = 0; i < n[0]; ++i)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t k = 0; k < n[2]; ++k) {
        const ext3 p{i, j, k};
        bool skip = false;
        for (int d = 0; d < rank; ++d)
          skip = skip || (kind == bc_kind::interior_only && !periodic[d] && (p[d] < r || p[d] >= n[d] - r));
        if (skip) continue;
        const std::int64_t at = (i * n[1] + j) * n[2] + k;
        auto A = [&](int x, int y, int z) { return ref_read(rank, n, in.a, {i + x, j + y, k + z}, periodic, kind, constant); };
        double box = 0;
        for (int x = -r; x <= r; ++x)
          for (int y = -rb; y <= rb; ++y)
            for (int z = -rc; z <= rc; ++z)
              if (!cross || (x != 0) + (y != 0) + (z != 0) <= 1) box += weight(x, y, z) * A(x, y, z);
        if (count == 1) {
          out.a[at] = box;
          continue;
        }
        auto B = [&](int x) { return ref_read(rank, n, in.b, {i + x, j, k}, periodic, kind, constant); };
        const double shared = A(0, 0, 0) * B(0);
        out.a[at] = box + shared;
        if (count == 2) {
          out.b[at] = static_cast<float>(B(1) - B(-1) - shared);
        } else {
          auto C = [&](int x) { return ref_read(rank, n, in.c, {i + x, j, k}, periodic, kind, constant); };
          out.b[at] = static_cast<float>(B(1) - shared);
          out.c[at] = static_cast<int>(C(0) * 2 + C(1));
        }
      }
  return out;
}

template <class G, class T>
void fill_grid(const G& g, const std::vector<T>& field) {
  weft::scatter(g.comm().rank() == 0 ? field : std::vector<T>{}, g, 0);
}

template <class Exec, int R>
void check_grids(const weft::communicator& comm, const ext3& n3, const weft::grid_options& opt, weft::reach reach,
                 bc_kind kind, int count) {
  using M = typename Exec::memory_space;
  CAPTURE(R, n3[0], n3[1], n3[2], opt.halo, int(opt.shape), reach.radius, int(reach.shape), int(kind), count);
  std::array<std::int64_t, R> n;
  for (int d = 0; d < R; ++d) n[d] = n3[d];
  const std::int64_t size = n3[0] * n3[1] * n3[2];
  fields3 in{random_vector<double>(size, 40 + size), std::vector<float>(size), std::vector<int>(size)};
  for (std::int64_t i = 0; i < size; ++i) {
    in.b[i] = static_cast<float>(in.a[(i * 5) % size]);
    in.c[i] = static_cast<int>((i * 11) % 23) - 11;
  }
  const fields3 before{std::vector<double>(size, -1), std::vector<float>(size, -2), std::vector<int>(size, -3)};
  weft::distributed_grid<double, R, M> a(comm, n, opt), o1(comm, n, {.halo = 0});
  weft::grid_options wide = opt;
  wide.halo = opt.halo + 1;  // a different halo width: the inputs' storage shifts differ
  weft::distributed_grid<float, R, M> b(comm, n, wide), o2(comm, n, {.halo = 0});
  weft::distributed_grid<int, R, M> c(comm, n, opt), o3(comm, n, {.halo = 2});
  fill_grid(a, in.a);
  fill_grid(b, in.b);
  fill_grid(c, in.c);
  fill_grid(o1, before.a);
  fill_grid(o2, before.b);
  fill_grid(o3, before.c);
  const coupled<R> f{reach.radius, reach.shape == weft::stencil_shape::cross};
  const double constant = -0.5;
  auto run = [&](const auto& bc) {
    if (count == 1) weft::stencil(Exec{}, a, o1, reach, bc, f);
    else if (count == 2) weft::stencil(Exec{}, weft::fields(a, b), weft::fields(o1, o2), reach, bc, f);
    else weft::stencil(weft::fields(a, b, c), weft::fields(o1, o2, o3), reach, bc, f);
  };
  switch (kind) {
    case bc_kind::periodic: run(weft::periodic{}); break;
    case bc_kind::clamp: run(weft::clamp{}); break;
    case bc_kind::constant: run(weft::constant{constant}); break;
    case bc_kind::interior_only: run(weft::interior_only{}); break;
  }
  const auto expected = reference(R, n3, reach.radius, f.cross, opt.periodic, kind, constant, count, in, before);
  const auto got1 = weft::gather(o1, 0);
  const auto got2 = weft::gather(o2, 0);
  const auto got3 = weft::gather(o3, 0);
  std::int64_t wrong = 0;
  if (comm.rank() == 0) {
    for (std::int64_t i = 0; i < size; ++i) {
      wrong += std::abs(got1[i] - expected.a[i]) > 1e-12 * (1 + std::abs(expected.a[i]));
      wrong += std::abs(got2[i] - expected.b[i]) > 1e-5f * (1 + std::abs(expected.b[i]));
      wrong += got3[i] != expected.c[i];
    }
  }
  MPI_Bcast(&wrong, 1, MPI_INT64_T, 0, comm.native());
  CHECK(wrong == 0);
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("box stencils on grids with default options: 9 and 25 points, 27 in 3-D",
                        "[grid][stencil][fields][distributed]", enabled_spaces) {
  using Exec = TestType;
  weft::communicator comm(MPI_COMM_WORLD);
  // Default options: halo 1, box shape. Radius 2 needs a halo of 2.
  for (const bc_kind kind : {bc_kind::constant, bc_kind::clamp, bc_kind::interior_only}) {
    check_grids<Exec, 2>(comm, {37, 29, 1}, weft::grid_options{}, 1, kind, 1);        // 9 points
    check_grids<Exec, 2>(comm, {37, 29, 1}, {.halo = 2}, weft::box(2), kind, 1);      // 25 points
    check_grids<Exec, 2>(comm, {37, 29, 1}, weft::grid_options{}, weft::cross(1), kind, 1);  // 5 points
    check_grids<Exec, 3>(comm, {11, 9, 7}, weft::grid_options{}, 1, kind, 1);         // 27 points
    check_grids<Exec, 3>(comm, {11, 9, 7}, weft::grid_options{}, weft::cross(1), kind, 1);   // 7 points
  }
  const weft::grid_options periodic{.halo = 2, .periodic = {true, true, true}};
  check_grids<Exec, 2>(comm, {37, 29, 1}, periodic, weft::box(2), bc_kind::periodic, 1);
  check_grids<Exec, 3>(comm, {11, 9, 7}, periodic, 1, bc_kind::periodic, 1);
}

TEMPLATE_LIST_TEST_CASE("cross and box stencils on grids that exchange faces only by default",
                        "[grid][stencil][fields][distributed]", enabled_spaces) {
  using Exec = TestType;
  weft::communicator comm(MPI_COMM_WORLD);
  const weft::grid_options faces{.halo = 2, .shape = weft::stencil_shape::cross};
  for (const bc_kind kind : {bc_kind::constant, bc_kind::clamp}) {
    check_grids<Exec, 2>(comm, {23, 31, 1}, faces, weft::cross(2), kind, 1);
    check_grids<Exec, 3>(comm, {9, 8, 10}, faces, weft::cross(1), kind, 1);
  }
  // A box stencil runs there too: its exchange fills the edges and corners
  // it reads, whatever the grid's default shape.
  for (const bc_kind kind : {bc_kind::constant, bc_kind::clamp}) {
    check_grids<Exec, 2>(comm, {23, 31, 1}, faces, weft::box(2), kind, 1);
    check_grids<Exec, 3>(comm, {9, 8, 10}, faces, 1, kind, 1);
  }
}

TEMPLATE_LIST_TEST_CASE("stencils over two and three fields of different types on grids",
                        "[grid][stencil][fields][distributed]", enabled_spaces) {
  using Exec = TestType;
  weft::communicator comm(MPI_COMM_WORLD);
  for (const int count : {2, 3})
    for (const bc_kind kind : {bc_kind::constant, bc_kind::clamp, bc_kind::interior_only}) {
      check_grids<Exec, 2>(comm, {29, 17, 1}, weft::grid_options{}, 1, kind, count);
      check_grids<Exec, 3>(comm, {9, 10, 8}, weft::grid_options{}, 1, kind, count);
      check_grids<Exec, 2>(comm, {29, 17, 1}, {.halo = 2}, weft::cross(2), kind, count);
    }
  check_grids<Exec, 2>(comm, {29, 17, 1}, {.halo = 1, .periodic = {true, true}}, 1, bc_kind::periodic, 3);
}

TEMPLATE_LIST_TEST_CASE("stencils over two fields of distributed vectors", "[stencil][fields][distributed]",
                        enabled_spaces) {
  using M = typename TestType::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = 1009;
  const auto a = random_vector<double>(n, 50);
  std::vector<float> b(n);
  for (std::int64_t i = 0; i < n; ++i) b[i] = static_cast<float>(a[(i * 3) % n]);
  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name);
    auto x = make_vector<double, M>(comm, p, a, 2);
    auto y = make_vector<float, M>(comm, p, b, 1);
    weft::distributed_vector<double, M> o1(comm, p);
    weft::distributed_vector<float, M> o2(comm, p);
    weft::stencil(weft::fields(x, y), weft::fields(o1, o2), 1, weft::periodic{}, coupled<1>{1, false});
    const auto expected = reference(1, {n, 1, 1}, 1, false, {false, false, false}, bc_kind::periodic, 0, 2,
                                    fields3{a, b, std::vector<int>(n)},
                                    fields3{std::vector<double>(n), std::vector<float>(n), std::vector<int>(n)});
    const auto got1 = weft::all_gather(o1);
    const auto got2 = weft::all_gather(o2);
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      wrong += std::abs(got1[i] - expected.a[i]) > 1e-12 * (1 + std::abs(expected.a[i]));
      wrong += std::abs(got2[i] - expected.b[i]) > 1e-5f * (1 + std::abs(expected.b[i]));
    }
    CHECK(wrong == 0);
    // An input with too few ghosts, or an output that is an input: every rank throws.
    CHECK_THROWS_WITH(weft::stencil(weft::fields(x, y), weft::fields(o1, o2), 2, weft::periodic{}, coupled<1>{2, false}),
                      ContainsSubstring("radius 2 needs 2 ghost cells but the input has 1"));
    CHECK_THROWS_WITH(weft::stencil(weft::fields(x, y), weft::fields(o1, y), 1, weft::periodic{}, coupled<1>{1, false}),
                      ContainsSubstring("an input and an output are the same vector"));
  }
}

TEMPLATE_LIST_TEST_CASE("nb.index() is global on grids, nb.local_index() the point in the block",
                        "[grid][stencil][fields][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  weft::distributed_grid<double, 2, M> u(comm, {21, 19}), v(comm, {21, 19}), c(comm, {21, 19}, {.halo = 0});
  weft::fill(c, 4.0);
  auto coefficient = c.local();
  weft::stencil(Exec{}, u, v, 0, weft::clamp{}, where<decltype(coefficient)>{coefficient});
  Kokkos::fence();
  const double expected = 1000.0 * double(v.offset(0)) + double(v.offset(1)) + 2.0;
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v.local());
  int wrong = 0;
  for (std::size_t i = 0; i < host.extent(0); ++i)
    for (std::size_t j = 0; j < host.extent(1); ++j) wrong += host(i, j) != expected;
  CHECK(wrong == 0);
}
