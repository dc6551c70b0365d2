# galnet::mpi — data-parallel training and sharded inference over MPI (galnet/dist/mpi.hpp):
# galnet's headers with MPI::MPI_CXX and GALNET_WITH_MPI. Defined where MPI is found (Debian:
# libopenmpi-dev, openmpi-bin); otherwise absent, and everything else still works. Used twice:
# by galnet's own build (CMakeLists.txt) and, installed beside galnetConfig.cmake, by
# find_package(galnet) in a user's project (`COMPONENTS mpi` makes it required there).
set(galnet_mpi_FOUND FALSE)
if(NOT TARGET galnet::mpi)
  find_package(MPI QUIET COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    add_library(galnet::mpi INTERFACE IMPORTED GLOBAL)
    set_target_properties(galnet::mpi PROPERTIES
      INTERFACE_LINK_LIBRARIES "galnet::galnet;MPI::MPI_CXX"
      INTERFACE_COMPILE_DEFINITIONS "GALNET_WITH_MPI=1")
  endif()
endif()
if(TARGET galnet::mpi)
  set(galnet_mpi_FOUND TRUE)
elseif(NOT galnet_FIND_QUIETLY)
  message(STATUS "galnet: MPI not found; galnet::mpi (data-parallel training) not available "
                 "(Debian: apt-get install libopenmpi-dev openmpi-bin)")
endif()
