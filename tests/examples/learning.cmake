# Learning is a test: PROGRAM trains from scratch on a mock survey of GALAXIES galaxies for EPOCHS
# epochs, then evaluate on 100 other galaxies (another seed, never seen) must beat predicting
# the training mean by MIN_SKILL: skill = 1 − RMSE / sd of the held-out targets (metrics.json).
# -DPROGRAM=path -DMOCK=path -DLAYOUT=sfnet -DGALAXIES=200 -DEPOCHS=4 -DMIN_SKILL=0.2
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
string(JSON rmse GET "${metrics}" ${target} rmse)
string(JSON sd GET "${metrics}" ${target} sd)
string(JSON n GET "${metrics}" ${target} n)
math(EXPR seconds "${t1} - ${t0}")
set(summary "${target} on ${n} held-out galaxies after ${EPOCHS} epochs on ${GALAXIES} (${seconds} s): RMSE ${rmse}, sd ${sd}, skill ${skill}")
if(NOT n EQUAL 100 OR NOT skill GREATER_EQUAL MIN_SKILL)
  message(FATAL_ERROR "${PROGRAM} did not learn: ${summary}; needs skill >= ${MIN_SKILL}")
endif()
message(STATUS "${PROGRAM} learns: ${summary} >= ${MIN_SKILL}")
