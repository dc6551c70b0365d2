// galnet/app.hpp — the optional programs part (CMake target galnet::app, where CLI11 is found):
// app::run<Recipe> gives a paper's image program its train / evaluate / predict / lr-find /
// summary commands; a program is its Recipe (examples/sfnet/recipe.hpp) and a main() calling it.
#pragma once
#include "galnet/app/options.hpp"
#include "galnet/app/image_program.hpp"
#include "galnet/app/run.hpp"
