// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Included first by every public header: weft needs C++20 (concepts,
// designated initializers, std::bit_width, ...). Below it, say so once
// instead of hundreds of errors at weft's first concept.

#if (defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) <= 201703L
#error "weft needs C++20: compile with -std=c++20 (in CMake, link weft::weft, which asks for cxx_std_20)."
// Stops the compilation here (a missing include is fatal where #error is not).
#include <weft_needs_cxx20>
#endif

// Before a __host__ __device__ function of weft's that calls a callable the
// user passed: under nvcc, a plain (host) lambda given to an algorithm on a
// host space is then called from host code without nvcc's warning that a
// host function is called from a __host__ __device__ one (on a device space
// weft stops such lambdas before: detail/device_function.hpp).
#if defined(__CUDACC__) && !defined(__clang__)
#define WEFT_DETAIL_CALLS_USER_FUNCTION _Pragma("nv_exec_check_disable")
#else
#define WEFT_DETAIL_CALLS_USER_FUNCTION
#endif
