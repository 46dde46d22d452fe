// gather, all_gather, scatter and redistribute between every pair of partitions.
#include <weft/distributed.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "data.hpp"
#include "distributed.hpp"
#include "grids.hpp"
#include "spaces.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace weft_test;

TEMPLATE_LIST_TEST_CASE("gather, all_gather and scatter round-trip", "[movement][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 2, 7, 1000, 100003);
  const auto global = random_vector<double>(n, 700 + n);
  for (const auto& [name, p] : test_partitions(n, comm.size())) {
    CAPTURE(name, n);
    auto x = make_vector<double, M>(comm, p, global, 1);
    for (int root = 0; root < comm.size(); ++root) {
      const auto on_root = weft::gather(x, root);
      CHECK(on_root == (comm.rank() == root ? global : std::vector<double>{}));
    }
    CHECK(weft::all_gather(x) == global);

    const int root = comm.size() - 1;
    const auto y = weft::scatter<double, M>(comm, comm.rank() == root ? global : std::vector<double>{}, p, root);
    CHECK(y.partition() == p);
    CHECK(weft::all_gather(y) == global);
  }
}

TEMPLATE_LIST_TEST_CASE("redistribute keeps the global contents under any new partition",
                        "[movement][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = GENERATE(as<std::int64_t>{}, 0, 1, 3, 1000, 100003);
  const bool staged = GENERATE(false, true);
  if (staged) setenv("WEFT_MPI_STAGING", "1", 1);
  else unsetenv("WEFT_MPI_STAGING");
  const auto global = random_vector<std::int64_t>(n, 800 + n);
  const auto partitions = test_partitions(n, comm.size());
  for (const auto& [from_name, from] : partitions) {
    for (const auto& [to_name, to] : partitions) {
      CAPTURE(from_name, to_name, n, staged);
      auto x = make_vector<std::int64_t, M>(comm, from, global, 2);
      const auto y = weft::redistribute(x, to);
      CHECK(y.partition() == to);
      CHECK(y.halo_width() == 2);
      // Each rank holds exactly its new block.
      auto mine = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y.local());
      int wrong = 0;
      for (std::int64_t i = 0; i < y.local_size(); ++i) wrong += mine(i) != global[y.offset() + i];
      CHECK(wrong == 0);
    }
  }
  unsetenv("WEFT_MPI_STAGING");
}

TEMPLATE_LIST_TEST_CASE("halo exchanges and redistribution split large messages into pieces, in order",
                        "[movement][halo][distributed]", enabled_spaces) {
  using Exec = TestType;
  using M = typename Exec::memory_space;
  weft::communicator comm(MPI_COMM_WORLD);
  // Pieces of 24 bytes (3 doubles) on every rank, as 1 GiB pieces go
  // beyond: every message of more than 3 values goes as several, which
  // arrive in order. Staged and direct.
  const bool staged = GENERATE(false, true);
  CAPTURE(staged);
  setenv("WEFT_MESSAGE_PIECE_BYTES", "24", 1);
  mpi_staging staging(staged);
  // A vector: its halo of 5 goes in 2 pieces a side, its blocks in many.
  const std::int64_t n = 1009;
  const auto global = random_vector<double>(n, 1201);
  const auto p = weft::partition::block(n, comm.size());
  auto x = make_vector<double, M>(comm, p, global, 5);
  x.exchange_halo(Exec{}, weft::periodic{});
  auto with_halo = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x.with_halo());
  int wrong = 0;
  for (std::int64_t s = 0; s < x.local_size() + 10; ++s) {
    const std::int64_t i = ((x.offset() + s - 5) % n + n) % n;
    wrong += with_halo(s) != global[static_cast<std::size_t>(i)];
  }
  CHECK(wrong == 0);
  std::vector<double> weights(static_cast<std::size_t>(comm.size()));
  for (std::size_t r = 0; r < weights.size(); ++r) weights[r] = 1.0 + double(r % 3);
  const auto y = weft::redistribute(x, weft::partition::weighted(n, weights));
  CHECK(everything(y) == global);
  // A grid: faces of 2 x 37 or more cells go in pieces (buffered, or from
  // the storage where it is one run), and so does its redistribution.
  const ext<2> e{grown(23, comm.size()), 37};
  const auto field = random_vector<double>(volume<2>(e), 1202);
  weft::distributed_grid<double, 2, M> g(comm, e, {.halo = 2, .periodic = {true, false}});
  fill_from(g, field);
  g.exchange_halo(Exec{}, weft::clamp{});
  CHECK(wrong_halo_cells(g, field, bc_kind::clamp, 0) == 0);
  std::array<weft::partition, 2> to{
      weft::partition::weighted(e[0], std::vector<double>(weights.begin(), weights.begin() + g.dims()[0])),
      weft::partition::weighted(e[1], std::vector<double>(weights.begin(), weights.begin() + g.dims()[1]))};
  const auto h = weft::redistribute(g, to);
  CHECK(weft::gather(h, 0) == weft::gather(g, 0));
  // Gathers and scatters of vectors and grids, to and from either end.
  for (const int root : {0, comm.size() - 1}) {
    CAPTURE(root);
    const bool on_root = comm.rank() == root;
    CHECK(weft::gather(x, root) == (on_root ? global : std::vector<double>{}));
    const auto s = weft::scatter<double, M>(comm, on_root ? global : std::vector<double>{}, p, root);
    CHECK(everything(s) == global);
    CHECK(weft::gather(g, root) == (on_root ? field : std::vector<double>{}));
    weft::distributed_grid<double, 2, M> back(g.layout());
    weft::scatter(on_root ? field : std::vector<double>{}, back, root);
    CHECK(weft::gather(back, root) == (on_root ? field : std::vector<double>{}));
  }
  // The sort's exchange.
  auto keys = make_vector<double, M>(comm, p, global, 0);
  weft::sort(keys);
  auto sorted = global;
  std::sort(sorted.begin(), sorted.end());
  CHECK(everything(keys) == sorted);
  unsetenv("WEFT_MESSAGE_PIECE_BYTES");
}

TEST_CASE("redistribution plans are kept by the layout, for the last few targets", "[movement][distributed]") {
  using weft::detail::halo_access;
  weft::communicator comm(MPI_COMM_WORLD);
  const std::int64_t n = 1000;
  const auto global = random_vector<double>(n, 1301);
  const auto p = weft::partition::block(n, comm.size());
  auto x = make_vector<double, Kokkos::HostSpace>(comm, p, global, 1);
  auto weighted = [&](int k) {
    std::vector<double> w(static_cast<std::size_t>(comm.size()));
    for (std::size_t r = 0; r < w.size(); ++r) w[r] = 1.0 + double((r + std::size_t(k)) % 3);
    return weft::partition::weighted(n, w);
  };
  const auto y = weft::redistribute(x, weighted(0));
  const auto built = halo_access::plans_built(x.layout());
  CHECK(built == 2);                           // the geometry and the typed plan
  const auto back = weft::redistribute(y, p);  // planned by y's layout
  const auto again = weft::redistribute(x, weighted(0));
  CHECK(halo_access::plans_built(x.layout()) == built);
  CHECK(everything(back) == global);
  CHECK(everything(again) == global);
  // A load balancer's run: a new target every step. The layout keeps the
  // plans of the last few only.
  for (int k = 1; k <= 12; ++k) CHECK(everything(weft::redistribute(x, weighted(k))) == global);
  CHECK(halo_access::plans_held(x.layout()) <= 2 * std::int64_t(weft::detail::plan_cache::movements_kept));
}

TEST_CASE("data movement rejects bad input on every rank", "[errors][distributed]") {
  using Catch::Matchers::ContainsSubstring;
  weft::communicator comm(MPI_COMM_WORLD);
  const int size = comm.size();
  const auto p = weft::partition::block(10, size);
  // Only the root holds the data, so only the root can see it is wrong: all
  // throw, with the root's message, naming it.
  const std::vector<double> wrong(comm.rank() == 0 ? 9 : 0, 1.0);
  CHECK_THROWS_WITH(weft::scatter(comm, wrong, p, 0),
                    ContainsSubstring("weft::scatter: root holds 9 elements but the partition has 10 [on rank 0]"));
  weft::distributed_vector<double> x(comm, p);
  CHECK_THROWS_WITH(weft::gather(x, size), ContainsSubstring("root " + std::to_string(size) + " is not a rank"));
  CHECK_THROWS_WITH(weft::redistribute(x, weft::partition::block(11, size)),
                    ContainsSubstring("the new partition has 11 elements, the vector 10"));
  CHECK(weft::all_gather(x).size() == 10);  // still in step
}
