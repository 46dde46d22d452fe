// Profiling regions of the distributed algorithms through Kokkos Tools
// callbacks (support/tool_recorder.hpp), at 1 to 4 ranks: every algorithm
// that talks to MPI opens one balanced region weft::<algorithm> on every
// rank, also when it throws weft::error on every rank; every kernel is
// labelled weft::; and the MPI calls it makes fall inside it. This program
// defines MPI_Wait, MPI_Waitall and MPI_Allreduce (forwarding to PMPI_*) to
// see where they happen: a distributed stencil's wait for its halo
// messages must fall inside weft::stencil.
#include <weft/distributed.hpp>
#if defined(WEFT_TEST_HDF5)
#include <weft/hdf5.hpp>
#endif

#include <catch2/catch_test_macros.hpp>
#include <mpi.h>

#include "tool_recorder.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace weft_test;

namespace {
void observe_mpi(const char* call) {
  auto& r = record();
  std::vector<std::string> seen{call};
  seen.insert(seen.end(), r.open.begin(), r.open.end());
  r.mpi_calls.push_back(std::move(seen));
}
}  // namespace

extern "C" {
int MPI_Wait(MPI_Request* request, MPI_Status* status) {
  observe_mpi("MPI_Wait");
  return PMPI_Wait(request, status);
}
int MPI_Waitall(int count, MPI_Request requests[], MPI_Status* statuses) {
  observe_mpi("MPI_Waitall");
  return PMPI_Waitall(count, requests, statuses);
}
int MPI_Allreduce(const void* send, void* receive, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  observe_mpi("MPI_Allreduce");
  return PMPI_Allreduce(send, receive, count, type, op, comm);
}
}

namespace {
using exec_t = Kokkos::DefaultExecutionSpace;
using memory = exec_t::memory_space;

struct diffusion_1d {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    return nb(0) + 0.25 * (nb(-1) - 2 * nb(0) + nb(1));
  }
};
struct diffusion_2d {
  template <class Nb>
  KOKKOS_INLINE_FUNCTION double operator()(const Nb& nb) const {
    return nb(0, 0) + 0.125 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0));
  }
};
struct positive {
  KOKKOS_INLINE_FUNCTION bool operator()(double a) const { return a > 0; }
};
struct scrambled {  // a permutation-ish pattern with repeats, negative values too
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, double& x) const {
    x = static_cast<double>((i * 7919) % 1009) - 300.0;
  }
};

/// Everything a rank saw, judged; the verdict must hold on every rank.
#define WEFT_CHECK_PROFILE(expected, call)                                      \
  do {                                                                          \
    const auto weft_profile = profile(expected, [&] { call; });                 \
    INFO(#call << " on rank " << comm.rank() << ": " << weft_profile.problems); \
    CHECK(weft_profile.problems.empty());                                       \
    CHECK_FALSE(weft_profile.threw);                                            \
  } while (false)

#define WEFT_CHECK_PROFILE_THROWS(expected, call)                               \
  do {                                                                          \
    const auto weft_profile = profile(expected, [&] { call; });                 \
    INFO(#call << " on rank " << comm.rank() << ": " << weft_profile.problems); \
    CHECK(weft_profile.problems.empty());                                       \
    CHECK(weft_profile.threw);                                                  \
  } while (false)

using regions = std::vector<std::string>;

std::int64_t inside(const std::vector<std::vector<std::string>>& calls, const std::string& region) {
  return std::count_if(calls.begin(), calls.end(),
                       [&](const auto& c) { return std::find(c.begin() + 1, c.end(), region) != c.end(); });
}
}  // namespace

TEST_CASE("distributed stencils wait for their halo messages inside weft::stencil", "[profiling][distributed]") {
  const weft::communicator comm(MPI_COMM_WORLD);
  const tool_session tool;
  const exec_t exec{};
  const std::int64_t n = 1000 * comm.size() + 7;
  weft::distributed_vector<double, memory> x(comm, weft::partition::block(n, comm.size()), weft::halo{1});
  weft::distributed_vector<double, memory> y(comm, weft::partition::block(n, comm.size()), weft::halo{1});
  weft::for_each_index(exec, x, scrambled{});

  // Twice: the first call builds the exchange plan and agrees with every
  // rank, the second checks with the neighbours only.
  for (int call = 0; call < 2; ++call) {
    const auto p = profile({"weft::stencil"}, [&] { weft::stencil(exec, x, y, 1, weft::periodic{}, diffusion_1d{}); });
    INFO("call " << call << " on rank " << comm.rank() << ": " << p.problems);
    CHECK(p.problems.empty());
    CHECK_FALSE(p.threw);
    CHECK_FALSE(p.events.kernels.empty());
    const auto waits = std::count_if(p.events.mpi_calls.begin(), p.events.mpi_calls.end(),
                                     [](const auto& c) { return c.front() != "MPI_Allreduce"; });
    // With neighbours on other ranks the halo arrives by message: the stencil
    // waits for it, inside its own region (and its exchange's wait region).
    if (comm.size() > 1) {
      CHECK(waits > 0);
      CHECK(inside(p.events.mpi_calls, "weft::stencil") == static_cast<std::int64_t>(p.events.mpi_calls.size()));
      CHECK(inside(p.events.mpi_calls, "weft::halo_exchange::wait") > 0);
    }
  }

  const std::int64_t n0 = 40 + 3 * comm.size(), n1 = 37;
  weft::distributed_grid<double, 2, memory> u(comm, {n0, n1}, {.halo = 1});
  weft::distributed_grid<double, 2, memory> v(comm, {n0, n1}, {.halo = 1});
  weft::fill(exec, u, 1.0);
  for (int call = 0; call < 2; ++call) {
    const auto p =
        profile({"weft::stencil"}, [&] { weft::stencil(exec, u, v, 1, weft::constant{0.0}, diffusion_2d{}); });
    INFO("grid call " << call << " on rank " << comm.rank() << ": " << p.problems);
    CHECK(p.problems.empty());
    if (comm.size() > 1) CHECK(inside(p.events.mpi_calls, "weft::halo_exchange::wait") > 0);
  }
  WEFT_CHECK_PROFILE(regions{"weft::exchange_halo"}, u.exchange_halo(exec, weft::constant{0.0}));
  WEFT_CHECK_PROFILE(regions{"weft::exchange_halo"}, x.exchange_halo(exec, weft::periodic{}));
  {
    const auto p = profile({"weft::start_halo_exchange", "weft::halo_exchange::wait"}, [&] {
      auto h = x.start_halo_exchange(exec, weft::periodic{});
      h.wait();
    });
    INFO("split exchange on rank " << comm.rank() << ": " << p.problems);
    CHECK(p.problems.empty());
  }
}

TEST_CASE("distributed algorithms: one balanced region each, kernels labelled, MPI inside",
          "[profiling][distributed]") {
  const weft::communicator comm(MPI_COMM_WORLD);
  const tool_session tool;
  const exec_t exec{};
  const std::int64_t n = 5000 * comm.size() + 3;
  const auto block = weft::partition::block(n, comm.size());
  weft::distributed_vector<double, memory> a(comm, block), b(comm, block), out(comm, block);
  weft::for_each_index(exec, a, scrambled{});
  weft::fill(exec, b, 0.5);

  // No messages, one kernel: no region.
  WEFT_CHECK_PROFILE(regions{}, weft::transform(
                                    exec, a, out, KOKKOS_LAMBDA(double t) { return 2 * t; }));

  WEFT_CHECK_PROFILE(regions{"weft::reduce"}, (void)weft::reduce(exec, a));
  WEFT_CHECK_PROFILE(regions{"weft::reduce"}, (void)weft::reduce(exec, a, 0.0, weft::reproducible_plus{}));
  WEFT_CHECK_PROFILE(regions{"weft::transform_reduce"},
                     (void)weft::transform_reduce(exec, a, b, 0.0, weft::plus{}, weft::multiplies{}));
  WEFT_CHECK_PROFILE(regions{"weft::max_loc"}, (void)weft::max_loc(exec, a));
  WEFT_CHECK_PROFILE(regions{"weft::inclusive_scan"}, (void)weft::inclusive_scan(exec, a, out));
  WEFT_CHECK_PROFILE(regions{"weft::gather"}, (void)weft::gather(a, 0));

  std::vector<double> weights(static_cast<std::size_t>(comm.size()));
  for (int r = 0; r < comm.size(); ++r) weights[static_cast<std::size_t>(r)] = 1.0 + r;
  const auto uneven = weft::partition::weighted(n, weights);
  WEFT_CHECK_PROFILE(regions{"weft::redistribute"}, (void)weft::redistribute(a, uneven));
  {
    auto s = weft::redistribute(a, block);
    WEFT_CHECK_PROFILE(regions{"weft::sort"}, weft::sort(exec, s));
  }
  // The local compaction inside it opens its own (nested) region.
  WEFT_CHECK_PROFILE(regions{"weft::copy_if"}, (void)weft::copy_if(exec, a, positive{}));
  {
    weft::distributed_vector<std::int64_t, memory> keys(comm, block);
    weft::for_each_index(
        exec, keys, KOKKOS_LAMBDA(std::int64_t i, std::int64_t & k) { k = i / 10; });
    WEFT_CHECK_PROFILE(regions{"weft::reduce_by_key"}, (void)weft::reduce_by_key(exec, keys, a));
  }
}

TEST_CASE("distributed algorithms: regions balance when every rank throws weft::error", "[profiling][distributed]") {
  const weft::communicator comm(MPI_COMM_WORLD);
  const tool_session tool;
  const exec_t exec{};
  const std::int64_t n = 100 * comm.size() + 1;
  weft::distributed_vector<double, memory> x(comm, weft::partition::block(n, comm.size()), weft::halo{1});
  weft::distributed_vector<double, memory> y(comm, weft::partition::block(n, comm.size()), weft::halo{1});
  // A radius wider than the halo: every rank throws, after agreeing.
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::stencil"}, weft::stencil(exec, x, y, 2, weft::periodic{}, diffusion_1d{}));
  // A partition of another size: every rank throws.
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::redistribute"},
                            (void)weft::redistribute(x, weft::partition::block(n + 1, comm.size())));
  // Empty: no maximum, on every rank.
  weft::distributed_vector<double, memory> empty(comm, weft::partition::block(0, comm.size()));
  WEFT_CHECK_PROFILE_THROWS(regions{"weft::max_loc"}, (void)weft::max_loc(exec, empty));
}

#if defined(WEFT_TEST_HDF5)
TEST_CASE("checkpoint and restart: weft::save, weft::load and the checkpoint writer open their regions",
          "[profiling][distributed][hdf5]") {
  const weft::communicator comm(MPI_COMM_WORLD);
  const exec_t exec{};
  const char* env = std::getenv("WEFT_TEST_DIR");
  const std::string dir = env && *env ? env : "weft-profiling-test-files";
  if (comm.rank() == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  const std::int64_t n = 100 * comm.size() + 1;
  weft::distributed_vector<double, memory> x(comm, weft::partition::block(n, comm.size()));
  weft::for_each_index(exec, x, scrambled{});
  weft::distributed_grid<double, 2, memory> u(comm, {20, 9 + comm.size()}, {.halo = 1});
  weft::fill(exec, u, 2.0);
  exec.fence();
  const tool_session tool;
  // save by name: its checkpoint writer's regions nest inside it.
  WEFT_CHECK_PROFILE(regions{"weft::save"}, weft::save(dir + "/x.h5", "x", x, {}, {.overwrite = true}));
  WEFT_CHECK_PROFILE(regions{"weft::load"}, weft::load(dir + "/x.h5", "x", x));
  {
    weft::checkpoint_writer ckpt(comm, dir + "/checkpoint.h5");
    WEFT_CHECK_PROFILE(regions{"weft::checkpoint_writer::write"}, ckpt.write("u", u));
    WEFT_CHECK_PROFILE(regions{"weft::checkpoint_writer::commit"}, ckpt.commit());
  }
  {
    weft::hdf5_file f(comm, dir + "/checkpoint.h5", weft::hdf5_file::read);
    WEFT_CHECK_PROFILE(regions{"weft::load"}, weft::load(f, "u", u));
    // A dataset that is not there: every rank throws.
    WEFT_CHECK_PROFILE_THROWS(regions{"weft::load"}, weft::load(f, "missing", u));
    f.close();
  }
}
#endif
