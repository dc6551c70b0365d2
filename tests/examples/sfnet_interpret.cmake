# sfnet interpret on the end-to-end test's model: which features fire, and --top, the cutouts
# shown per feature, sets the montage's width (features.csv does not depend on it).
# -DPROGRAM=path -DWORK=the end-to-end test's folder
include(${CMAKE_CURRENT_LIST_DIR}/process.cmake)
file(REMOVE_RECURSE ${WORK}/interpret ${WORK}/interpret-top1)
must(${PROGRAM} interpret --weights ${WORK}/run/model.safetensors --data ${WORK}/data --out ${WORK}/interpret)
if(NOT out MATCHES "features fire on 40 galaxies")
  message(FATAL_ERROR "interpret must report the features firing on the 40 galaxies:\n${out}")
endif()
must(${PROGRAM} interpret --weights ${WORK}/run/model.safetensors --data ${WORK}/data --top 1 --out ${WORK}/interpret-top1)
file(READ ${WORK}/interpret/features.csv a)
file(READ ${WORK}/interpret-top1/features.csv b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "--top must not change features.csv")
endif()
if(EXISTS ${WORK}/interpret/top_features.png)  # built with cairo
  file(READ ${WORK}/interpret/top_features.png w8 OFFSET 16 LIMIT 4 HEX)  # PNG IHDR width
  file(READ ${WORK}/interpret-top1/top_features.png w1 OFFSET 16 LIMIT 4 HEX)
  math(EXPR w8 "0x${w8}")
  math(EXPR w1 "0x${w1}")
  if(NOT w1 LESS w8)
    message(FATAL_ERROR "--top 1 must show fewer cutouts per feature than --top 8: montage widths ${w1} and ${w8} px")
  endif()
  message(STATUS "interpret: montage ${w8} px wide with --top 8, ${w1} px with --top 1")
endif()
run(${PROGRAM} interpret --weights ${WORK}/run/model.safetensors --data ${WORK}/data --top -5 --out ${WORK}/interpret-bad)
if(NOT rc OR NOT err MATCHES "--top" OR NOT err MATCHES "-5" OR EXISTS ${WORK}/interpret-bad)
  message(FATAL_ERROR "interpret --top -5 must be refused naming both (rc ${rc}): ${err}")
endif()
