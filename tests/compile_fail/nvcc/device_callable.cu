// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// weft::detail::device_callable under nvcc, in every pass (the EDG front end
// for device and host, then the host compiler), against a stub Kokkos.
// Compiles as it is; with -DWEFT_PLAIN_LAMBDA or -DWEFT_GENERIC_LAMBDA it must
// fail with weft's sentence.
#include <weft/detail/device_function.hpp>

struct host_exec {
  using memory_space = Kokkos::HostSpace;
};
struct device_exec {
  using memory_space = Kokkos::CudaSpace;
};
// CUDA with CudaUVMSpace as its memory space: the host reaches that memory,
// but the kernels still run on the GPU.
struct uvm_device_exec {
  using memory_space = Kokkos::CudaUVMSpace;
};
struct functor {
  __host__ __device__ double operator()(double v) const { return v; }
};
struct generic_functor {
  template <class T>
  __host__ __device__ T operator()(const T& v) const { return v; }
};
template <class F>
struct holder {
  F f;
};

int main() {
  const int c = 2;
  auto plain = [=](double v) { return v * c; };
  auto plain_generic = [=](const auto& v) { return v * c; };
  auto host_device = [=] __host__ __device__(double v) { return v * c; };
  auto device_only = [=] __device__(double v) { return v * c; };
  static_assert(!weft::detail::device_callable<decltype(plain)>);
  static_assert(!weft::detail::device_callable<decltype(plain_generic)>);
  static_assert(weft::detail::device_callable<decltype(host_device)>);
  static_assert(weft::detail::device_callable<decltype(device_only)>);
  static_assert(weft::detail::device_callable<functor>);
  static_assert(weft::detail::device_callable<generic_functor>);
  static_assert(weft::detail::device_callable<holder<int>>);
  // Host spaces take any callable; device spaces the callable ones.
  weft::detail::static_check_device_callable<host_exec, decltype(plain), decltype(plain_generic)>();
  weft::detail::static_check_device_callable<device_exec, decltype(host_device), functor, generic_functor>();
  weft::detail::static_check_device_callable<uvm_device_exec, decltype(host_device), functor>();
#if defined(WEFT_PLAIN_LAMBDA)
  weft::detail::static_check_device_callable<device_exec, decltype(plain)>();
#elif defined(WEFT_UVM_PLAIN_LAMBDA)
  weft::detail::static_check_device_callable<uvm_device_exec, decltype(plain)>();
#elif defined(WEFT_GENERIC_LAMBDA)
  weft::detail::static_check_device_callable<device_exec, functor, decltype(plain_generic)>();
#endif
  (void)plain;
  (void)plain_generic;
  (void)host_device;
  (void)device_only;
  return 0;
}
