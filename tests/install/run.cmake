# Installs galnet into a scratch prefix, then configures and builds a tiny outside project
# that does find_package(galnet CONFIG REQUIRED). Run by ctest (install_and_find_package).
file(REMOVE_RECURSE ${BUILD_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR}/galnet
                  -DGALNET_BUILD_TESTS=OFF -DGALNET_BUILD_EXAMPLES=OFF -DGALNET_BUILD_BENCHMARKS=OFF
                  -DCMAKE_INSTALL_PREFIX=${BUILD_DIR}/prefix
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring galnet for install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR}/galnet RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "cmake --install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/project -B ${BUILD_DIR}/app
                  -DCMAKE_PREFIX_PATH=${BUILD_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX}
                RESULT_VARIABLE rc OUTPUT_VARIABLE config_out)
if(rc)
  message(FATAL_ERROR "the outside project could not find_package(galnet)")
endif()
# -DEXPECT_CUDA=ON where galnet's own build has galnet::cuda: the installed one must offer it too.
if(EXPECT_CUDA AND NOT config_out MATCHES "galnet::cuda found")
  message(FATAL_ERROR "galnet's build has galnet::cuda but the installed galnet does not offer it:\n${config_out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR}/app RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the outside project did not build against the installed galnet")
endif()
execute_process(COMMAND ${BUILD_DIR}/app/app RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(rc OR NOT out MATCHES "17473")
  message(FATAL_ERROR "the outside program failed: ${out}")
endif()
# -DEXPECT_MPI=ON where galnet's own build has galnet::mpi: the installed one must offer it too
# (run by -DMPIEXEC on one rank).
if(EXPECT_MPI)
  if(NOT config_out MATCHES "galnet::mpi found")
    message(FATAL_ERROR "galnet's build has galnet::mpi but the installed galnet does not offer it:\n${config_out}")
  endif()
  # (ctest gives the MPI environment: GALNET_MPI_TEST_ENV in tests/CMakeLists.txt.)
  execute_process(COMMAND ${MPIEXEC} -n 1 ${BUILD_DIR}/app/app_mpi RESULT_VARIABLE rc OUTPUT_VARIABLE mpi_out ERROR_VARIABLE mpi_err)
  if(rc OR NOT mpi_out MATCHES "galnet::mpi: 1 rank")
    message(FATAL_ERROR "the outside project's MPI program failed: ${mpi_out}${mpi_err}")
  endif()
  string(APPEND out "${mpi_out}")
endif()
if(EXPECT_CUDA)
  execute_process(COMMAND ${BUILD_DIR}/app/app_cuda RESULT_VARIABLE rc OUTPUT_VARIABLE cuda_out)
  if(rc OR NOT cuda_out MATCHES "galnet::cuda: [0-9]+ device")
    message(FATAL_ERROR "the outside project's CUDA program failed: ${cuda_out}")
  endif()
  string(APPEND out "${cuda_out}")
endif()
message(STATUS "outside project OK: ${out}")
