# galnet::cuda — the CUDA backend (galnet/cuda.hpp host code, galnet/cuda.cuh kernels for .cu
# files) with the CUDA runtime, cuBLAS and cuDNN. Defined where the CUDA toolkit and cuDNN are
# found; otherwise absent, and everything else still works. Used twice: by galnet's own build
# (CMakeLists.txt) and, installed beside galnetConfig.cmake, by find_package(galnet) in a user's
# project (`COMPONENTS cuda` makes it required there).
set(galnet_cuda_FOUND FALSE)
if(NOT TARGET galnet::cuda)
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    find_path(GALNET_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
    find_library(GALNET_CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR})
  endif()
  if(CUDAToolkit_FOUND AND GALNET_CUDNN_INCLUDE_DIR AND GALNET_CUDNN_LIBRARY)
    add_library(galnet::cuda INTERFACE IMPORTED GLOBAL)
    # C++20 in .cu files (CMake 3.25 knows no CUDA20 dialect flag for nvcc, so it is given here);
    # relaxed constexpr because Eigen's headers call constexpr host functions from device code;
    # OpenMP for the host code of .cu files (galnet's CPU loops, Eigen's GEMM threads).
    set(_galnet_cuda_options -std=c++20 --expt-relaxed-constexpr)
    if(OpenMP_CXX_FOUND)
      list(APPEND _galnet_cuda_options -Xcompiler=-fopenmp)
    endif()
    set_target_properties(galnet::cuda PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${GALNET_CUDNN_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "galnet::galnet;CUDA::cudart;CUDA::cublas;${GALNET_CUDNN_LIBRARY}"
      INTERFACE_COMPILE_DEFINITIONS "GALNET_WITH_CUDA=1"
      INTERFACE_COMPILE_OPTIONS "$<$<COMPILE_LANGUAGE:CUDA>:${_galnet_cuda_options}>")
    unset(_galnet_cuda_options)
  endif()
endif()
if(TARGET galnet::cuda)
  set(galnet_cuda_FOUND TRUE)
elseif(NOT galnet_FIND_QUIETLY)
  message(STATUS "galnet: the CUDA toolkit or cuDNN not found; galnet::cuda (the GPU backend) not available")
endif()
