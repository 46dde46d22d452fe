// weft's ordered collectives (detail/collectives.hpp) beside the MPI calls
// they stand in for, on the same payloads: an all-reduce of n doubles
// (ordered_all_fold with an element-wise sum against MPI_Allreduce with
// MPI_SUM) and an exclusive scan (ordered_exclusive_scan against
// MPI_Exscan + MPI_Allreduce of the total, what a scan needs). And the
// public reduce and inclusive_scan of a vector with one element per rank,
// whose time is all collective. Each timed iteration makes 64 calls, so
// the barrier and the timing's own all-reduce weigh little; times are per
// call. weft::all_reduce (element by element, what a gradient merge calls)
// beside them too.
#include "common.hpp"

#include <weft/distributed/detail/collectives.hpp>

#include <array>
#include <vector>

namespace weft_dbench {
namespace {

constexpr int calls = 64;

template <std::size_t N>
struct doubles {
  std::array<double, N> v;
};
struct add_doubles {
  template <std::size_t N>
  doubles<N> operator()(const doubles<N>& a, const doubles<N>& b) const {
    doubles<N> c;
    for (std::size_t k = 0; k < N; ++k) c.v[k] = a.v[k] + b.v[k];
    return c;
  }
};

template <std::size_t N>
void add_payload() {
  const auto bytes = static_cast<std::int64_t>(8 * N);
  auto mine = [] {
    doubles<N> d;
    for (std::size_t k = 0; k < N; ++k) d.v[k] = pattern(static_cast<std::int64_t>(k), world_rank());
    return d;
  };
  add("allreduce", "mpi", bytes, [mine](benchmark::State& state, const std::string&) {
    const doubles<N> in = mine();
    doubles<N> out;
    time_loop(state, [&] {
      for (int c = 0; c < calls; ++c)
        MPI_Allreduce(in.v.data(), out.v.data(), static_cast<int>(N), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    });
    state.SetItemsProcessed(state.iterations() * calls);
    return traffic{};
  });
  add("allreduce", "weft", bytes, [mine](benchmark::State& state, const std::string& name) {
    const weft::communicator comm(MPI_COMM_WORLD);
    const weft::detail::optional_value<doubles<N>> in{mine(), true};
    doubles<N> want;
    MPI_Allreduce(in.value.v.data(), want.v.data(), static_cast<int>(N), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    doubles<N> out{};
    time_loop(state, [&] {
      for (int c = 0; c < calls; ++c) {
        const weft::detail::collective_check check("bench");
        out = weft::detail::ordered_all_fold(comm, check, in, add_doubles{}, "bench").value;
      }
    });
    check_value(name, "the first sum", out.v[0], want.v[0]);
    state.SetItemsProcessed(state.iterations() * calls);
    return traffic{};
  });
  // What a gradient merge calls: weft::all_reduce, element by element
  // (Rabenseifner's scheme), on a host view.
  add("allreduce", "weft_elements", bytes, [mine](benchmark::State& state, const std::string& name) {
    const weft::communicator comm(MPI_COMM_WORLD);
    const doubles<N> in = mine();
    doubles<N> want;
    MPI_Allreduce(in.v.data(), want.v.data(), static_cast<int>(N), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    Kokkos::View<double*, Kokkos::HostSpace> view("gradient", N);
    for (std::size_t k = 0; k < N; ++k) view(k) = in.v[k];
    weft::all_reduce(comm, view);
    check_value(name, "the first sum", view(0), want.v[0]);
    // Then in place, again and again (the sums grow; the time does not).
    time_loop(state, [&] {
      for (int c = 0; c < calls; ++c) weft::all_reduce(comm, view);
    });
    state.SetItemsProcessed(state.iterations() * calls);
    return traffic{};
  });
  add("exscan", "mpi", bytes, [mine](benchmark::State& state, const std::string&) {
    const doubles<N> in = mine();
    doubles<N> before, total;
    time_loop(state, [&] {
      for (int c = 0; c < calls; ++c) {
        MPI_Exscan(in.v.data(), before.v.data(), static_cast<int>(N), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(in.v.data(), total.v.data(), static_cast<int>(N), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      }
    });
    state.SetItemsProcessed(state.iterations() * calls);
    return traffic{};
  });
  add("exscan", "weft", bytes, [mine](benchmark::State& state, const std::string&) {
    const weft::communicator comm(MPI_COMM_WORLD);
    const weft::detail::optional_value<doubles<N>> in{mine(), true};
    time_loop(state, [&] {
      for (int c = 0; c < calls; ++c) {
        const weft::detail::collective_check check("bench");
        benchmark::DoNotOptimize(weft::detail::ordered_exclusive_scan(comm, check, in, add_doubles{}, "bench"));
      }
    });
    state.SetItemsProcessed(state.iterations() * calls);
    return traffic{};
  });
}

}  // namespace

void register_collectives_benchmarks() {
  add_payload<1>();
  add_payload<512>();
  add_payload<2048>();
  add_payload<8192>();
  // The public algorithms, one element per rank: all their time is the
  // collective and the argument check.
  add("reduce_one_per_rank", "weft", 8, [](benchmark::State& state, const std::string&) {
    weft::distributed_vector<double> x(weft::communicator(MPI_COMM_WORLD), world_size());
    weft::fill(x, 1.0);
    time_loop(state, [&] {
      for (int c = 0; c < calls; ++c) benchmark::DoNotOptimize(weft::reduce(x));
    });
    state.SetItemsProcessed(state.iterations() * calls);
    return traffic{};
  });
}

}  // namespace weft_dbench
