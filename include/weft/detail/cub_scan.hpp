// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Scans on the CUDA backend through cub::DeviceScan (scan.hpp): sums of
// arithmetic values (weft::plus) over contiguous views run at CUB's speed,
// on the execution space instance's stream, with CUB's scratch in a
// Kokkos View. Everything else takes weft's own kernels (detail/scan.hpp).

#include "../error.hpp"
#include "../functional.hpp"

#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cub/device/device_scan.cuh>
#endif

namespace weft::detail {

template <class Op, class T>
inline constexpr bool cub_plus = std::is_same_v<Op, plus<>> || std::is_same_v<Op, plus<T>>;

/// Whether a scan of In into Out with Op, accumulating in T on Exec, can go
/// to cub::DeviceScan: CUDA, weft::plus on an arithmetic T at least as wide
/// as int (narrower ones would be accumulated in int) that is the value type
/// of both views. Contiguity is checked at run time
/// (cub_contiguous).
template <class Exec, class Op, class T, class In, class Out>
inline constexpr bool cub_scan_eligible =
#if defined(KOKKOS_ENABLE_CUDA)
    std::is_same_v<Exec, Kokkos::Cuda>&& std::is_arithmetic_v<T> && sizeof(T) >= sizeof(int) &&
    cub_plus<Op, T>&& std::is_same_v<typename In::non_const_value_type,
                                     T>&& std::is_same_v<typename Out::non_const_value_type, T>;
#else
    false;
#endif

template <class In, class Out>
bool cub_contiguous(const In& in, const Out& out) {
  return in.span_is_contiguous() && out.span_is_contiguous() && in.span() == in.extent(0) &&
         out.span() == out.extent(0);
}

#if defined(KOKKOS_ENABLE_CUDA)
/// Runs the scan, n = in.extent(0) > 0; Exclusive: out(i) = init + in(0) +
/// ... + in(i-1), returns init + ... + in(n-1); inclusive: out(i) = in(0) +
/// ... + in(i), returns the last. in and out may be the same view.
template <bool Exclusive, class T, class In, class Out>
T cub_scan(const Kokkos::Cuda& exec, const char* label, const In& in, const Out& out, T init) {
  const T* d_in = in.data();
  T* d_out = out.data();
  const auto n = static_cast<std::int64_t>(in.extent(0));
  cudaStream_t stream = exec.cuda_stream();
  auto call = [&](void* scratch, std::size_t& bytes) {
    if constexpr (Exclusive) {
      return cub::DeviceScan::ExclusiveScan(scratch, bytes, d_in, d_out, ::cuda::std::plus<T>{}, init, n, stream);
    } else {
      return cub::DeviceScan::InclusiveSum(scratch, bytes, d_in, d_out, n, stream);
    }
  };
  std::size_t bytes = 0;
  cudaError_t status = call(nullptr, bytes);
  require(status == cudaSuccess, label, ": cub::DeviceScan (scratch size) failed on ", n,
          " elements: ", cudaGetErrorString(status));
  // The last input, read before an in-place exclusive scan overwrites it.
  T last_in{};
  Kokkos::View<T, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> last_in_host(&last_in);
  if constexpr (Exclusive) Kokkos::deep_copy(exec, last_in_host, Kokkos::subview(in, n - 1));
  Kokkos::View<std::byte*, Kokkos::CudaSpace> scratch(
      Kokkos::view_alloc(exec, Kokkos::WithoutInitializing, "weft::scan (cub scratch)"), bytes > 0 ? bytes : 1);
  status = call(scratch.data(), bytes);
  require(status == cudaSuccess, label, ": cub::DeviceScan failed on ", n, " elements: ", cudaGetErrorString(status));
  T last_out{};
  Kokkos::View<T, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> last_out_host(&last_out);
  Kokkos::deep_copy(exec, last_out_host, Kokkos::subview(out, n - 1));
  exec.fence("weft::scan (cub): the total");
  if constexpr (Exclusive) {
    return static_cast<T>(last_out + last_in);
  } else {
    return last_out;
  }
}
#endif

}  // namespace weft::detail
