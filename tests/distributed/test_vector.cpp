// distributed_vector: layout, halo exchange (blocking and split phase, every
// boundary, ghost widths 0, 1, 3, blocks smaller than the ghost width, empty
// blocks), and the host-staging path.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "spaces.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

using namespace weft_test;

namespace {
// What ghost `wanted` (a global index, maybe outside [0, n)) must hold.
template <class T, class Boundary>
std::optional<T> expected_ghost(const std::vector<T>& global, std::int64_t wanted, const Boundary&,
                                std::optional<T> constant) {
  const std::int64_t n = static_cast<std::int64_t>(global.size());
  if (wanted >= 0 && wanted < n) return global[wanted];
  if constexpr (std::is_same_v<Boundary, weft::periodic>) {
    if (n == 0) return std::nullopt;
    return global[((wanted % n) + n) % n];
  } else if constexpr (std::is_same_v<Boundary, weft::clamp>) {
    if (n == 0) return std::nullopt;
    return global[wanted < 0 ? 0 : n - 1];
  } else {
    return constant;
  }
}

// Checks every owned element and every ghost of x on this rank.
template <class X, class Boundary>
void check_ghosts(const X& x, const std::vector<typename X::value_type>& global, const Boundary& bc,
                  std::optional<typename X::value_type> constant) {
  auto all = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x.with_halo());
  const std::int64_t g = x.halo_width(), m = x.local_size();
  REQUIRE(static_cast<std::int64_t>(all.extent(0)) == m + 2 * g);
  int wrong = 0;
  for (std::int64_t s = 0; s < m + 2 * g; ++s) {
    const std::int64_t wanted = x.offset() - g + s;
    const auto expected = expected_ghost(global, wanted, bc, constant);
    if (expected && all(s) != *expected) {
      if (wrong++ < 5) UNSCOPED_INFO("rank " << x.comm().rank() << " slot " << s << " (global " << wanted
                                             << "): got " << all(s) << ", expected " << *expected);
    }
  }
  CHECK(wrong == 0);
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("a distributed vector lays out its blocks as the partition says", "[vector][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1000);
  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, n);
    weft::distributed_vector<double, typename Exec::memory_space> x(comm, p, weft::halo{2});
    CHECK(x.global_size() == n);
    CHECK(x.local_size() == p.local_size(comm.rank()));
    CHECK(x.offset() == p.offset(comm.rank()));
    CHECK(x.partition() == p);
    CHECK(x.halo_width() == 2);
    CHECK(static_cast<std::int64_t>(x.local().extent(0)) == x.local_size());
    CHECK(static_cast<std::int64_t>(x.with_halo().extent(0)) == x.local_size() + 4);
    CHECK(x.local().data() == x.with_halo().data() + 2);
  }
  weft::distributed_vector<int, typename Exec::memory_space> y(comm, n);
  CHECK(y.partition() == weft::partition::block(n, comm.size()));
  CHECK(y.comm().size() == comm.size());
  CHECK(y.comm().native() != MPI_COMM_WORLD);  // weft talks on its own duplicate
}

TEMPLATE_LIST_TEST_CASE("halo exchange fills ghosts from neighbours and boundaries", "[halo][distributed]",
                        enabled_spaces) {
  using Exec = TestType;
  using memory_space = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 2, 5, 7, 1000);
  const int g = GENERATE(0, 1, 3);
  const bool staged = GENERATE(false, true);
  const auto global = random_vector<int>(n, 200 + n);
  // Every rank sets it before any plan is built, so all ranks agree.
  if (staged) setenv("WEFT_MPI_STAGING", "1", 1);
  else unsetenv("WEFT_MPI_STAGING");

  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, n, g, staged);
    auto x = make_vector<int, memory_space>(comm, p, global, g);
    x.exchange_halo(Exec{}, weft::periodic{});
    check_ghosts(x, global, weft::periodic{}, std::nullopt);
    x.exchange_halo(Exec{}, weft::clamp{});
    check_ghosts(x, global, weft::clamp{}, std::nullopt);
    x.exchange_halo(Exec{}, weft::constant{-7});
    check_ghosts(x, global, weft::constant{-7}, -7);
    CHECK(x.describe_halo(weft::periodic{}).direct == !staged);

    // Split phase, with work on the owned elements in between; twice, to
    // check the reused buffers.
    for (int round = 0; round < 2; ++round) {
      auto halo = x.start_halo_exchange(Exec{}, weft::periodic{});
      weft::for_each(Exec{}, x.local(), KOKKOS_LAMBDA(int& v) { v *= 1; });
      halo.wait();
      check_ghosts(x, global, weft::periodic{}, std::nullopt);
    }
    // Polled with test() until the messages are in, then completed.
    {
      auto halo = x.start_halo_exchange(Exec{}, weft::constant{5});
      while (!halo.test()) {
      }
      halo.wait();
      CHECK(halo.test());
      check_ghosts(x, global, weft::constant{5}, 5);
    }
    // A second exchange of the same vector before the first is waited for
    // is refused, on every rank alike, and the first still completes.
    {
      auto first = x.start_halo_exchange(Exec{}, weft::clamp{});
      CHECK_THROWS_WITH(x.start_halo_exchange(Exec{}, weft::clamp{}),
                        Catch::Matchers::ContainsSubstring("already in flight"));
      first.wait();
      check_ghosts(x, global, weft::clamp{}, std::nullopt);
    }
    // An exchange left without wait() completes when its handle goes.
    { auto halo = x.start_halo_exchange(Exec{}, weft::clamp{}); }
    Exec{}.fence();
    check_ghosts(x, global, weft::clamp{}, std::nullopt);
  }
  unsetenv("WEFT_MPI_STAGING");
}

TEST_CASE("halo plans send one message per neighbour (and side, unbuffered)", "[halo][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  weft::distributed_vector<double> x(comm, weft::partition::block(1000 * size, size), weft::halo{2});
  const auto periodic = x.describe_halo(weft::periodic{});
  // Left and right neighbours are one rank when there are two: still one
  // message per side (both ranks split alike, whatever their memory), each
  // side's run straight from and into the storage where MPI can use it. A
  // rank alone copies its own ghosts without MPI.
  CHECK(periodic.messages_sent == (size == 1 ? 0 : 2));
  CHECK(periodic.messages_unbuffered == (periodic.direct ? periodic.messages_sent + periodic.messages_received : 0));
  CHECK(periodic.elements_sent == (size == 1 ? 0 : 4));
  CHECK(periodic.elements_copied_locally == (size == 1 ? 4 : 0));
  CHECK(periodic.remote_faces[0][0] == (size > 1));
  CHECK(periodic.remote_faces[0][1] == (size > 1));
  const auto constant = x.describe_halo(weft::constant{0.0});
  const bool end_rank = rank == 0 || rank == size - 1;
  CHECK(constant.messages_sent == (size == 1 ? 0 : (end_rank ? 1 : 2)));
  CHECK(constant.elements_sent == 2 * constant.messages_sent);
  CHECK(constant.elements_copied_locally == 0);
  CHECK(constant.remote_faces[0][0] == (rank > 0));
  CHECK(constant.remote_faces[0][1] == (rank < size - 1));
  // Clamped ends copy the rank's own edge value.
  const auto clamped = x.describe_halo(weft::clamp{});
  CHECK(clamped.elements_copied_locally == (rank == 0 ? 2 : 0) + (rank == size - 1 ? 2 : 0));
}

TEST_CASE("grid halo plans: messages to neighbours, local copies across dimensions a rank spans alone",
          "[grid][halo][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  // One row of ranks along dimension 0: dimension 1 is this rank's alone.
  weft::distributed_grid<double, 2> g(comm, {6 * size, 10},
                                      {.halo = 1, .periodic = {true, true}, .dims = {size, 1}, .shape = weft::stencil_shape::cross});
  const auto plan = g.describe_halo(weft::periodic{});
  CHECK(plan.remote_faces[0][0] == (size > 1));
  CHECK(plan.remote_faces[0][1] == (size > 1));
  CHECK_FALSE(plan.remote_faces[1][0]);
  CHECK_FALSE(plan.remote_faces[1][1]);
  // Faces along dimension 1 (6 cells each side) are copied locally, and
  // along dimension 0 too when the rank is alone.
  CHECK(plan.elements_copied_locally == 2 * 6 + (size == 1 ? 2 * 10 : 0));
  // One message per face, even when one rank holds both neighbouring
  // blocks (two ranks, periodic): each a box of the storage, in place.
  CHECK(plan.messages_sent == (size == 1 ? 0 : 2));
  if (plan.direct &&
      Kokkos::SpaceAccessibility<Kokkos::HostSpace, weft::distributed_grid<double, 2>::memory_space>::accessible)
    CHECK(plan.messages_unbuffered == plan.messages_sent + plan.messages_received);
  CHECK(plan.elements_sent == (size == 1 ? 0 : 2 * 10));
}

TEMPLATE_LIST_TEST_CASE("vectors on one layout share its plans and equal vectors built alone",
                        "[vector][layout][halo][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  using Catch::Matchers::ContainsSubstring;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = 101;
  const auto p = weft::partition::weighted(n, std::vector<double>(static_cast<std::size_t>(comm.size()), 1.0));
  const weft::vector_layout layout(comm, p, weft::halo{2});
  CHECK(layout.halo_width() == 2);
  CHECK(layout.partition() == p);
  CHECK(layout.local_size() == p.local_size(comm.rank()));
  const auto a = random_vector<double>(n, 61), b = random_vector<double>(n, 62);
  std::vector<weft::distributed_vector<double, M>> fields;
  for (int k = 0; k < 10; ++k) fields.emplace_back(layout);
  fields.emplace_back(layout, weft::uninitialized);
  const auto alone = make_vector<double, M>(comm, p, a, 2);
  for (auto& f : fields) {
    CHECK(f.layout().is(layout));
    CHECK(f.halo_width() == 2);
    weft::copy(Exec{}, alone, f);
  }
  CHECK_FALSE(alone.layout().is(layout));
  CHECK(alone.layout().same_layout(layout));
  fill_vector(fields[1], b);
  // The first exchange builds the plans once; the other fields' exchanges
  // (their first too) build none.
  fields[0].exchange_halo(Exec{}, weft::periodic{});
  const auto built = weft::detail::halo_access::plans_built(layout);
  for (const auto& f : fields) f.exchange_halo(Exec{}, weft::periodic{});
  CHECK(weft::detail::halo_access::plans_built(layout) == built);
  alone.exchange_halo(Exec{}, weft::periodic{});
  check_ghosts(fields[0], a, weft::periodic{}, std::nullopt);
  check_ghosts(fields[1], b, weft::periodic{}, std::nullopt);
  check_ghosts(alone, a, weft::periodic{}, std::nullopt);
  // The vector's plan description is the layout's.
  CHECK(fields[0].describe_halo(weft::periodic{}).elements_sent == alone.describe_halo(weft::periodic{}).elements_sent);
  // Bad layouts throw on every rank.
  CHECK_THROWS_WITH(weft::vector_layout(comm, weft::partition::block(10, comm.size() + 1)),
                    ContainsSubstring("weft::vector_layout: the partition has"));
  CHECK_THROWS_WITH(weft::vector_layout(comm, p, weft::halo{-1}), ContainsSubstring("negative halo width"));
  if (comm.size() > 1) CHECK_THROWS_AS(weft::vector_layout(comm, p, weft::halo{comm.rank()}), weft::error);
}

static_assert(weft::distributed_1d<weft::distributed_vector<double>> &&
              weft::distributed<weft::distributed_vector<float>>);
static_assert(weft::grid<weft::distributed_grid<double, 2>> && weft::distributed<weft::distributed_grid<float, 3>>);
static_assert(!weft::distributed_1d<weft::distributed_grid<double, 2>> &&
              !weft::grid<weft::distributed_vector<double>>);
static_assert(!weft::distributed<Kokkos::View<double*>>);

TEST_CASE("the former halo names still work", "[vector][grid][halo][distributed]") {
  weft::communicator comm(MPI_COMM_WORLD);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  weft::distributed_vector<double> x(comm, weft::partition::block(20, comm.size()), weft::ghosts{2});
  CHECK(x.ghost_width() == 2);
  CHECK(x.local_with_ghosts().data() == x.with_halo().data());
  weft::distributed_grid<double, 2> g(comm, {8, 9});
  CHECK(g.interior().data() == g.local().data());
  CHECK(g.interior().extent(1) == g.local().extent(1));
#pragma GCC diagnostic pop
}

TEST_CASE("distributed vectors reject inconsistent layouts on every rank", "[vector][distributed]") {
  using Catch::Matchers::ContainsSubstring;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size(), rank = comm.rank();
  CHECK_THROWS_WITH((weft::distributed_vector<double>(comm, weft::partition::block(10, size + 1))),
                    ContainsSubstring("the partition has " + std::to_string(size + 1) + " blocks"));
  CHECK_THROWS_WITH((weft::distributed_vector<double>(comm, weft::partition::block(10, size), weft::halo{-1})),
                    ContainsSubstring("negative halo width -1"));
  // Ranks that disagree about the layout all throw; nobody hangs.
  if (size > 1) {
    CHECK_THROWS_AS((weft::distributed_vector<double>(comm, weft::partition::block(10 + rank, size))), weft::error);
    CHECK_THROWS_AS((weft::distributed_vector<double>(comm, weft::partition::block(10, size), weft::halo{rank})),
                    weft::error);
  }
}
