# An image program's predict under mpirun (where it links galnet::mpi), after its end-to-end
# test has trained a model in WORK: two ranks write the same predictions.csv as one process,
# byte for byte; a rank that fails (its share has a missing image) stops the whole job with a
# message naming the file, not a hang (ctest's TIMEOUT would catch one).
# -DPROGRAM=path -DWORK=dir (the end-to-end test's) -DMPIEXEC=path "-DMPIFLAGS=-n;2;--oversubscribe"
include(${CMAKE_CURRENT_LIST_DIR}/process.cmake)
# (ctest gives the MPI environment: GALNET_MPI_TEST_ENV in tests/CMakeLists.txt.)
foreach(f ${WORK}/run/model.safetensors ${WORK}/pred/predictions.csv)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "${f} is missing: the end-to-end test must run first")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK}/pred-mpi ${WORK}/data-gap ${WORK}/pred-gap)
must(${MPIEXEC} ${MPIFLAGS} ${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data
     --out ${WORK}/pred-mpi --threads 1)
if(NOT out MATCHES "on 2 ranks")
  message(FATAL_ERROR "predict under mpirun did not run on 2 ranks:\n${out}")
endif()
file(READ ${WORK}/pred/predictions.csv one)
file(READ ${WORK}/pred-mpi/predictions.csv two)
if(NOT one STREQUAL two)
  message(FATAL_ERROR "predictions.csv from 2 ranks differs from one process's")
endif()

# The last catalog row's image removed: it falls in rank 1's share.
file(COPY ${WORK}/data/ DESTINATION ${WORK}/data-gap)
file(STRINGS ${WORK}/data-gap/galaxies.csv rows)
list(GET rows -1 last)
string(REGEX MATCH "^[^,]+" id "${last}")
file(REMOVE ${WORK}/data-gap/images/${id}.jpg)
run(${MPIEXEC} ${MPIFLAGS} ${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data-gap
    --out ${WORK}/pred-gap --threads 1)
if(NOT rc OR NOT err MATCHES "${id}" OR EXISTS ${WORK}/pred-gap/predictions.csv)
  message(FATAL_ERROR "a rank's missing image must stop the job, naming it, with no predictions.csv (rc ${rc}):\n${err}")
endif()
message(STATUS "${PROGRAM} predict under mpirun: same rows as one process; a failing rank stops the job")
