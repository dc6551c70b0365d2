# --sync-batchnorm under mpirun (2 ranks, after the end-to-end test made WORK/data): batch-norm
# statistics over both ranks' shares train another model than each rank's own share does, and a
# resume must keep the setting.
# -DPROGRAM=path -DWORK=dir -DMPIEXEC=path "-DMPIFLAGS=-n;2;--oversubscribe" [-DEXTRA=...]
include(${CMAKE_CURRENT_LIST_DIR}/process.cmake)
separate_arguments(EXTRA)
file(REMOVE_RECURSE ${WORK}/sbn)
set(train train --data ${WORK}/data --epochs 1 --batch-size 4 --threads 1 --no-progress ${EXTRA})
must(${MPIEXEC} ${MPIFLAGS} ${PROGRAM} ${train} --out ${WORK}/sbn/off)
must(${MPIEXEC} ${MPIFLAGS} ${PROGRAM} ${train} --sync-batchnorm --out ${WORK}/sbn/on)
if(NOT out MATCHES "on 2 ranks")
  message(FATAL_ERROR "train under mpirun did not run on 2 ranks:\n${out}")
endif()
file(SHA256 ${WORK}/sbn/off/model.safetensors off)
file(SHA256 ${WORK}/sbn/on/model.safetensors on)
if(off STREQUAL on)
  message(FATAL_ERROR "--sync-batchnorm trained the same model as per-rank batch norm")
endif()
run(${MPIEXEC} ${MPIFLAGS} ${PROGRAM} ${train} --out ${WORK}/sbn/on --resume)
if(NOT rc OR NOT err MATCHES "sync_batchnorm = '1', this run has sync_batchnorm = '0'")
  message(FATAL_ERROR "a resume without the run's --sync-batchnorm must be refused (rc ${rc}): ${err}")
endif()
message(STATUS "${PROGRAM} --sync-batchnorm: another model on 2 ranks, and a resume must keep it")
