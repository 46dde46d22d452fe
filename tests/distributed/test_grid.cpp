// distributed_grid: Cartesian layout, halo exchange (box or cross shape,
// every boundary, periodic or not per dimension), the algorithms and the
// distributed stencils in 2-D and 3-D, against sequential references on the
// global field, at 1 to 4 ranks.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "grids.hpp"
#include "spaces.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

using namespace weft_test;

TEMPLATE_LIST_TEST_CASE("grid layout follows the Cartesian process grid", "[grid][distributed]", enabled_spaces) {
  using M = typename TestType::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n0 = grown(13, comm.size()), n1 = grown(7, comm.size());
  weft::distributed_grid<double, 2, M> g(comm, {n0, n1}, {.halo = 2});
  CHECK(g.dims()[0] * g.dims()[1] == comm.size());
  std::int64_t cells = g.local_extent(0) * g.local_extent(1);
  std::int64_t total = 0;
  MPI_Allreduce(&cells, &total, 1, MPI_INT64_T, MPI_SUM, comm.native());
  CHECK(total == n0 * n1);
  CHECK(g.with_halo().extent(0) == std::size_t(g.local_extent(0) + 4));
  CHECK(g.local().extent(1) == std::size_t(g.local_extent(1)));
  for (int d = 0; d < 2; ++d) CHECK(g.offset(d) == g.split(d).offset(g.coords()[d]));

  weft::distributed_grid<float, 3, M> h(comm, {5, grown(6, comm.size()), grown(7, comm.size())},
                                        {.halo = 1, .dims = {1, 0, 0}});
  CHECK(h.dims()[0] == 1);
  CHECK(h.dims()[0] * h.dims()[1] * h.dims()[2] == comm.size());
}

TEMPLATE_LIST_TEST_CASE("grids on one layout share its communicator and equal grids built alone",
                        "[grid][layout][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const ext<3> n{grown(9, comm.size()), grown(7, comm.size()), grown(5, comm.size())};
  const weft::grid_options opt{.halo = 2, .periodic = {true, false, false}};
  const weft::grid_layout<3> layout(comm, n, opt);
  CHECK(layout.halo_width() == 2);
  CHECK(layout.dims()[0] * layout.dims()[1] * layout.dims()[2] == comm.size());

  // Many fields on the layout: one communicator among them, the layout's.
  std::vector<weft::distributed_grid<double, 3, M>> fields;
  for (int k = 0; k < 20; ++k) fields.emplace_back(layout);
  for (const auto& f : fields) {
    CHECK(f.comm().native() == layout.comm().native());
    CHECK(f.layout().is(layout));
    CHECK(f.same_layout(fields.front()));
    CHECK(f.same_data(fields.front()) == (&f == &fields.front()));
  }
  // A grid built alone makes its own communicator, on the same layout.
  weft::distributed_grid<double, 3, M> alone(comm, n, opt);
  CHECK(alone.comm().native() != layout.comm().native());
  CHECK_FALSE(alone.layout().is(layout));
  CHECK(alone.same_layout(fields.front()));
  for (int d = 0; d < 3; ++d) {
    CHECK(alone.local_extent(d) == fields.front().local_extent(d));
    CHECK(alone.offset(d) == layout.offset(d));
  }
  // Fields on the layout exchange halos as a grid built alone does, each
  // with its own data.
  const auto field = random_vector<double>(volume<3>(n), 902), other = random_vector<double>(volume<3>(n), 903);
  fill_from(fields[0], field);
  fill_from(fields[1], other);
  fill_from(alone, field);
  for (auto* g : {&fields[0], &fields[1], &alone}) g->exchange_halo(Exec{}, weft::constant{-3.0});
  // The layout built the plans for that exchange once, for both fields:
  // the others' first exchanges build none.
  const auto plans_built = weft::detail::halo_access::plans_built(layout);
  CHECK(plans_built > 0);
  for (const auto& f : fields) f.exchange_halo(Exec{}, weft::constant{-3.0});
  CHECK(weft::detail::halo_access::plans_built(layout) == plans_built);
  CHECK(weft::detail::halo_access::plans_built(alone.layout()) == plans_built);
  CHECK(wrong_halo_cells(fields[0], field, bc_kind::constant, -3.0) == 0);
  CHECK(wrong_halo_cells(fields[1], other, bc_kind::constant, -3.0) == 0);
  CHECK(wrong_halo_cells(alone, field, bc_kind::constant, -3.0) == 0);
  // And the same answers from the algorithms and stencils.
  CHECK(weft::reduce(Exec{}, fields[0], 0.0, weft::reproducible_plus{}) ==
        weft::reduce(Exec{}, alone, 0.0, weft::reproducible_plus{}));
  // A 2-D layout from splits, and its checks: a bad layout throws on every rank.
  const weft::grid_layout<2> from_splits(
      comm, {weft::partition::block(grown(11, comm.size()), comm.size()), weft::partition::block(4, 1)});
  weft::distributed_grid<float, 2, M> flat(from_splits);
  CHECK(flat.dims()[0] == comm.size());
  CHECK(flat.comm().native() == from_splits.comm().native());
  CHECK_THROWS_WITH(weft::grid_layout<2>(comm, {grown(4, comm.size()), 4}, {.halo = -1}),
                    Catch::Matchers::ContainsSubstring("negative halo width"));
}

TEMPLATE_LIST_TEST_CASE("grid halo exchange: faces, corners, every boundary", "[grid][halo][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const auto shape = GENERATE(weft::stencil_shape::cross, weft::stencil_shape::box);
  const int halo = GENERATE(1, 2);
  const int periodic_mask = GENERATE(0, 1, 2, 3);
  const std::array<bool, 3> periodic{(periodic_mask & 1) != 0, (periodic_mask & 2) != 0, false};
  const weft::grid_options opt{.halo = halo, .periodic = periodic, .shape = shape};
  CAPTURE(int(shape), halo, periodic_mask);

  SECTION("2-D, uneven extents") {
    const ext<2> n{grown(11, comm.size()), grown(9, comm.size())};
    const auto field = random_vector<double>(volume<2>(n), 900);
    weft::distributed_grid<double, 2, M> g(comm, n, opt);
    fill_from(g, field);
    g.exchange_halo(Exec{}, weft::constant{-1.5});
    CHECK(wrong_halo_cells(g, field, bc_kind::constant, -1.5) == 0);
    g.exchange_halo(Exec{}, weft::clamp{});
    CHECK(wrong_halo_cells(g, field, bc_kind::clamp, 0) == 0);
    // Each message is one face, edge or corner of the halo: a box of the
    // storage on both sides, sent and received in place from host memory.
    // (Clamped ghosts repeat their source, which is then no box.)
    const auto plan = g.describe_halo(weft::constant{0.0});
    if (plan.direct && Kokkos::SpaceAccessibility<Kokkos::HostSpace, M>::accessible)
      CHECK(plan.messages_unbuffered == plan.messages_sent + plan.messages_received);
    if (periodic_mask == 3) {
      auto pending = g.start_halo_exchange(Exec{}, weft::periodic{});
      pending.wait();
      CHECK(wrong_halo_cells(g, field, bc_kind::periodic, 0) == 0);
    } else {
      CHECK_THROWS_WITH(g.exchange_halo(Exec{}, weft::periodic{}), Catch::Matchers::ContainsSubstring("not periodic"));
    }
  }
  SECTION("3-D, uneven extents") {
    const ext<3> n{grown(7, comm.size()), grown(6, comm.size()), grown(5, comm.size())};
    const auto field = random_vector<double>(volume<3>(n), 901);
    weft::distributed_grid<double, 3, M> g(comm, n, opt);
    fill_from(g, field);
    g.exchange_halo(Exec{}, weft::constant{2.0});
    CHECK(wrong_halo_cells(g, field, bc_kind::constant, 2.0) == 0);
    g.exchange_halo(Exec{}, weft::clamp{});
    CHECK(wrong_halo_cells(g, field, bc_kind::clamp, 0) == 0);
    // Each message is one face, edge or corner of the halo: a box of the
    // storage on both sides, sent and received in place from host memory.
    // (Clamped ghosts repeat their source, which is then no box.)
    const auto plan = g.describe_halo(weft::constant{0.0});
    if (plan.direct && Kokkos::SpaceAccessibility<Kokkos::HostSpace, M>::accessible)
      CHECK(plan.messages_unbuffered == plan.messages_sent + plan.messages_received);
  }
}

TEMPLATE_LIST_TEST_CASE("grid halo exchange: the shape chosen per call", "[grid][halo][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const auto default_shape = GENERATE(weft::stencil_shape::cross, weft::stencil_shape::box);
  const int periodic_mask = GENERATE(0, 3);
  const weft::grid_options opt{
      .halo = 2, .periodic = {(periodic_mask & 1) != 0, (periodic_mask & 2) != 0, false}, .shape = default_shape};
  CAPTURE(int(default_shape), periodic_mask);
  const ext<2> n{grown(10, comm.size()), grown(13, comm.size())};
  const auto field = random_vector<double>(volume<2>(n), 904);
  weft::distributed_grid<double, 2, M> g(comm, n, opt);
  fill_from(g, field);
  // Corners from a box exchange on any grid; then a cross exchange leaves
  // the corners as they were (the box's values), and fills the faces anew.
  g.exchange_halo(Exec{}, weft::constant{-2.0}, weft::stencil_shape::box);
  CHECK(wrong_halo_cells(g, field, bc_kind::constant, -2.0, weft::stencil_shape::box) == 0);
  auto with_halo = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, g.with_halo());
  const double corner_before = with_halo(0, 0);
  g.exchange_halo(Exec{}, weft::clamp{}, weft::stencil_shape::cross);
  CHECK(wrong_halo_cells(g, field, bc_kind::clamp, 0, weft::stencil_shape::cross) == 0);
  with_halo = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, g.with_halo());
  CHECK(with_halo(0, 0) == corner_before);
  // Split phase with a shape, and the default shape when none is given.
  g.start_halo_exchange(Exec{}, weft::clamp{}, weft::stencil_shape::box).wait();
  CHECK(wrong_halo_cells(g, field, bc_kind::clamp, 0, weft::stencil_shape::box) == 0);
  g.exchange_halo(Exec{}, weft::constant{4.0});
  CHECK(wrong_halo_cells(g, field, bc_kind::constant, 4.0, default_shape) == 0);
  // A cross moves no more than a box: its faces are the box's faces.
  const auto cross = g.describe_halo(weft::constant{0.0}, weft::stencil_shape::cross);
  const auto box = g.describe_halo(weft::constant{0.0}, weft::stencil_shape::box);
  CHECK(cross.messages_sent <= box.messages_sent);
  CHECK(cross.elements_sent <= box.elements_sent);
  CHECK(cross.remote_faces == box.remote_faces);
  // Every rank must pass the same shape: a rank that differs is caught
  // before any message moves, and (at a grid's first exchange, settled
  // across all ranks) every rank throws.
  if (comm.size() > 1) {
    const weft::distributed_grid<double, 2, M> fresh(g.layout());
    const auto mine = comm.rank() == 0 ? weft::stencil_shape::box : weft::stencil_shape::cross;
    CHECK_THROWS_WITH(fresh.exchange_halo(Exec{}, weft::constant{0.0}, mine),
                      Catch::Matchers::ContainsSubstring("halo shape"));
  }
}

TEMPLATE_LIST_TEST_CASE("algorithms on grids equal the sequential ones", "[grid][algorithms][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const Exec exec{};
  const ext<2> n{grown(GENERATE(as<std::int64_t>{}, 4, 17), comm.size()), 13};
  auto field = random_vector<double>(volume<2>(n), 910 + n[0]);
  field[volume<2>(n) - 1] = *std::max_element(field.begin(), field.end());  // a tie, later in row-major order
  const auto other = random_vector<double>(volume<2>(n), 911 + n[0]);
  weft::distributed_grid<double, 2, M> a(comm, n), b(comm, n, {.halo = 0}), c(comm, n);
  fill_from(a, field);
  fill_from(b, other);

  long double sum = 0, dot = 0, mag = 0;
  for (std::size_t i = 0; i < field.size(); ++i) {
    sum += field[i];
    dot += static_cast<long double>(field[i]) * other[i];
    mag += std::abs(field[i]) + std::abs(field[i] * other[i]);
  }
  const double tol = sum_tolerance<double>(field.size(), static_cast<double>(mag));
  CHECK(std::abs(weft::reduce(exec, a) - static_cast<double>(sum)) <= tol);
  CHECK(std::abs(weft::transform_reduce(exec, a, b, 0.0, weft::plus{}, weft::multiplies{}) - static_cast<double>(dot)) <= tol);
  CHECK(weft::reduce(a, -10.0, weft::maximum{}) == *std::max_element(field.begin(), field.end()));

  const auto max_it = std::max_element(field.begin(), field.end());
  const auto min_it = std::min_element(field.begin(), field.end());
  const auto hi = weft::max_loc(exec, a);
  const auto lo = weft::min_loc(a);
  CHECK(hi.value == *max_it);
  CHECK(hi.index[0] * n[1] + hi.index[1] == max_it - field.begin());
  CHECK(lo.value == *min_it);
  CHECK(lo.index[0] * n[1] + lo.index[1] == min_it - field.begin());

  weft::transform(exec, a, b, c, KOKKOS_LAMBDA(double u, double v) { return u - 2 * v; });
  weft::for_each(exec, c, KOKKOS_LAMBDA(double& u) { u *= 0.5; });
  std::vector<double> expected(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) expected[i] = (field[i] - 2 * other[i]) * 0.5;
  const auto got = weft::gather(c, 0);
  if (comm.rank() == 0) CHECK(got == expected);
  else CHECK(got.empty());

  weft::for_each_index(exec, c, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& u) { u = 100.0 * i + j; });
  weft::copy(exec, c, a);
  const auto indices = weft::gather(a, comm.size() - 1);
  if (comm.rank() == comm.size() - 1)
    for (std::int64_t i = 0; i < n[0]; ++i)
      for (std::int64_t j = 0; j < n[1]; ++j) CHECK(indices[i * n[1] + j] == 100.0 * i + j);
  weft::fill(exec, a, 1.0);
  CHECK(weft::reduce(a) == static_cast<double>(volume<2>(n)));
}

TEMPLATE_LIST_TEST_CASE("scatter and gather of whole grids are inverse", "[grid][movement][distributed]",
                        enabled_spaces) {
  using M = typename TestType::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const int root = comm.size() - 1;

  SECTION("2-D, uneven extents, with a halo that scatter leaves alone") {
    const ext<2> n{grown(GENERATE(as<std::int64_t>{}, 4, 11), comm.size()), 7};
    const auto field = random_vector<double>(volume<2>(n), 940 + n[0]);
    weft::distributed_grid<double, 2, M> g(comm, n, {.halo = 1});
    Kokkos::deep_copy(g.with_halo(), -3.0);
    weft::scatter(comm.rank() == root ? field : std::vector<double>{}, g, root);
    // Each block holds its part of the field, read back point by point.
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, g.with_halo());
    int wrong = 0;
    for (std::int64_t i = 0; i < g.local_extent(0) + 2; ++i)
      for (std::int64_t j = 0; j < g.local_extent(1) + 2; ++j) {
        const bool inside = i >= 1 && i <= g.local_extent(0) && j >= 1 && j <= g.local_extent(1);
        const double expected =
            inside ? field[linear<2>(n, {g.offset(0) + i - 1, g.offset(1) + j - 1})] : -3.0;
        wrong += host(i, j) != expected;
      }
    CHECK(wrong == 0);
    const auto back = weft::gather(g, 0);
    if (comm.rank() == 0) CHECK(back == field);
  }
  SECTION("3-D, uneven extents, float") {
    const ext<3> n{grown(5, comm.size()), grown(3, comm.size()), grown(7, comm.size())};
    const auto field = random_vector<float>(volume<3>(n), 941);
    weft::distributed_grid<float, 3, M> g(comm, n, {.halo = 0});
    weft::scatter(comm.rank() == 0 ? field : std::vector<float>{}, g);
    const auto back = weft::gather(g, root);
    if (comm.rank() == root) CHECK(back == field);
    else CHECK(back.empty());
  }
  SECTION("root's field of the wrong size throws on every rank, a bad root too") {
    const std::int64_t n0 = grown(6, comm.size()), n1 = grown(5, comm.size());
    weft::distributed_grid<double, 2, M> g(comm, {n0, n1});
    const std::vector<double> short_field(static_cast<std::size_t>(n0 * n1 - 1), 1.0);
    CHECK_THROWS_WITH(weft::scatter(comm.rank() == 0 ? short_field : std::vector<double>{}, g, 0),
                      Catch::Matchers::ContainsSubstring("weft::scatter"));
    CHECK_THROWS_WITH(weft::scatter(std::vector<double>{}, g, comm.size()),
                      Catch::Matchers::ContainsSubstring("root"));
    CHECK(weft::reduce(g, 2.0) == 2.0);  // still in step
  }
}

TEMPLATE_LIST_TEST_CASE("distributed grid stencils equal the sequential ones", "[grid][stencil][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const int r = GENERATE(1, 2);
  const int periodic_mask = GENERATE(0, 3);
  // Box stencils read diagonals and need the grid's default (box) halo;
  // cross stencils (5-, 7-point and wider) say weft::cross(r) and run on a
  // cross grid, which exchanges faces only, or on a box one.
  const int variant = GENERATE(0, 1, 2);  // box on box; cross on cross; cross on box
  const bool cross = variant > 0;
  const auto shape = variant == 1 ? weft::stencil_shape::cross : weft::stencil_shape::box;
  const weft::reach reach = cross ? weft::cross(r) : weft::box(r);
  const std::array<bool, 3> periodic{(periodic_mask & 1) != 0, (periodic_mask & 2) != 0, (periodic_mask & 2) != 0};
  const weft::grid_options opt{.halo = r, .periodic = periodic, .shape = shape};
  CAPTURE(r, periodic_mask, variant);

  auto run = [&](auto rank_tag, const auto& bc, bc_kind kind, double constant, bool interior_only) {
    constexpr int R = decltype(rank_tag)::value;
    using grid_type = weft::distributed_grid<double, R, M>;
    using named_type = typename grid_type::template neighbourhood<std::remove_cvref_t<decltype(bc)>>;
    ext<R> n;
    const int p = comm.size();
    if constexpr (R == 2) n = {grown(13, p), grown(10, p)};
    else n = {grown(6, p), grown(7, p), grown(5, p)};
    const auto field = random_vector<double>(volume<R>(n), 920 + 10 * R + r);
    const auto before = random_vector<double>(volume<R>(n), 921 + 10 * R + r);
    const weighted_grid_stencil<R> f{r, cross};
    for (const bool named : {false, true}) {
      CAPTURE(R, named);
      grid_type in(comm, n, opt), out(comm, n, {.halo = 0});
      fill_from(in, field);
      fill_from(out, before);
      if (named) weft::stencil(Exec{}, in, out, reach, bc, weighted_grid_stencil_named<R, named_type>{f});
      else weft::stencil(Exec{}, in, out, reach, bc, f);
      const auto expected = reference_stencil<R>(field, n, r, cross, periodic, kind, constant, interior_only, before);
      const auto got = weft::gather(out, 0);
      if (comm.rank() == 0) {
        int wrong = 0;
        for (std::size_t i = 0; i < got.size(); ++i)
          wrong += std::abs(got[i] - expected[i]) > 1e-11 * (1 + std::abs(expected[i]));
        CHECK(wrong == 0);
      }
    }
  };
  using two = std::integral_constant<int, 2>;
  using three = std::integral_constant<int, 3>;
  SECTION("constant") {
    run(two{}, weft::constant{0.75}, bc_kind::constant, 0.75, false);
    run(three{}, weft::constant{0.75}, bc_kind::constant, 0.75, false);
  }
  SECTION("clamp") {
    run(two{}, weft::clamp{}, bc_kind::clamp, 0, false);
    run(three{}, weft::clamp{}, bc_kind::clamp, 0, false);
  }
  SECTION("interior_only") {
    run(two{}, weft::interior_only{}, bc_kind::constant, 0, true);
    run(three{}, weft::interior_only{}, bc_kind::constant, 0, true);
  }
  SECTION("periodic (a grid periodic in every dimension)") {
    if (periodic_mask == 3) {
      run(two{}, weft::periodic{}, bc_kind::periodic, 0, false);
      run(three{}, weft::periodic{}, bc_kind::periodic, 0, false);
    }
  }
}

TEST_CASE("grids reject bad layouts on every rank", "[grid][errors][distributed]") {
  using Catch::Matchers::ContainsSubstring;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  if (size > 1) {
    CHECK_THROWS_WITH((weft::distributed_grid<double, 2>(comm, {1, 1})), ContainsSubstring("is smaller than the"));
  }
  CHECK_THROWS_WITH((weft::distributed_grid<double, 2>(comm, {4 * size, 4}, {.halo = 5, .periodic = {true, true}})),
                    ContainsSubstring("halo 5 is wider than the smallest block"));
  CHECK_THROWS_WITH((weft::distributed_grid<double, 2>(comm, {8, 8}, {.halo = -1})), ContainsSubstring("negative halo"));
  weft::distributed_grid<double, 2> a(comm, {8 * size, 9}), b(comm, {8 * size, 10});
  const grid_centre centre;
  CHECK_THROWS_WITH(weft::stencil(a, b, 1, weft::clamp{}, centre), ContainsSubstring("laid out differently"));
  weft::distributed_grid<double, 2> c(comm, {8 * size, 9});
  CHECK_THROWS_WITH(weft::stencil(a, c, 2, weft::clamp{}, centre), ContainsSubstring("needs a halo of 2"));
  CHECK_THROWS_WITH(weft::stencil(a, a, 1, weft::clamp{}, centre), ContainsSubstring("same grid"));
  CHECK(weft::reduce(a, 3.0) == 3.0);  // still in step
}
