// Profiling regions and kernel labels through Kokkos Tools: the tests install
// callbacks through Kokkos' tools interface (support/tool_recorder.hpp) and
// run weft's local algorithms, checking that every algorithm of more than
// one kernel opens one balanced region weft::<algorithm>, also when it
// throws weft::error, and that every kernel is labelled "weft::...". First,
// that the checks themselves catch an unbalanced region and an unlabelled
// kernel.
#include <weft/weft.hpp>

#include <catch2/catch_test_macros.hpp>

#include "tool_recorder.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace weft_test;

namespace {
using exec_t = Kokkos::DefaultExecutionSpace;
using memory = exec_t::memory_space;

struct unlabelled_functor {
  Kokkos::View<double*, memory> v;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = 1.0; }
};

struct halve {
  KOKKOS_INLINE_FUNCTION double operator()(double a) const { return 0.5 * a; }
};
struct is_even {
  KOKKOS_INLINE_FUNCTION bool operator()(double a) const { return static_cast<std::int64_t>(a) % 2 == 0; }
};
struct key_of {  // runs of 7 equal keys
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t a) const { return a / 7; }
};
struct bin_of {
  std::int64_t bins;
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t a) const { return (a * 7919) % bins; }
};

template <class Nb>
struct five_point {
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    return nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0);
  }
};

// Big enough for the multi-kernel host paths (tiles on several threads).
constexpr std::int64_t n = 100003;

Kokkos::View<double*, memory> values(const char* label, std::int64_t size) {
  Kokkos::View<double*, memory> v(std::string(label), static_cast<std::size_t>(size));
  weft::iota(exec_t{}, v, 0.0);
  // descending runs, so the sorts have work to do
  weft::transform(
      exec_t{}, v, v,
      KOKKOS_LAMBDA(double a) { return static_cast<double>((size - 1 - static_cast<std::int64_t>(a)) % 1000); });
  exec_t{}.fence();
  return v;
}

#define WEFT_CHECK_PROFILE(regions, call)                      \
  do {                                                         \
    const auto weft_profile = profile(regions, [&] { call; }); \
    INFO(#call << ": " << weft_profile.problems);              \
    CHECK(weft_profile.problems.empty());                      \
    CHECK_FALSE(weft_profile.events.kernels.empty());          \
    CHECK_FALSE(weft_profile.threw);                           \
  } while (false)

#define WEFT_CHECK_PROFILE_THROWS(regions, call)               \
  do {                                                         \
    const auto weft_profile = profile(regions, [&] { call; }); \
    INFO(#call << ": " << weft_profile.problems);              \
    CHECK(weft_profile.problems.empty());                      \
    CHECK(weft_profile.threw);                                 \
  } while (false)

using regions = std::vector<std::string>;
}  // namespace

TEST_CASE("the profiling checks catch an unbalanced region, an unlabelled kernel and a kernel outside the region",
          "[profiling][local]") {
  const tool_session tool;
  Kokkos::View<double*, memory> v("weft::test", 10);

  const auto unlabelled =
      profile({}, [&] { Kokkos::parallel_for(Kokkos::RangePolicy<exec_t>(0, 10), unlabelled_functor{v}); });
  INFO(unlabelled.problems);
  CHECK(unlabelled.problems.find("lacks the weft:: prefix") != std::string::npos);
  CHECK(unlabelled.events.kernels.size() == 1);

  const auto foreign = profile(
      {}, [&] { Kokkos::parallel_for("user::kernel", Kokkos::RangePolicy<exec_t>(0, 10), unlabelled_functor{v}); });
  CHECK(foreign.problems.find("'user::kernel' lacks the weft:: prefix") != std::string::npos);

  const auto left_open = profile({"weft::thing"}, [&] { Kokkos::Profiling::pushRegion("weft::thing"); });
  CHECK(left_open.problems.find("left weft::thing open") != std::string::npos);
  Kokkos::Profiling::popRegion();

  const auto extra_pop = profile({}, [&] { Kokkos::Profiling::popRegion(); });
  CHECK(extra_pop.problems.find("popped a region with none open") != std::string::npos);

  // An exception between push and pop without a guard leaves it open.
  const auto thrown = profile({"weft::thing"}, [&] {
    Kokkos::Profiling::pushRegion("weft::thing");
    throw weft::error("weft::thing: bad");
  });
  CHECK(thrown.threw);
  CHECK(thrown.problems.find("left weft::thing open") != std::string::npos);
  Kokkos::Profiling::popRegion();

  const auto outside = profile({"weft::thing"}, [&] {
    { const weft::detail::profiling_region r("weft::thing"); }
    Kokkos::parallel_for("weft::thing", Kokkos::RangePolicy<exec_t>(0, 10), unlabelled_functor{v});
  });
  CHECK(outside.problems.find("runs outside any weft region") != std::string::npos);

  const auto wrong_name = profile({"weft::this"}, [&] { const weft::detail::profiling_region r("weft::that"); });
  CHECK(wrong_name.problems.find("outermost regions [weft::that ], expected [weft::this ]") != std::string::npos);

  // A deep_copy's own kernels (Kokkos::ViewFill) are the copy's, not weft's.
  const auto copy = profile({}, [&] { Kokkos::deep_copy(v, 2.0); });
  CHECK(copy.problems.empty());
  CHECK(copy.events.deep_copies == 1);
  CHECK(copy.events.kernels.empty());
}

TEST_CASE("the guard pops on every path and pushes nothing without a tool", "[profiling][local]") {
  {
    const tool_session tool;
    const auto thrown = profile({"weft::guarded"}, [&] {
      const weft::detail::profiling_region r("weft::guarded");
      throw weft::error("weft::guarded: bad");
    });
    CHECK(thrown.threw);
    CHECK(thrown.problems.empty());
    CHECK(thrown.events.pushes == 1);
  }
  record() = {};
  { const weft::detail::profiling_region r("weft::unheard"); }
  CHECK(record().pushes == 0);
  CHECK(record().pops == 0);
}

TEST_CASE("local algorithms: one balanced region per algorithm of several kernels, every kernel labelled weft::",
          "[profiling][local]") {
  const tool_session tool;
  const exec_t exec{};
  auto x = values("x", n);
  auto y = values("y", n);
  Kokkos::View<double*, memory> out("out", static_cast<std::size_t>(n));

  // One kernel each: no region, a labelled kernel.
  WEFT_CHECK_PROFILE(regions{}, weft::transform(exec, x, out, halve{}));
  WEFT_CHECK_PROFILE(regions{}, weft::fill(exec, out, 1.0));
  WEFT_CHECK_PROFILE(regions{}, (void)weft::reduce(exec, x));
  WEFT_CHECK_PROFILE(regions{}, (void)weft::transform_reduce(exec, x, y, 0.0, weft::plus{}, weft::multiplies{}));
  WEFT_CHECK_PROFILE(regions{}, (void)weft::max_loc(exec, x));
  WEFT_CHECK_PROFILE(regions{}, (void)weft::reduce(exec, x, 0.0, weft::reproducible_plus{}));

  // Several kernels: the algorithm's region around all of them.
  WEFT_CHECK_PROFILE(regions{"weft::inclusive_scan"}, (void)weft::inclusive_scan(exec, x, out));
  WEFT_CHECK_PROFILE(regions{"weft::exclusive_scan"}, (void)weft::exclusive_scan(exec, x, out, 0.0));
  WEFT_CHECK_PROFILE(regions{"weft::inclusive_scan"},
                     (void)weft::inclusive_scan(exec, x, out, weft::reproducible_plus{}));
  {
    auto s = values("s", n);
    WEFT_CHECK_PROFILE(regions{"weft::sort"}, weft::sort(exec, s));
    auto t = values("t", n);
    WEFT_CHECK_PROFILE(regions{"weft::sort"}, weft::sort(exec, t, weft::greater{}));
    auto m = values("m", n);  // a comparison of its own: the merge sort
    WEFT_CHECK_PROFILE(regions{"weft::sort"}, weft::sort(
                                                  exec, m, KOKKOS_LAMBDA(double a, double b) { return a > b; }));
    auto keys = values("keys", n);
    auto vals = values("vals", n);
    WEFT_CHECK_PROFILE(regions{"weft::sort_by_key"}, weft::sort_by_key(exec, keys, vals));
  }
  {
    const std::int64_t rows = 301, cols = 333;
    Kokkos::View<double**, memory> u("u", rows, cols), v("v", rows, cols);
    using nb_t = weft::neighbourhood<decltype(u), weft::clamp>;
    WEFT_CHECK_PROFILE(regions{"weft::stencil"}, weft::stencil(exec, u, v, 1, weft::clamp{}, five_point<nb_t>{}));
  }
  {
    Kokkos::View<std::int64_t*, memory> k("k", static_cast<std::size_t>(n)),
        keys_out("keys_out", static_cast<std::size_t>(n));
    Kokkos::View<double*, memory> sums("sums", static_cast<std::size_t>(n));
    weft::iota(exec, k, std::int64_t{0});
    weft::transform(exec, k, k, key_of{});
    WEFT_CHECK_PROFILE(regions{"weft::reduce_by_key"}, (void)weft::reduce_by_key(exec, k, x, keys_out, sums));
    WEFT_CHECK_PROFILE(regions{"weft::inclusive_scan_by_key"}, weft::inclusive_scan_by_key(exec, k, x, out));
    Kokkos::View<std::int64_t*, memory> bins("bins", static_cast<std::size_t>(n)), counts("counts", 97);
    weft::iota(exec, bins, std::int64_t{0});
    weft::transform(exec, bins, bins, bin_of{97});
    WEFT_CHECK_PROFILE(regions{"weft::histogram"}, weft::histogram(exec, bins, counts));
    WEFT_CHECK_PROFILE(regions{"weft::histogram"}, weft::histogram(exec, x, counts, 0.0, 1000.0));
  }
  WEFT_CHECK_PROFILE(regions{"weft::copy_if"}, (void)weft::copy_if(exec, x, out, is_even{}));
  {
    auto w = values("w", n);
    WEFT_CHECK_PROFILE(regions{"weft::unique"}, (void)weft::unique(exec, w));
  }
}

TEST_CASE("local algorithms: regions balance when a precondition throws weft::error", "[profiling][local]") {
  const tool_session tool;
  const exec_t exec{};
  auto x = values("x", 10);
  auto shorter = values("shorter", 9);
  Kokkos::View<std::int64_t*, memory> counts("counts", 4), keys("keys", 10), keys_out("keys_out", 2);
  Kokkos::View<double*, memory> sums("sums", 2), two("two", 2);
  weft::iota(exec, keys, std::int64_t{0});  // ten runs: more than the outputs hold

  WEFT_CHECK_PROFILE_THROWS(regions{}, weft::transform(exec, x, shorter, halve{}));
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::inclusive_scan"}, (void)weft::inclusive_scan(exec, x, shorter));
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::sort_by_key"}, weft::sort_by_key(exec, x, shorter));
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::histogram"}, weft::histogram(exec, x, counts, 1.0, 0.0));
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::reduce_by_key"}, (void)weft::reduce_by_key(exec, keys, x, keys_out, sums));
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::copy_if"}, (void)weft::copy_if(exec, x, two, is_even{}));  // five pass
  {
    Kokkos::View<double**, memory> u("u", 5, 5), v("v", 5, 4);
    using nb_t = weft::neighbourhood<decltype(u), weft::clamp>;
    WEFT_CHECK_PROFILE_THROWS(regions{"weft::stencil"},
                              weft::stencil(exec, u, v, 1, weft::clamp{}, five_point<nb_t>{}));
  }
}
