// Which execution spaces weft runs its host-only loops on
// (weft::detail::host_kernels), checked at compile time: every space this
// Kokkos build enables against whether it is a host backend, and a fake
// device whose memory the host can reach, as CUDA's CudaUVMSpace or managed
// memory can be reached, which must still count as a device. A device space
// taken for a host one fails the build here; the test case reports the
// spaces it checked.
#include <weft/detail/host_kernels.hpp>
#include <weft/execution_spaces.hpp>

#include <catch2/catch_test_macros.hpp>

#include <Kokkos_Core.hpp>

#include <string>
#include <tuple>
#include <type_traits>

namespace weft_test::dispatch {

// The host backends and the device backends this Kokkos enables, each
// named from its KOKKOS_ENABLE_* macro.
using host_spaces = decltype(std::tuple_cat(
#ifdef KOKKOS_ENABLE_SERIAL
    std::tuple<Kokkos::Serial>{},
#endif
#ifdef KOKKOS_ENABLE_OPENMP
    std::tuple<Kokkos::OpenMP>{},
#endif
#ifdef KOKKOS_ENABLE_THREADS
    std::tuple<Kokkos::Threads>{},
#endif
#ifdef KOKKOS_ENABLE_HPX
    std::tuple<Kokkos::Experimental::HPX>{},
#endif
    std::tuple<>{}));

using device_spaces = decltype(std::tuple_cat(
#ifdef KOKKOS_ENABLE_CUDA
    std::tuple<Kokkos::Cuda>{},
#endif
#ifdef KOKKOS_ENABLE_HIP
#if KOKKOS_VERSION >= 40000
    std::tuple<Kokkos::HIP>{},
#else
    std::tuple<Kokkos::Experimental::HIP>{},
#endif
#endif
#ifdef KOKKOS_ENABLE_SYCL
    std::tuple<Kokkos::Experimental::SYCL>{},
#endif
#ifdef KOKKOS_ENABLE_OPENMPTARGET
    std::tuple<Kokkos::Experimental::OpenMPTarget>{},
#endif
#ifdef KOKKOS_ENABLE_OPENACC
    std::tuple<Kokkos::Experimental::OpenACC>{},
#endif
    std::tuple<>{}));

template <class Exec, class List>
inline constexpr bool listed = false;
template <class Exec, class... Spaces>
inline constexpr bool listed<Exec, std::tuple<Spaces...>> = (std::is_same_v<Exec, Spaces> || ...);

template <class... Spaces>
constexpr bool all_host(std::tuple<Spaces...>*) {
  return (weft::detail::host_kernels<Spaces> && ... && true);
}
template <class... Spaces>
constexpr bool none_host(std::tuple<Spaces...>*) {
  return (!weft::detail::host_kernels<Spaces> && ... && true);
}
// Every space weft can select by name is one of the above, so none escapes
// the two checks below.
template <class Exec>
inline constexpr bool classified = listed<Exec, host_spaces> != listed<Exec, device_spaces>;
template <class... Spaces>
constexpr bool all_classified(std::tuple<Spaces...>*) {
  return (classified<Spaces> && ... && true);
}

static_assert(std::tuple_size_v<host_spaces> > 0, "every Kokkos build enables a host backend");
static_assert(all_host(static_cast<host_spaces*>(nullptr)),
              "weft::detail::host_kernels must be true for every host execution space");
static_assert(none_host(static_cast<device_spaces*>(nullptr)),
              "weft::detail::host_kernels must be false for every device execution space");
static_assert(all_classified(static_cast<weft::detail::enabled_space_list*>(nullptr)),
              "every execution space weft can select must be listed as a host or a device space here");
static_assert(weft::detail::host_kernels<Kokkos::DefaultHostExecutionSpace>);
static_assert(weft::detail::host_kernels<Kokkos::DefaultExecutionSpace> ==
                  listed<Kokkos::DefaultExecutionSpace, host_spaces>,
              "the default execution space is a device space exactly when a device backend is enabled");

// A device whose memory the host can reach: the shape of CUDA with
// CudaUVMSpace as its memory space (Kokkos 3.x, Kokkos_ENABLE_CUDA_UVM), or
// of HIP and SYCL with managed memory, on any build.
struct fake_device;
struct fake_managed_space {
  using memory_space = fake_managed_space;
  using execution_space = fake_device;
  using device_type = Kokkos::Device<fake_device, fake_managed_space>;
};
struct fake_device {
  using execution_space = fake_device;
  using memory_space = fake_managed_space;
  using device_type = Kokkos::Device<fake_device, fake_managed_space>;
};

}  // namespace weft_test::dispatch

// The host reaches the fake managed memory (Kokkos' documented point of
// specialisation for accessibility between spaces it does not know).
template <>
struct Kokkos::SpaceAccessibility<Kokkos::HostSpace, weft_test::dispatch::fake_managed_space> {
  enum : bool { accessible = true };
  enum : bool { assignable = false };
  enum : bool { deepcopy = true };
  using space = Kokkos::HostSpace;
};

namespace weft_test::dispatch {

static_assert(Kokkos::is_execution_space<fake_device>::value && Kokkos::is_memory_space<fake_managed_space>::value);
static_assert(Kokkos::SpaceAccessibility<Kokkos::HostSpace, fake_device::memory_space>::accessible,
              "the fake device's memory must be within the host's reach, as CudaUVMSpace is");
static_assert(!weft::detail::host_kernels<fake_device>,
              "a device space whose memory the host can reach must not take weft's host loops");

template <class... Spaces>
std::string names(std::tuple<Spaces...>*) {
  std::string s;
  ((s += std::string(s.empty() ? "" : ", ") + Spaces::name()), ...);
  return s;
}

}  // namespace weft_test::dispatch

TEST_CASE("host_kernels is keyed on the execution space", "[dispatch][local]") {
  using namespace weft_test::dispatch;
  // The checks ran when this file compiled; here they are named.
  INFO("host spaces: " << names(static_cast<host_spaces*>(nullptr)));
  INFO("device spaces: " << names(static_cast<device_spaces*>(nullptr)));
  CHECK(all_host(static_cast<host_spaces*>(nullptr)));
  CHECK(none_host(static_cast<device_spaces*>(nullptr)));
  CHECK_FALSE(weft::detail::host_kernels<fake_device>);
  SUCCEED("host: " << names(static_cast<host_spaces*>(nullptr))
                   << "; device: " << names(static_cast<device_spaces*>(nullptr)) << "; fake managed device");
}
