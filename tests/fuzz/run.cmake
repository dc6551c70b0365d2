# Builds a libFuzzer target with clang (address + undefined sanitizers) and runs it briefly.
# New inputs go to a scratch corpus in the build tree; the committed seeds are read only.
set(exe ${WORK_DIR}/${NAME})
file(MAKE_DIRECTORY ${WORK_DIR}/${NAME}-corpus)
execute_process(COMMAND ${CLANG} -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined
                  -fno-sanitize-recover=all -I${SOURCE_DIR}/include -I${EIGEN_DIR}
                  ${SOURCE_DIR}/tests/fuzz/${NAME}.cpp -o ${exe}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "building fuzz target ${NAME} failed:\n${err}")
endif()
execute_process(COMMAND ${exe} -max_total_time=${SECONDS} -print_final_stats=1
                  ${WORK_DIR}/${NAME}-corpus ${SOURCE_DIR}/tests/fuzz/corpus/${CORPUS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "fuzz target ${NAME} found a failure:\n${err}")
endif()
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" runs "${err}")
message(STATUS "${NAME}: ${runs}")
