# Learning is a test: PROGRAM trains from scratch on a mock survey of GALAXIES galaxies for EPOCHS
# epochs, then its predictions for 100 other galaxies (another seed, never seen) must follow
# their targets: Pearson r >= MIN_R (metrics.json; with no learning r is 0 ± 0.1 on 100
# galaxies). Skill (1 − RMSE / sd) is reported too, but not required: after so few epochs the
# predictions rank the galaxies yet may be offset by up to 0.15 dex (batch norm's running
# statistics lag), and how far differs between hosts' float rounding (AVX2, AVX-512).
# -DPROGRAM=path -DMOCK=path -DLAYOUT=sfnet -DGALAXIES=200 -DEPOCHS=4 -DMIN_R=0.3
# -DOPTIONS="--batch-size 16" -DWORK=dir
include(${CMAKE_CURRENT_LIST_DIR}/process.cmake)
file(REMOVE_RECURSE ${WORK})
separate_arguments(OPTIONS)
must(${MOCK} --layout ${LAYOUT} --n ${GALAXIES} --seed 21 --out ${WORK}/train)
must(${MOCK} --layout ${LAYOUT} --n 100 --seed 22 --out ${WORK}/held-out)
string(TIMESTAMP t0 "%s")
must(${PROGRAM} train --data ${WORK}/train --epochs ${EPOCHS} ${OPTIONS} --out ${WORK}/run --no-progress)
string(TIMESTAMP t1 "%s")
must(${PROGRAM} evaluate --weights ${WORK}/run/model.safetensors --data ${WORK}/held-out --out ${WORK}/eval)
file(READ ${WORK}/eval/metrics.json metrics)
string(JSON names LENGTH "${metrics}")
string(JSON target MEMBER "${metrics}" 0)
string(JSON skill GET "${metrics}" ${target} skill)
string(JSON r GET "${metrics}" ${target} pearson)
string(JSON rmse GET "${metrics}" ${target} rmse)
string(JSON sd GET "${metrics}" ${target} sd)
string(JSON n GET "${metrics}" ${target} n)
math(EXPR seconds "${t1} - ${t0}")
set(summary "${target} on ${n} held-out galaxies after ${EPOCHS} epochs on ${GALAXIES} (${seconds} s): Pearson r ${r}, RMSE ${rmse}, sd ${sd}, skill ${skill}")
if(NOT n EQUAL 100 OR NOT r GREATER_EQUAL MIN_R)
  message(FATAL_ERROR "${PROGRAM} did not learn: ${summary}; needs r >= ${MIN_R}")
endif()
message(STATUS "${PROGRAM} learns: ${summary}; r >= ${MIN_R}")
