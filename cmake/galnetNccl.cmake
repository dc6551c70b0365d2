# galnet::nccl — dist::NcclCommunicator (galnet/dist/nccl.hpp): data-parallel training whose GPU
# gradients NCCL sums on the devices. galnet::mpi and galnet::cuda with NCCL (shipped with the
# CUDA toolkit, or Debian's libnccl-dev). Defined where all three are found; otherwise absent
# (GPU gradients then pass through host memory into MPI). Used by galnet's own build and,
# installed, by find_package(galnet) (`COMPONENTS nccl` makes it required).
set(galnet_nccl_FOUND FALSE)
if(NOT TARGET galnet::nccl AND TARGET galnet::mpi AND TARGET galnet::cuda)
  find_package(CUDAToolkit QUIET)
  find_path(GALNET_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(GALNET_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
  if(GALNET_NCCL_INCLUDE_DIR AND GALNET_NCCL_LIBRARY)
    add_library(galnet::nccl INTERFACE IMPORTED GLOBAL)
    set_target_properties(galnet::nccl PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${GALNET_NCCL_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "galnet::mpi;galnet::cuda;${GALNET_NCCL_LIBRARY}"
      INTERFACE_COMPILE_DEFINITIONS "GALNET_WITH_NCCL=1")
  endif()
endif()
if(TARGET galnet::nccl)
  set(galnet_nccl_FOUND TRUE)
elseif(NOT galnet_FIND_QUIETLY AND TARGET galnet::mpi AND TARGET galnet::cuda)
  message(STATUS "galnet: NCCL not found; galnet::nccl not available (GPU gradients go through MPI)")
endif()
