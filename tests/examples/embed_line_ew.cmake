# Installs galnet into a scratch prefix, checks that the published line-EW weights were installed
# with it, then configures, builds and runs examples/embed_line_ew (an outside project doing
# find_package(galnet CONFIG REQUIRED)). The program must find the weights without options, in
# the installed prefix. Run by ctest (example_embed_line_ew).
# -DSOURCE_DIR=galnet source -DBUILD_DIR=scratch -DCXX=compiler
file(REMOVE_RECURSE ${BUILD_DIR})
unset(ENV{GALNET_DATA_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR}/galnet
                  -DGALNET_BUILD_TESTS=OFF -DGALNET_BUILD_EXAMPLES=OFF -DGALNET_BUILD_BENCHMARKS=OFF
                  -DCMAKE_INSTALL_PREFIX=${BUILD_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "configuring galnet for install failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR}/galnet RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed")
endif()
foreach(f line_ew_with_luminosity.safetensors line_ew_without_luminosity.safetensors LICENSE README.md)
  if(NOT EXISTS ${BUILD_DIR}/prefix/share/galnet/line_ew/${f})
    message(FATAL_ERROR "the installed galnet lacks share/galnet/line_ew/${f}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/embed_line_ew -B ${BUILD_DIR}/app
                  -DCMAKE_PREFIX_PATH=${BUILD_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "examples/embed_line_ew could not find_package(galnet):\n${out}\n${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR}/app RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "examples/embed_line_ew did not build against the installed galnet:\n${out}\n${err}")
endif()
execute_process(COMMAND ${BUILD_DIR}/app/embed_line_ew RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "embed_line_ew failed (${rc}):\n${out}\n${err}")
endif()
if(NOT out MATCHES "weights: ${BUILD_DIR}/prefix/share/galnet/line_ew/line_ew_with_luminosity.safetensors")
  message(FATAL_ERROR "embed_line_ew did not use the installed weights:\n${out}")
endif()
if(NOT out MATCHES "HALPHA" OR out MATCHES "MISMATCH")
  message(FATAL_ERROR "embed_line_ew output unexpected:\n${out}")
endif()
message(STATUS "embed_line_ew against the installed galnet:\n${out}")
