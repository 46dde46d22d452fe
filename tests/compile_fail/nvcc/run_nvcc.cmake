# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# ctest driver: the device_callable check under nvcc, without Kokkos.
#   -DNVCC= -DSOURCE= -DINCLUDE= -DSTUB= -DMESSAGE=
set(flags -std=c++20 --extended-lambda -I${INCLUDE} -I${STUB} -c "${SOURCE}" -o /dev/null)
execute_process(COMMAND "${NVCC}" ${flags} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the functors and extended lambdas must pass the check:\n${out}")
endif()
foreach(mistake WEFT_PLAIN_LAMBDA WEFT_UVM_PLAIN_LAMBDA WEFT_GENERIC_LAMBDA)
  execute_process(COMMAND "${NVCC}" ${flags} -D${mistake} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(FIND "${out}" "${MESSAGE}" at)
  if(rc EQUAL 0 OR at EQUAL -1)
    message(FATAL_ERROR "${mistake} must fail with weft's sentence:\n${out}")
  endif()
endforeach()
message(STATUS "nvcc: functors and KOKKOS_LAMBDAs pass; plain and generic lambdas stop at weft's sentence")
